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
from server.core.identity.accounts import create_staff_user, set_phone
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
    "food": [("买到过期的牛奶", "在店里购买的纯牛奶回家发现已过保质期三天，孩子已经喝了一口，要求退款并赔偿。", "safety")],
    "appliance": [("新买的洗衣机漏水", "洗衣机安装后第一次使用就漏水，售后上门两次未修好，要求更换新机。", "quality"),
                  ("空调不制冷拒绝三包", "空调购买不到一个月就不制冷，商家说是安装问题拒绝按三包处理。", "after_sales")],
    "telecom_device": [("手机屏幕出现坏点", "新手机收到后屏幕有坏点，七天内申请退货被拒绝，理由是已激活。", "quality")],
    "vehicle": [("4S店维修偷换配件", "车辆保养后发现更换的机油滤芯不是原厂件，但按原厂件价格收费。", "false_advertising")],
    "clothing": [("羽绒服含绒量不符", "标注含绒量90%，送检结果只有50%，属于虚假宣传。", "false_advertising")],
    "online_shopping": [("七天无理由退货被拒", "网购的外套不合身，未拆吊牌，商家以特价商品为由拒绝七天无理由退货。", "after_sales"),
                        ("预售商品迟迟不发货", "付了定金和尾款，过了承诺的发货期二十天仍未发货，客服一直推脱。", "contract")],
    "education": [("培训机构拒绝退费", "预交一年课时费，上了三节课后机构更换老师和校区，要求退还剩余费用被拒。", "contract")],
    "travel": [("旅行团擅自增加购物点", "报名纯玩团，导游却安排了三个购物点并强迫消费。", "contract")],
    "catering": [("酒店收取开瓶费", "在酒店包间用餐自带酒水被收取开瓶费三百元。", "price")],
    "beauty": [("美容卡余额不退", "办理的美容预付卡门店突然关闭，卡内余额两千元无法使用也不退。", "contract")],
    "housing": [("物业费上涨未公示", "物业公司单方面上调物业费，未召开业主大会，也未公示。", "price")],
    "finance": [("贷款被搭售保险", "办理消费贷款时被强制搭售意外险，未告知可以不买。", "contract")],
    "insurance": [("理赔一拖再拖", "住院理赔材料已交齐两个月，保险公司仍未给出结论。", "after_sales")],
    "telecom_service": [("宽带套餐被擅自变更", "宽带套餐未经同意被变更为高价套餐，多扣费用三个月。", "price")],
    "internet_service": [("会员自动续费未提醒", "视频会员到期前未收到任何提醒就被自动续费，申请退款被拒。", "contract")],
    "medical": [("种植牙费用与报价不符", "术前报价八千元，术后结算一万三千元，多出的项目事先未告知。", "price")],
    "culture_sports": [("健身房跑路", "健身房年卡刚办两个月，门店关闭，教练和店长都联系不上。", "contract")],
    "other": [("家政服务损坏家具", "保洁人员在服务中打碎了茶几玻璃，公司拒绝赔偿。", "after_sales")],
}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "霞", "平"]


def _credit_code(rng: random.Random, region: str) -> str:
    body = "91" + region + "".join(rng.choice(CREDIT_CHARS) for _ in range(9))
    return body + credit_code_check_char(body)


def load_demo(db: Database, settings: dict[str, Any], consumers: int = 200, businesses: int = 40,
              complaints: int = 400, seed: int = 315, if_empty: bool = False) -> dict[str, Any]:
    rng = random.Random(seed)
    with db.session() as s:
        ensure_reference_data(s)
        s.commit()
        if if_empty and s.execute(select(func.count()).select_from(Complaint)).scalar_one() > 0:
            return {"skipped": "demo data already present"}
        counties = [c for c, _n, _p, lv in region_rows() if lv == 3]
        beijing = [c for c in counties if c.startswith("11")]
        admin = s.execute(select(User).where(User.username == "admin")).scalar_one_or_none() or \
            create_staff_user(s, "admin", "admin", "admin-pass-315", display_name="平台管理员")
        mediator = s.execute(select(User).where(User.username == "mediator")).scalar_one_or_none() or \
            create_staff_user(s, "mediator", "mediator", "mediator-pass-315", region_code="11",
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
            set_phone(s, settings, owner, phone)
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
            set_phone(s, settings, u, f"138{i:08d}")
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
            c = actions.do_create_complaint(s, settings, c_actor, data, t0)
            _walk(s, settings, rng, c, c_actor, admin_actor if not region.startswith("11") else med_actor,
                  actor_for_user(s, owners[b.id]) if b else None, t0, now, amount)
            if i % 50 == 49:
                s.commit()
        s.commit()
        # Deadlines that passed while the demo year unfolded are applied, as the scheduler would have.
        from server.core.complaints.deadlines import apply_due_deadlines

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
