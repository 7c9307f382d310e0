"""A believable demo platform: Chinese businesses, consumers, complaints in every state over a year."""
from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from server.core.actor import actor_for_user
from server.core.assist.taxonomy import INDUSTRIES
from server.core.businesses import CREDIT_CHARS, credit_code_check_char
from server.core.complaints import actions
from server.core.complaints.visibility import parties
from server.core.identity.accounts import do_create_staff_user, do_set_phone
from server.core.models import Business, BusinessMember, Complaint, User, utcnow
from server.core.reference import ensure_reference_data, region_rows
from server.db import Database

BRANDS = ["优选", "惠民", "鑫达", "华润家", "嘉禾", "金盛", "百汇", "悦享", "恒信", "新纪元", "星河", "东方之珠",
          "万家乐购", "美佳", "盛世", "锦程", "天择", "博远", "安居", "云帆", "青禾", "瑞丰", "诚品", "乐活"]
SUFFIX = {
    "food": ("食品", "商贸"), "appliance": ("电器", "电子"), "telecom_device": ("通讯", "数码"),
    "vehicle": ("汽车销售服务", "汽车维修"), "clothing": ("服饰", "鞋业"), "online_shopping": ("电子商务", "网络科技"),
    "education": ("教育咨询", "培训学校"), "travel": ("国际旅行社", "旅游服务"), "catering": ("餐饮管理", "酒店管理"),
    "beauty": ("美容美发", "医疗美容"), "housing": ("物业管理", "房地产经纪"), "finance": ("小额贷款", "融资担保"),
    "insurance": ("保险代理", "保险经纪"), "telecom_service": ("通信服务", "宽带网络"),
    "internet_service": ("互联网信息服务", "网络技术"), "medical": ("口腔门诊", "健康管理"),
    "culture_sports": ("健身", "文化传媒"), "other": ("家政服务", "洗衣"),
}
STORIES = {
    "food": [("蛋糕里吃出异物", "生日蛋糕切开后发现里面有一根头发，门店只愿意退一半的钱。", "safety"), ("散装坚果缺斤短两", "称重标注500克的坚果回家复称只有430克，怀疑电子秤有问题。", "measurement"), ("买到过期的牛奶", "在店里购买的纯牛奶回家发现已过保质期三天，孩子已经喝了一口，要求退款并赔偿。", "safety")],
    "appliance": [("电视安装费另收三百", "购买时承诺免费安装，上门后师傅称支架和安装要另收三百元。", "price"), ("新买的洗衣机漏水", "洗衣机安装后第一次使用就漏水，售后上门两次未修好，要求更换新机。", "quality"),
                  ("空调不制冷拒绝三包", "空调购买不到一个月就不制冷，商家说是安装问题拒绝按三包处理。", "after_sales")],
    "telecom_device": [("翻新机当新机卖", "手机激活日期显示是半年前，疑似翻新机冒充新机销售。", "counterfeit"), ("保修期内主板维修收费", "手机保修期内主板故障，售后以进水为由要求自费维修一千二百元。", "after_sales"), ("手机屏幕出现坏点", "新手机收到后屏幕有坏点，七天内申请退货被拒绝，理由是已激活。", "quality")],
    "vehicle": [("新车到手发现补漆", "提车后发现左后门有明显补漆痕迹，销售说是出厂前的正常处理。", "quality"), ("二手车隐瞒事故记录", "购买的二手车查询维保记录发现有重大事故，车商之前承诺无事故。", "false_advertising"), ("4S店维修偷换配件", "车辆保养后发现更换的机油滤芯不是原厂件，但按原厂件价格收费。", "false_advertising")],
    "clothing": [("运动鞋穿一周开胶", "新买的运动鞋穿了一周鞋底开胶，门店说不属于质量问题。", "quality"), ("羽绒服含绒量不符", "标注含绒量90%，送检结果只有50%，属于虚假宣传。", "false_advertising")],
    "online_shopping": [("直播间买的玉镯是假货", "直播间宣传天然翡翠，收到后送检为B货，商家拒绝退款。", "counterfeit"), ("收货地址信息被泄露", "网购后不到一天就接到推销电话，对方能说出我的订单和地址。", "personal_info"), ("七天无理由退货被拒", "网购的外套不合身，未拆吊牌，商家以特价商品为由拒绝七天无理由退货。", "after_sales"),
                        ("预售商品迟迟不发货", "付了定金和尾款，过了承诺的发货期二十天仍未发货，客服一直推脱。", "contract")],
    "education": [("网课退费被扣高额手续费", "报名网课后三天申请退费，机构要扣除百分之三十的服务费。", "contract"), ("培训机构拒绝退费", "预交一年课时费，上了三节课后机构更换老师和校区，要求退还剩余费用被拒。", "contract")],
    "travel": [("机票退改费远超规定", "通过平台购买的机票申请退票，被收取票价八成的手续费。", "price"), ("旅行团擅自增加购物点", "报名纯玩团，导游却安排了三个购物点并强迫消费。", "contract")],
    "catering": [("外卖餐品变质", "外卖送到后发现凉菜已经变味，商家只同意补偿五元红包。", "safety"), ("酒店房间与图片严重不符", "网上预订的海景房实际看不到海，前台拒绝调换或退差价。", "false_advertising"), ("酒店收取开瓶费", "在酒店包间用餐自带酒水被收取开瓶费三百元。", "price")],
    "beauty": [("美发店强行推销办卡", "理发过程中被反复推销充值卡，不办卡就收取高价洗护费。", "dignity"), ("美容卡余额不退", "办理的美容预付卡门店突然关闭，卡内余额两千元无法使用也不退。", "contract")],
    "housing": [("物业停车费重复收取", "已交月租车位费，出入仍被按临时车收费，物业不予退还。", "price"), ("物业费上涨未公示", "物业公司单方面上调物业费，未召开业主大会，也未公示。", "price")],
    "finance": [("信用卡年费未告知", "办卡时称免年费，账单出现六百元年费，银行称系统自动收取。", "contract"), ("贷款被搭售保险", "办理消费贷款时被强制搭售意外险，未告知可以不买。", "contract")],
    "insurance": [("退保只退三成", "业务员承诺随时可全额退保，实际退保仅退回保费的三成。", "false_advertising"), ("理赔一拖再拖", "住院理赔材料已交齐两个月，保险公司仍未给出结论。", "after_sales")],
    "telecom_service": [("销户被要求先交违约金", "搬家申请宽带销户，被要求缴纳未满合约期的违约金八百元。", "contract"), ("宽带套餐被擅自变更", "宽带套餐未经同意被变更为高价套餐，多扣费用三个月。", "price")],
    "internet_service": [("游戏账号被封充值不退", "游戏账号无故被封，申诉无果，账户内充值的两千元不予退还。", "contract"), ("会员自动续费未提醒", "视频会员到期前未收到任何提醒就被自动续费，申请退款被拒。", "contract")],
    "medical": [("体检报告延误", "入职体检承诺三个工作日出报告，两周后仍未拿到影响入职。", "after_sales"), ("种植牙费用与报价不符", "术前报价八千元，术后结算一万三千元，多出的项目事先未告知。", "price")],
    "culture_sports": [("演唱会门票无法入场", "在第三方平台购买的演唱会门票在入口被告知是无效票。", "counterfeit"), ("健身房跑路", "健身房年卡刚办两个月，门店关闭，教练和店长都联系不上。", "contract")],
    "other": [("搬家公司中途加价", "搬家前报价八百元，装车后以楼层高为由加价到一千五百元。", "price"), ("家政服务损坏家具", "保洁人员在服务中打碎了茶几玻璃，公司拒绝赔偿。", "after_sales")],
}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "霞", "平"]


def _credit_code(rng: random.Random, region: str) -> str:
    body = "91" + region + "".join(rng.choice(CREDIT_CHARS) for _ in range(9))
    return body + credit_code_check_char(body)


def load_demo(db: Database, settings: dict[str, Any], consumers: int = 200, businesses: int = 40,
              complaints: int = 400, seed: int = 315, if_empty: bool = False) -> dict[str, Any]:
    rng = random.Random(seed)
    # The generator draws stories from a small pool per industry, so one consumer may get the same story
    # against the same business twice: an artefact of the generator, not a repeat to refuse. The claimant
    # signal stays on (the demo shows its flags).
    settings = {**settings, "DUPLICATE_COMPLAINT_THRESHOLD": 0}
    with db.session() as s:
        ensure_reference_data(s)
        s.commit()
        if if_empty and s.execute(select(func.count()).select_from(Complaint)).scalar_one() > 0:
            return {"skipped": "demo data already present"}
        counties = [c for c, _n, _p, lv in region_rows() if lv == 3]
        beijing = [c for c in counties if c.startswith("11")]
        admin = s.execute(select(User).where(User.username == "admin")).scalar_one_or_none() or \
            do_create_staff_user(s, "admin", "admin", "admin-pass-315", display_name="平台管理员")
        mediator = s.execute(select(User).where(User.username == "mediator")).scalar_one_or_none() or \
            do_create_staff_user(s, "mediator", "mediator", "mediator-pass-315", region_code="11",
                              display_name="北京市消协调解员")
        s.flush()
        now = utcnow()
        biz_rows: list[Business] = []
        owners: dict[int, User] = {}
        for i in range(businesses):
            industry = INDUSTRIES[i % len(INDUSTRIES)][0]
            region = rng.choice(beijing) if rng.random() < 0.7 else rng.choice(counties)
            city = "北京" if region.startswith("11") else ""
            name = f"{city}{rng.choice(BRANDS)}{rng.choice(SUFFIX[industry])}有限公司"
            while s.execute(select(Business.id).where(Business.name == name)).first():
                name = f"{city}{rng.choice(BRANDS)}{rng.choice(BRANDS)}{rng.choice(SUFFIX[industry])}有限公司"
            owner = User(kind="business_staff", display_name=f"{name[:6]}店长")
            s.add(owner)
            s.flush()
            phone = f"139{i:08d}"
            do_set_phone(s, settings, owner, phone)
            b = Business(name=name, credit_code=_credit_code(rng, region[:6]), industry_code=industry,
                         region_code=region, contact_name=rng.choice(SURNAMES) + "经理",
                         status="verified" if rng.random() < 0.85 else "pending",
                         created_at=now - timedelta(days=400), verified_at=now - timedelta(days=399))
            from server.core.identity.accounts import cipher

            b.contact_phone_enc = cipher(settings).encrypt(phone)
            b.contact_phone_hash = cipher(settings).lookup_hash(phone)
            s.add(b)
            s.flush()
            s.add(BusinessMember(business_id=b.id, user_id=owner.id, role="owner"))
            biz_rows.append(b)
            owners[b.id] = owner
        people: list[User] = []
        for i in range(consumers):
            u = User(kind="consumer", display_name=rng.choice(SURNAMES) + rng.choice(GIVEN),
                     created_at=now - timedelta(days=rng.randint(1, 365)))
            s.add(u)
            s.flush()
            do_set_phone(s, settings, u, f"138{i:08d}")
            people.append(u)
        s.commit()

        admin_actor = actor_for_user(s, admin)
        med_actor = actor_for_user(s, mediator)
        for i in range(complaints):
            consumer = rng.choice(people)
            b = rng.choice(biz_rows) if rng.random() < 0.9 else None
            industry = b.industry_code if b else rng.choice(INDUSTRIES)[0]
            title, desc, category = rng.choice(STORIES[industry])
            region = b.region_code if b else rng.choice(beijing)
            # A growing platform: filings get more frequent towards today, so recent months show every
            # lifecycle state while the older ones have run their course.
            age = 360 * (1 - rng.random() ** 0.5)
            t0 = now - timedelta(days=max(age, 0.05))
            amount = rng.choice([59, 199, 399, 899, 1299, 2999, 4999, 12800])
            data = {"business_id": b.id if b else None, "business_name": None if b else f"{rng.choice(BRANDS)}小店",
                    "industry_code": industry, "region_code": region, "category": category, "title": title,
                    "description": desc + f"订单金额{amount}元。", "purchase_date": (t0 - timedelta(days=10)).date(),
                    "order_no": f"NO{rng.randint(10**9, 10**10)}", "amount_claimed_fen": amount * 100,
                    "demands": rng.sample(["refund", "return", "exchange", "repair", "compensation", "apology"], 2),
                    "public_consent": rng.random() < 0.6}
            c_actor = actor_for_user(s, consumer)
            c = actions.do_create_complaint(s, settings, c_actor, data, t0).complaint
            _walk(s, settings, rng, c, c_actor, admin_actor if not region.startswith("11") else med_actor,
                  actor_for_user(s, owners[b.id]) if b else None, t0, now, amount)
            if i % 50 == 49:
                s.commit()
        s.commit()
        # Deadlines that passed while the demo year unfolded are applied, as the scheduler would have.
        from server.tasks.deadlines import apply_due_deadlines

        apply_due_deadlines(db.Session, settings, utcnow())
        from server.core.scoring.actions import recompute_all

        recompute_all(s, settings)
        s.commit()
        counts = dict(s.execute(select(Complaint.status, func.count()).group_by(Complaint.status)).all())
        return {"businesses": len(biz_rows), "consumers": len(people), "complaints": complaints, "by_status": counts}


def _walk(s, settings, rng: random.Random, c: Complaint, consumer, mediator, owner, t: datetime, now: datetime,
          amount: int) -> None:
    """Move a complaint along a plausible path, each step some hours or days after the previous one."""

    def later(lo_h: float, hi_h: float) -> datetime | None:
        nonlocal t
        t = t + timedelta(hours=rng.uniform(lo_h, hi_h))
        return t if t < now else None

    if rng.random() < 0.05 or not later(2, 72):
        return
    if rng.random() < 0.03:
        actions.do_transition(s, settings, consumer, c, "withdraw", now=t)
        return
    if rng.random() < 0.07:
        actions.do_transition(s, settings, mediator, c, "reject", note="不属于消费者权益争议，建议向有关部门反映", now=t)
        return
    actions.do_transition(s, settings, mediator, c, "accept", now=t)
    if c.public_consent and c.id % 10:  # publication needs a person; every tenth waits in the mediators' queue
        from server.core.publication import do_decide_publication

        do_decide_publication(s, settings, mediator, c, True, None, now=t)
    if c.status == "forwarded":
        if rng.random() < 0.12 or not later(3, 200):
            return
        actions.do_transition(s, settings, owner, c, "respond", note=rng.choice(
            ["同意全额退款，请提供收货地址寄回商品", "为您更换新品，并补偿50元优惠券", "同意上门维修并延长保修一年"]), now=t)
        if not later(5, 100):
            return
        if rng.random() < 0.75:
            actions.do_transition(s, settings, consumer, c, "confirm",
                                  amount_recovered_fen=amount * 100 * rng.choice([1, 1, 0.5]) // 1, now=t)
        else:
            actions.do_transition(s, settings, consumer, c, "dispute", note="方案不合理", now=t)
    if c.status == "mediating":
        if owner is not None and "business" in parties(owner, c) and rng.random() < 0.5 and later(10, 100):
            actions.do_transition(s, settings, owner, c, "propose", note="愿意退还一半费用", now=t)
        if rng.random() < 0.15 or not later(24, 600):
            return
        if rng.random() < 0.7:
            actions.do_transition(s, settings, mediator, c, "mediate_success",
                                  amount_recovered_fen=int(amount * 100 * rng.uniform(0.3, 1)), now=t)
        else:
            actions.do_transition(s, settings, mediator, c, "mediate_fail", note="双方分歧较大，建议通过诉讼解决", now=t)
    if c.status in ("resolved", "unresolved") and rng.random() < 0.6 and later(2, 100):
        actions.do_transition(s, settings, consumer, c, "rate", rating=rng.choice([5, 5, 4, 4, 3, 2, 1]), now=t)
