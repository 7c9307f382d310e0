"""Generate the seed platform's year and bulk-load it into PostgreSQL with COPY.

Full scale (the seed platform's published year): 702,786 consumers, 42,913 businesses, 576,911 complaints,
each complaint with a timeline walked through the real lifecycle (states.py): submitted, accepted/auto-accepted,
forwarded, responded or timed out, confirmed/disputed/timed out, mediated, rated, closed, withdrawn, rejected —
with realistic delays, so the state mix follows from each complaint's age. Every event carries the legacy
(chain 1, unkeyed) hash chain: `smart315 audit verify --allow-legacy` passes on the result, and
`smart315 audit reseal` puts it on the keyed chain the app writes (server/core/auditchain.py).

    .venv/bin/python -m bench.seed --admin-url postgresql://root@127.0.0.1/postgres --db smart315_seedyear [--scale 0.01]

Prints a JSON summary (rows, seconds per table, total seconds, database size) and writes it to --out.
Outbox rows for these historical events are not generated (they would have been delivered long ago).
"""
from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from server.config import normalize_database_url
from server.core.businesses import CREDIT_CHARS, credit_code_check_char
from server.core.complaints.actions import GENESIS_HASH, event_hash, public_no_for
from server.core.privacy import FieldCipher
from server.core.reference import CATEGORIES, INDUSTRIES, region_rows

FULL = {"consumers": 702_786, "businesses": 42_913, "complaints": 576_911}
BENCH_FIELD_KEY = "bench-field-key"

INDUSTRY_WEIGHTS = {"online_shopping": 24, "telecom_service": 8, "internet_service": 9, "appliance": 7, "food": 6,
                    "clothing": 5, "vehicle": 6, "education": 6, "travel": 4, "catering": 5, "beauty": 4, "housing": 4,
                    "finance": 3, "insurance": 2, "telecom_device": 4, "medical": 2, "culture_sports": 3, "other": 3}
TITLES = {
    "quality": ["商品收到后存在质量问题，商家拒绝退换", "使用不到一个月出现故障", "食品开封后发现异物"],
    "safety": ["产品使用中发热冒烟存在安全隐患", "儿童玩具零件脱落"],
    "price": ["下单后商家单方面加价", "结算价格与标价不符"],
    "contract": ["预付卡商家关门无法退款", "培训机构拒绝按合同退费", "装修公司拖延工期"],
    "after_sales": ["售后客服长期不回复", "维修多次仍未修好", "七天无理由退货被拒"],
    "false_advertising": ["宣传功效与实际严重不符", "直播间虚假宣传"],
    "measurement": ["称重短斤缺两", "加油机计量不准"],
    "counterfeit": ["购买的品牌商品疑似假冒", "收到的配件不是原厂正品"],
    "dignity": ["店员辱骂顾客", "被强制搜身"],
    "personal_info": ["个人信息被泄露后频繁接到骚扰电话", "未经同意获取通讯录"],
    "other": ["会员自动续费未提醒", "订单被无故取消"],
}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜秀敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彩春菊兰凤洁梅琳素云莲真环雪荣爱妹霞香月莺媛瑞凡佳嘉琼勤珍贞莉桂娣叶璧璐娅琦晶妍茜秋珊莎锦黛青倩婷姣婉娴瑾颖露瑶怡婵雁蓓纨仪荷丹蓉眉君琴蕊薇菁梦岚苑婕馨瑗琰韵融园艺咏卿聪澜纯毓悦昭冰爽琬茗羽希宁欣飘育滢馥筠柔竹霭凝晓欢霄枫芸菲寒伊亚宜可姬舒影荔枝思丽"
BIZ_WORDS = ["华", "盛", "鑫", "达", "通", "宏", "源", "恒", "泰", "兴", "联", "创", "佳", "美", "优", "信", "诚", "安", "康", "乐"]
BIZ_SUFFIX = {"online_shopping": "电子商务有限公司", "telecom_service": "通信服务有限公司", "internet_service": "网络科技有限公司",
              "appliance": "电器有限公司", "food": "食品有限公司", "clothing": "服饰有限公司", "vehicle": "汽车销售服务有限公司",
              "education": "教育科技有限公司", "travel": "国际旅行社有限公司", "catering": "餐饮管理有限公司",
              "beauty": "美容美发店", "housing": "物业服务有限公司", "finance": "金融信息服务有限公司", "insurance": "保险代理有限公司",
              "telecom_device": "通讯器材有限公司", "medical": "医疗美容门诊部", "culture_sports": "文化体育发展有限公司", "other": "商贸有限公司"}
DEMANDS = ["refund", "return", "exchange", "repair", "compensation", "apology", "other"]

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def credit_code(n: int, region: str) -> str:
    body = "91" + region + "".join(CREDIT_CHARS[(n // 31 ** i) % 31] for i in range(9))
    return body + credit_code_check_char(body)


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _sec(dt: datetime) -> datetime:
    return dt.replace(microsecond=0)


class Timeline:
    """Walks one complaint through the lifecycle; stops at the first step that would happen after `now`."""

    def __init__(self, cid: int, now: datetime):
        self.cid, self.now = cid, now
        self.events: list[tuple] = []
        self.prev = GENESIS_HASH

    def add(self, at: datetime, actor_id, role, action, frm, to, note=None, data=None) -> bool:
        if at > self.now:
            return False
        seq = len(self.events) + 1
        data = data or {}
        h = event_hash(self.cid, seq, actor_id, role, action, frm, to, note, data, at, self.prev)
        self.events.append((self.cid, seq, actor_id, role, action, frm, to, note, json.dumps(data), at, self.prev, h))
        self.prev = h
        return True


def walk(rng: random.Random, cid: int, created: datetime, now: datetime, consumer_id: int, owner_id: int | None,
         mediator_id: int, on_platform: bool, claimed: int) -> tuple[dict, list]:
    """One complaint's state, timestamps and timeline (events)."""
    t = Timeline(cid, now)
    c = dict(status="submitted", deadline_at=created + 9 * DAY, accepted_at=None, forwarded_at=None,
             first_response_at=None, response_deadline_at=None, mediating_at=None, ended_at=None, closed_at=None,
             settled_directly=False, mediation_cooperated=False, went_to_mediation=False, outcome=None, rating=None,
             rated_at=None, amount_recovered_fen=None, deadline_reminded=False, updated_at=created)
    t.add(created, consumer_id, "consumer", "submit", None, "submitted")

    def end(at: datetime, status: str):
        c.update(status=status, ended_at=at, outcome=status, deadline_at=at + 15 * DAY, updated_at=at)

    def close_later(at: datetime):
        if c["status"] in ("resolved", "unresolved") and rng.random() < 0.55:
            r_at = _sec(at + timedelta(hours=rng.uniform(2, 200)))
            rating = rng.choices((1, 2, 3, 4, 5), (10, 8, 15, 30, 37) if c["status"] == "resolved" else (45, 25, 15, 10, 5))[0]
            if t.add(r_at, consumer_id, "consumer", "rate", c["status"], "closed", data={"rating": rating}):
                c.update(status="closed", rating=rating, rated_at=r_at, closed_at=r_at, deadline_at=None, updated_at=r_at)
                return
        cl_at = c["ended_at"] + 15 * DAY
        if t.add(cl_at, None, "system", "close", c["status"], "closed"):
            c.update(status="closed", closed_at=cl_at, deadline_at=None, updated_at=cl_at)

    def withdraw_maybe(at: datetime, p: float) -> bool:
        if rng.random() < p:
            w_at = _sec(at + timedelta(hours=rng.uniform(1, 96)))
            if t.add(w_at, consumer_id, "consumer", "withdraw", c["status"], "withdrawn", note="已与商家自行协商解决"):
                end(w_at, "withdrawn")
                close_later(w_at)
                return True
        return False

    # Intake: a mediator decides within hours to days; 25 % left to the automatic acceptance deadline.
    if rng.random() < 0.035:
        at = _sec(created + timedelta(hours=rng.uniform(3, 120)))
        if t.add(at, mediator_id, "mediator", "reject", "submitted", "rejected", note="不属于消费纠纷受理范围"):
            end(at, "rejected")
            close_later(at)
        return c, t.events
    if withdraw_maybe(created, 0.01):
        return c, t.events
    if rng.random() < 0.25:
        at, who, role, action = c["deadline_at"], None, "system", "auto_accept"
    else:
        at, who, role, action = _sec(created + timedelta(hours=rng.lognormvariate(math.log(20), 0.8))), mediator_id, "mediator", "accept"
    if not t.add(at, who, role, action, "submitted", "accepted"):
        return c, t.events
    c.update(status="accepted", accepted_at=at, updated_at=at)
    mediation_end = at + 60 * DAY
    if on_platform:
        t.add(at, None, "system", "forward", "accepted", "forwarded")
        c.update(status="forwarded", forwarded_at=at, response_deadline_at=at + 14 * DAY, deadline_at=at + 14 * DAY)
        if withdraw_maybe(at, 0.03):
            return c, t.events
        if rng.random() < 0.78:  # the business answers, usually within a day or two
            r_at = _sec(at + timedelta(hours=min(13 * 24.0, rng.lognormvariate(math.log(26), 0.9))))
            if r_at > now:
                c["deadline_reminded"] = now > c["deadline_at"] - 48 * HOUR
                return c, t.events
            t.add(r_at, owner_id, "business_staff", "respond", "forwarded", "responded", note="您好，已核实情况，同意为您办理退款。")
            c.update(status="responded", first_response_at=r_at, deadline_at=r_at + 7 * DAY, updated_at=r_at)
            roll = rng.random()
            if roll < 0.66:
                k_at = _sec(r_at + timedelta(hours=rng.uniform(1, 120)))
                if t.add(k_at, consumer_id, "consumer", "confirm", "responded", "resolved",
                         data={"amount_recovered": f"{claimed * 0.9 / 100:.2f}"}):
                    c.update(settled_directly=True, amount_recovered_fen=int(claimed * 0.9))
                    end(k_at, "resolved")
                    close_later(k_at)
                return c, t.events
            if roll < 0.84:
                k_at = _sec(r_at + timedelta(hours=rng.uniform(1, 150)))
                if not t.add(k_at, consumer_id, "consumer", "dispute", "responded", "mediating", note="商家方案不合理"):
                    return c, t.events
                c.update(status="mediating", mediating_at=k_at, went_to_mediation=True, mediation_cooperated=True,
                         deadline_at=mediation_end, updated_at=k_at)
            else:
                k_at = c["deadline_at"]
                if t.add(k_at, None, "system", "confirm_timeout", "responded", "resolved"):
                    end(k_at, "resolved")
                    close_later(k_at)
                return c, t.events
        else:
            k_at = c["deadline_at"]
            if not t.add(k_at, None, "system", "response_timeout", "forwarded", "mediating"):
                c["deadline_reminded"] = now > c["deadline_at"] - 48 * HOUR
                return c, t.events
            c.update(status="mediating", mediating_at=k_at, went_to_mediation=True, deadline_at=mediation_end,
                     updated_at=k_at)
            if rng.random() < 0.4:
                p_at = _sec(k_at + timedelta(days=rng.uniform(1, 10)))
                if t.add(p_at, owner_id, "business_staff", "propose", "mediating", "mediating", note="愿意退还部分款项"):
                    c["mediation_cooperated"] = True
    else:
        t.add(at, None, "system", "to_mediation", "accepted", "mediating")
        c.update(status="mediating", mediating_at=at, went_to_mediation=True, deadline_at=mediation_end)
    # Mediation: most settle within weeks.
    m_at = _sec(c["mediating_at"] + timedelta(days=min(59.0, rng.lognormvariate(math.log(9), 0.8))))
    if rng.random() < 0.62:
        if t.add(m_at, mediator_id, "mediator", "mediate_success", "mediating", "resolved",
                 data={"amount_recovered": f"{claimed * 0.7 / 100:.2f}"}):
            c["amount_recovered_fen"] = int(claimed * 0.7)
            end(m_at, "resolved")
            close_later(m_at)
    elif rng.random() < 0.9:
        if t.add(m_at, mediator_id, "mediator", "mediate_fail", "mediating", "unresolved", note="双方分歧较大，调解未果"):
            end(m_at, "unresolved")
            close_later(m_at)
    else:
        if t.add(mediation_end, None, "system", "mediation_timeout", "mediating", "unresolved"):
            end(mediation_end, "unresolved")
            close_later(mediation_end)
    return c, t.events


USER_COLS = ("id", "kind", "display_name", "username", "phone_enc", "phone_hash", "phone_last4", "region_code",
             "is_active", "token_version", "created_at")
BIZ_COLS = ("id", "name", "credit_code", "industry_code", "region_code", "contact_name", "contact_phone_enc",
            "contact_phone_hash", "status", "created_at", "verified_at")
MEMBER_COLS = ("id", "business_id", "user_id", "role", "created_at")
COMPLAINT_COLS = ("id", "public_no", "consumer_id", "business_id", "business_name", "industry_code", "region_code",
                  "category", "title", "description", "purchase_date", "order_no", "amount_claimed_fen",
                  "amount_recovered_fen", "demands", "public_consent", "status", "deadline_at", "deadline_reminded",
                  "created_at", "updated_at", "accepted_at", "forwarded_at", "first_response_at", "response_deadline_at",
                  "mediating_at", "ended_at", "closed_at", "settled_directly", "mediation_cooperated",
                  "went_to_mediation", "outcome", "rating", "rated_at", "version", "person_seen_at")
PERSON_ROLES = ("mediator", "admin", "business_staff")  # what counts in the index: a person acted (0002_appeals)
EVENT_COLS = ("complaint_id", "seq", "actor_id", "actor_role", "action", "from_status", "to_status", "note", "data",
              "created_at", "prev_hash", "hash")


def create_fresh_database(admin_url: str, name: str) -> str:
    admin = create_engine(normalize_database_url(admin_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(normalize_database_url(admin_url)).set(database=name).render_as_string(hide_password=False)


def load(url: str, scale: float = 1.0, seed: int = 315, now: datetime | None = None, progress: bool = True,
         field_key: str = BENCH_FIELD_KEY) -> dict:
    """Migrate `url` (an empty database), then generate and COPY the year into it; returns the summary."""
    import psycopg
    from tqdm import tqdm

    from server.core.reference import ensure_reference_data
    from server.db import Database
    from server.migrate import upgrade

    n_cons = max(50, round(FULL["consumers"] * scale))
    n_biz = max(10, round(FULL["businesses"] * scale))
    n_comp = max(50, round(FULL["complaints"] * scale))
    rng = random.Random(seed)
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    year_ago = now - 365 * DAY
    t_start = time.perf_counter()
    upgrade(url)
    db = Database(url)
    with db.session() as s:
        ensure_reference_data(s)
        s.commit()
    db.dispose()
    t_schema = time.perf_counter() - t_start

    counties = [r[0] for r in region_rows() if r[3] == 3]
    provinces = sorted({c[:2] for c in counties})
    industries = [c for c, _ in INDUSTRIES]
    ind_w = [INDUSTRY_WEIGHTS.get(c, 2) for c in industries]
    cats = [c for c, _ in CATEGORIES]
    cat_w = [30, 4, 10, 16, 22, 8, 2, 4, 1, 2, 3][:len(cats)]
    cipher = FieldCipher(field_key)
    timings: dict[str, float] = {}
    rows: dict[str, int] = {}
    total_rows_est = n_cons + 2 * n_biz + n_comp * 6
    bar = tqdm(total=total_rows_est, unit="row", unit_scale=True, disable=not progress, file=sys.stderr,
               desc="seed year")
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo) as conn:
        conn.execute("SET synchronous_commit = off")
        cur = conn.cursor()

        def copy(table: str, cols: tuple[str, ...], gen) -> int:
            t0 = time.perf_counter()
            n = 0
            with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as cp:
                for row in gen:
                    cp.write_row(row)
                    n += 1
                    if n % 5000 == 0:
                        bar.update(5000)
            bar.update(n % 5000)
            timings[table] = timings.get(table, 0.0) + time.perf_counter() - t0
            rows[table] = rows.get(table, 0) + n
            return n

        # Users: consumers, then one owner per business, then one mediator per province and an admin.
        def phone_of(i: int) -> str:
            return f"1{('38', '39', '50', '58', '86', '87', '77', '35')[i % 8]}{(i * 7919) % 100_000_000:08d}"

        def consumer_rows():
            for i in range(1, n_cons + 1):
                phone = phone_of(i)
                created = _sec(year_ago - timedelta(days=rng.uniform(0, 700)))
                yield (i, "consumer", person_name(rng), None, cipher.encrypt(phone), cipher.lookup_hash(phone),
                       phone[-4:], None, True, 0, created)

        owner_base = n_cons
        mediator_base = n_cons + n_biz

        def staff_rows():
            for j in range(1, n_biz + 1):
                uid = owner_base + j
                phone = phone_of(uid)
                yield (uid, "business_staff", person_name(rng), None, cipher.encrypt(phone), cipher.lookup_hash(phone),
                       phone[-4:], None, True, 0, _sec(year_ago - timedelta(days=rng.uniform(0, 700))))
            for k, prov in enumerate(provinces, start=1):
                yield (mediator_base + k, "mediator", f"{prov}调解员", f"mediator{prov}", None, None, None, prov,
                       True, 0, year_ago)
            yield (mediator_base + len(provinces) + 1, "admin", "管理员", "admin", None, None, None, None, True, 0,
                   year_ago)

        copy("user_account", USER_COLS, consumer_rows())
        copy("user_account", USER_COLS, staff_rows())
        mediator_of = {prov: mediator_base + k for k, prov in enumerate(provinces, start=1)}

        biz_info: list[tuple[str, str, str]] = [("", "", "")]  # index = business id: (name, industry, region)

        def business_rows():
            for j in range(1, n_biz + 1):
                ind = rng.choices(industries, ind_w)[0]
                region = rng.choice(counties)
                name = f"{rng.choice(provinces_names.get(region[:2], ['中']))}{''.join(rng.sample(BIZ_WORDS, 2))}{BIZ_SUFFIX.get(ind, '商贸有限公司')}{j}"
                biz_info.append((name[:128], ind, region))
                created = _sec(year_ago - timedelta(days=rng.uniform(0, 900)))
                phone = phone_of(owner_base + j)
                verified = rng.random() < 0.93
                yield (j, name[:128], credit_code(j, region), ind, region, person_name(rng), cipher.encrypt(phone),
                       cipher.lookup_hash(phone), "verified" if verified else "pending", created,
                       created + DAY if verified else None)

        provinces_names = {r[0][:2]: [r[1][:2]] for r in region_rows() if r[3] == 1}
        copy("business", BIZ_COLS, business_rows())
        copy("business_member", MEMBER_COLS, ((j, j, owner_base + j, "owner", year_ago) for j in range(1, n_biz + 1)))

        # Complaints and their timelines, in one pass: events buffered per batch and copied after their complaints.
        # Complaint volume grows through the year (+60 %), and businesses draw complaints Zipf-like.
        biz_weights = [1.0 / (j ** 0.8) for j in range(1, n_biz + 1)]
        biz_cum = []
        acc = 0.0
        for w in biz_weights:
            acc += w
            biz_cum.append(acc)
        import bisect

        status_mix: dict[str, int] = {}
        n_events = 0
        batch = 20_000
        for start in range(1, n_comp + 1, batch):
            comp_rows, ev_rows = [], []
            for cid in range(start, min(n_comp, start + batch - 1) + 1):
                u = rng.random()
                created = _sec(year_ago + 365 * DAY * ((math.sqrt(1 + 1.56 * u) - 1) / 0.6))
                consumer_id = rng.randint(1, n_cons)
                on_platform = rng.random() < 0.86
                if on_platform:
                    bid = bisect.bisect_left(biz_cum, rng.random() * acc) + 1
                    bname, ind, bregion = biz_info[bid]
                    region = bregion if rng.random() < 0.6 else rng.choice(counties)
                    owner_id = owner_base + bid
                else:
                    bid, owner_id = None, None
                    ind = rng.choices(industries, ind_w)[0]
                    region = rng.choice(counties)
                    bname = f"某{rng.choice(BIZ_WORDS)}{rng.choice(BIZ_WORDS)}商行"
                cat = rng.choices(cats, cat_w)[0]
                claimed = int(rng.lognormvariate(math.log(80_000), 1.2)) + 100
                c, evs = walk(rng, cid, created, now, consumer_id, owner_id, mediator_of[region[:2]], on_platform,
                              claimed)
                status_mix[c["status"]] = status_mix.get(c["status"], 0) + 1
                title = rng.choice(TITLES.get(cat, TITLES["other"]))
                desc = (f"{(created - timedelta(days=rng.randint(1, 30))).date():%Y年%m月%d日}在{bname}消费，{title}。"
                        f"多次联系商家未果，请求协助处理。涉及金额{claimed / 100:.2f}元。")
                comp_rows.append((
                    cid, public_no_for(cid, created), consumer_id, bid, bname, ind, region, cat, title, desc,
                    (created - timedelta(days=rng.randint(1, 30))).date(), f"NO{cid:010d}", claimed,
                    c["amount_recovered_fen"], json.dumps(rng.sample(DEMANDS, rng.choice((1, 1, 2)))),
                    rng.random() < 0.7, c["status"], c["deadline_at"], c["deadline_reminded"], created, c["updated_at"],
                    c["accepted_at"], c["forwarded_at"], c["first_response_at"], c["response_deadline_at"],
                    c["mediating_at"], c["ended_at"], c["closed_at"], c["settled_directly"], c["mediation_cooperated"],
                    c["went_to_mediation"], c["outcome"], c["rating"], c["rated_at"], 1 + len(evs),
                    next((e[9] for e in evs if e[3] in PERSON_ROLES), None)))
                ev_rows.extend(evs)
            copy("complaint", COMPLAINT_COLS, comp_rows)
            n_events += copy("complaint_event", EVENT_COLS, ev_rows)
        conn.commit()
        bar.close()
        t0 = time.perf_counter()
        for table in ("user_account", "business", "business_member", "complaint", "complaint_event"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        conn.commit()
        conn.autocommit = True
        cur.execute("VACUUM ANALYZE")
        timings["vacuum_analyze"] = time.perf_counter() - t0
        size = cur.execute("SELECT pg_database_size(current_database())").fetchone()[0]
        rel_sizes = dict(cur.execute(
            "SELECT relname, pg_total_relation_size(c.oid) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY 2 DESC LIMIT 6").fetchall())
    total = time.perf_counter() - t_start
    return {
        "scale": scale, "seed": seed, "now": now.isoformat(),
        "consumers": n_cons, "businesses": n_biz, "complaints": n_comp, "events": n_events,
        "status_mix": dict(sorted(status_mix.items(), key=lambda kv: -kv[1])),
        "rows": rows, "seconds": {k: round(v, 1) for k, v in timings.items()},
        "schema_seconds": round(t_schema, 1), "total_seconds": round(total, 1),
        "database_bytes": size, "database_mib": round(size / 2 ** 20, 1),
        "largest_tables_mib": {k: round(v / 2 ** 20, 1) for k, v in rel_sizes.items()},
        "field_key": field_key,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Generate and COPY the seed platform's year into a fresh PostgreSQL database.")
    p.add_argument("--admin-url", default="postgresql://root@127.0.0.1/postgres",
                   help="a URL on the server with the right to create databases")
    p.add_argument("--db", default="smart315_seedyear", help="database to (re)create (not bench_index.py's smart315_bench)")
    p.add_argument("--scale", type=float, default=1.0, help="1.0 = the full seed year")
    p.add_argument("--seed", type=int, default=315)
    p.add_argument("--out", default=None, help="write the JSON summary here too")
    p.add_argument("--no-progress", action="store_true")
    a = p.parse_args(argv)
    url = create_fresh_database(a.admin_url, a.db)
    summary = load(url, a.scale, a.seed, progress=not a.no_progress)
    summary["database_url"] = make_url(url).render_as_string(hide_password=True)
    out = json.dumps(summary, ensure_ascii=False, indent=2)
    print(out)
    if a.out:
        Path(a.out).parent.mkdir(parents=True, exist_ok=True)
        Path(a.out).write_text(out + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
