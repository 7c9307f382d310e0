"""Page routes: Jinja shells for every page, role gates for the consoles, and the mediator CSV export.

Pages carry no data of their own except who is signed in; each page's ES module under
static/js fetches what it shows from /api/v1 with the session cookie (see session.py).
"""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from datetime import datetime
from functools import wraps
from urllib.parse import quote
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    stream_with_context,
)
from sqlalchemy import select

from server.api.context import db_session
from server.core.identity.accounts import TEXT_SIZES as ACCOUNT_TEXT_SIZES
from server.core.reference import region_full_name
from server.core.vocabulary import ROLES, STATUSES, vocabulary
from server.web.session import csrf_token, session_user

bp = Blueprint("web", __name__, template_folder="templates", static_folder="static", static_url_path="/static")

SHANGHAI = ZoneInfo("Asia/Shanghai")

STATUS_NAMES = STATUSES

KIND_NAMES = ROLES

@bp.context_processor
def _labels() -> dict:
    """Every page embeds the one vocabulary; static/js/lib.js reads it (no label tables in the scripts)."""
    # Serialized here, not with |tojson, which sorts keys: the scripts show components in this order.
    # A meta attribute (autoescaped), not an inline script: the CSP allows no inline script at all.
    settings = current_app.config["SMART315"]
    # The signed-in person's own choice first (it follows them to every device), else this device's.
    user = g.get("smart315_page_user")  # set by page() before it renders: no second look-up
    text_size = (user.text_size if user is not None and user.text_size else None) \
        or request.cookies.get(TEXT_SIZE_COOKIE, "")
    return {"vocabulary_json": json.dumps(vocabulary(), ensure_ascii=False),
            "text_size": text_size if text_size in TEXT_SIZES else "normal",
            "icp_number": settings["ICP_NUMBER"],
            "public_security_record": settings["PUBLIC_SECURITY_RECORD"],
            "public_security_code": "".join(ch for ch in settings["PUBLIC_SECURITY_RECORD"]
                                            if ch.isdigit())}


# Text size per device (a cookie the header's buttons set, read here so the page renders at that size);
# "elder" is 长辈版: the largest text, wider spacing, bigger targets (MIIT 适老化).
TEXT_SIZE_COOKIE = "smart315_text"
TEXT_SIZES = ACCOUNT_TEXT_SIZES


PUBLIC_NAV = [
    ("/", "首页"), ("/stats", "数据统计"), ("/rankings", "指数排行"), ("/cases", "投诉案例"),
    ("/disclosures", "信息公开"), ("/index-method", "指数说明"), ("/consult", "维权咨询"), ("/help", "帮助"),
]


def _user_nav(user) -> list[tuple[str, str]]:
    if user is None:
        return [("/complaints/new", "我要投诉"), ("/reports/new", "我要举报")]
    nav = []
    if user.kind in ("consumer", "business_staff"):
        nav += [("/complaints/new", "我要投诉"), ("/reports/new", "我要举报"), ("/my/complaints", "我的投诉")]
    if user.kind == "business_staff":
        nav.append(("/console/business", "商家后台"))
    if user.kind in ("mediator", "admin"):
        nav.append(("/console/mediator", "调解员后台"))
    if user.kind == "admin":
        nav.append(("/admin", "系统管理"))
    return nav


def page(template: str, *, title: str, script: str | None = None, charts: bool = False, **ctx) -> str:
    user = ctx.pop("user", None) or session_user()
    g.smart315_page_user = user
    return render_template(
        template, title=title, script=script, charts=charts, user=user, csrf=csrf_token(),
        kind_name=KIND_NAMES.get(user.kind, "") if user else "", public_nav=PUBLIC_NAV,
        user_nav=_user_nav(user), path=request.path, **ctx)


def require(*kinds: str):
    """Send signed-out visitors to /login?next=...; answer 403 to a signed-in user of another role."""

    def decorate(fn):
        @wraps(fn)
        def wrapper(*args, **kwargs):
            user = session_user()
            if user is None:
                return redirect("/login?next=" + quote(request.full_path.rstrip("?"), safe="/"))
            if kinds and user.kind not in kinds:
                return Response(page("forbidden.html", title="没有权限", user=user), status=403)
            return fn(user, *args, **kwargs)

        return wrapper

    return decorate


# ------------------------------------------------------------------ public

@bp.get("/")
def home():
    return page("home.html", title="智慧3·15 消费维权平台", script="home.js", charts=True)


@bp.get("/stats")
def stats():
    return page("stats.html", title="数据统计", script="stats.js", charts=True)


@bp.get("/rankings")
def rankings():
    return page("rankings.html", title="投诉处理指数排行", script="rankings.js")


@bp.get("/businesses/<int:business_id>")
def business(business_id: int):
    return page("business.html", title="商家档案", script="business.js", charts=True, business_id=business_id)


@bp.get("/cases")
def cases():
    return page("cases.html", title="投诉案例", script="cases.js")


def public_case(s, public_no: str) -> dict | None:
    """One published case as the public may read it (the same rule and redaction as /public/complaints),
    with its outcome and the business's public reply; None when it is not public."""
    from server.core.assist.taxonomy import INDUSTRY_NAMES
    from server.core.casefile import replies_of
    from server.core.models import Category, Complaint, User
    from server.core.money import format_yuan
    from server.core.publication import public_clause, public_text

    if not public_no or len(public_no) > 24:
        return None
    row = s.execute(select(Complaint, User.display_name).outerjoin(User, User.id == Complaint.consumer_id)
                    .where(public_clause(), Complaint.public_no == public_no)).first()
    if row is None:
        return None
    c, display_name = row
    text = public_text(c, display_name)
    reply = replies_of(s, [c.id]).get(c.id)
    category = s.execute(select(Category.name).where(Category.code == c.category)).scalar_one_or_none()
    from server.core.collective import collectives

    group = collectives(s, [c]).get(c.id)
    return {
        "members": group["members"] if group else None,
        "public_no": c.public_no, "title": text["title"], "description": text["description"],
        "status": c.status, "status_name": STATUS_NAMES.get(c.status, c.status),
        "outcome_name": STATUS_NAMES.get(c.outcome, "") if c.outcome else "",
        "business_id": c.business_id, "business_name": c.business_name,
        "industry_name": INDUSTRY_NAMES.get(c.industry_code, c.industry_code),
        "category_name": category or c.category, "region_name": region_full_name(c.region_code),
        "amount_claimed": format_yuan(c.amount_claimed_fen), "amount_recovered": format_yuan(c.amount_recovered_fen),
        "rating": c.rating, "created": _local(c.created_at)[:10], "accepted": _local(c.accepted_at)[:10],
        "closed": _local(c.closed_at)[:10] if getattr(c, "closed_at", None) else "",
        "reply": None if reply is None else {"text": reply.text, "replied": _local(reply.replied_at)},
    }


@bp.get("/cases/<public_no>")
def case_detail(public_no: str):
    found = public_case(db_session(), public_no)
    if found is None:
        return page("case.html", title="案例不存在", case=None), 404
    return page("case.html", title=found["title"], case=found)


def recent_periods(now: datetime, n: int = 12) -> list[str]:
    """The last n complete months (YYYY-MM), newest first, in Beijing time."""
    local = now.astimezone(SHANGHAI)
    y, m = local.year, local.month
    out = []
    for _ in range(n):
        m -= 1
        if m == 0:
            y, m = y - 1, 12
        out.append(f"{y:04d}-{m:02d}")
    return out


@bp.get("/disclosures")
def disclosures():
    from server.core.models import Disclosure, utcnow

    s = db_session()
    published = [d.period for d in s.execute(select(Disclosure).order_by(Disclosure.period.desc()).limit(36)).scalars()]
    periods = published or recent_periods(utcnow())
    return page("disclosures.html", title="信息公开", periods=periods, published=bool(published))


@bp.get("/help")
def help_page():
    return page("help.html", title="帮助与维权指南")


@bp.get("/legal/privacy")
def legal_privacy():
    from server.core.legal import DOCUMENTS

    return page("legal/privacy.html", title="隐私政策", doc=DOCUMENTS["privacy"])


@bp.get("/legal/terms")
def legal_terms():
    from server.core.legal import DOCUMENTS

    return page("legal/terms.html", title="用户服务协议", doc=DOCUMENTS["terms"])


@bp.get("/favicon.ico")
def favicon():
    return bp.send_static_file("favicon.ico")


@bp.get("/index-method")
def index_method():
    return page("index_method.html", title="投诉处理指数说明", script="index-method.js")


@bp.get("/consult")
def consult():
    return page("consult.html", title="维权咨询", script="consult.js")


@bp.get("/login")
def login():
    from server.web.session import safe_next

    return page("login.html", title="登录", script="login.js", next_url=safe_next(request.args.get("next")))


# ------------------------------------------------------------------ consumers

@bp.get("/complaints/new")
@require("consumer", "business_staff")
def complaint_new(user):
    return page("complaint_new.html", title="我要投诉", script="complaint-new.js", user=user)


@bp.get("/reports/new")
@require("consumer", "business_staff")
def report_new(user):
    return page("report_new.html", title="我要举报", script="report-new.js", user=user)


@bp.get("/verify/<public_no>")
def verify(public_no: str):
    """Is this receipt genuine? The public number, status, acceptance date and business; no personal data."""
    from server.core.models import Complaint
    from server.core.receipt import verification

    found = None
    if len(public_no) <= 24:
        found = verification(db_session().execute(select(Complaint).where(Complaint.public_no == public_no))
                             .scalar_one_or_none())
    return page("verify.html", title="投诉受理回执核验", found=found, public_no=public_no[:24]), 200 if found else 404


@bp.get("/my/complaints")
@require()
def my_complaints(user):
    return page("my_complaints.html", title="我的投诉", script="my-complaints.js", user=user)


@bp.get("/my/complaints/<int:complaint_id>")
@require()
def my_complaint(user, complaint_id: int):
    return page("my_complaint.html", title="投诉详情", script="my-complaint.js", user=user, complaint_id=complaint_id)


# ------------------------------------------------------------------ consoles

@bp.get("/console/business")
@require("business_staff")
def console_business(user):
    return page("console_business.html", title="商家后台", script="console-business.js", charts=True, user=user)


@bp.get("/console/mediator")
@require("mediator", "admin")
def console_mediator(user):
    return page("console_mediator.html", title="调解员后台", script="console-mediator.js", user=user,
                region_name=(region_full_name(user.region_code) or user.region_code) if user.region_code else "全部")


@bp.get("/admin")
@require("admin")
def admin(user):
    from datetime import UTC, datetime

    from server.core.timeutil import calendar_status, local_today

    return page("admin.html", title="系统管理", script="admin.js", user=user,
                calendar=calendar_status(local_today(datetime.now(UTC))))


EXPORT_COLUMNS = ("投诉编号", "状态", "标题", "被投诉经营者", "行业", "地区", "类别", "诉求金额（元）",
                  "挽回金额（元）", "提交时间", "处理期限")


def _local(dt) -> str:
    return dt.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if dt else ""


def export_rows(s, actor, status: str | None) -> Iterable[list[str]]:
    from server.core.assist.taxonomy import INDUSTRY_NAMES
    from server.core.complaints.states import OPEN_STATES
    from server.core.complaints.visibility import visibility_clause
    from server.core.models import Category, Complaint, utcnow
    from server.core.money import format_yuan
    from server.core.reference import region_full_name

    categories = dict(s.execute(select(Category.code, Category.name)).all())
    stmt = select(Complaint).where(visibility_clause(actor))
    if status == "open":
        stmt = stmt.where(Complaint.status.in_(OPEN_STATES))
    elif status == "overdue":
        stmt = stmt.where(Complaint.status.in_(OPEN_STATES), Complaint.deadline_at < utcnow())
    elif status:
        stmt = stmt.where(Complaint.status == status)
    stmt = stmt.order_by(Complaint.created_at.desc(), Complaint.id.desc()).execution_options(yield_per=500)
    for c in s.execute(stmt).scalars():
        yield [c.public_no or str(c.id), STATUS_NAMES.get(c.status, c.status), c.title, c.business_name,
               INDUSTRY_NAMES.get(c.industry_code, c.industry_code), region_full_name(c.region_code),
               categories.get(c.category, c.category), format_yuan(c.amount_claimed_fen) or "",
               format_yuan(c.amount_recovered_fen) or "", _local(c.created_at), _local(c.deadline_at)]


def _csv_safe(value: str) -> str:
    """Neutralise spreadsheet formulas in text that consumers wrote (CSV injection)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


@bp.get("/console/mediator/export.csv")
@require("mediator", "admin")
def mediator_export(user):
    from server.core.actor import actor_for_user
    from server.core.complaints.states import ALL_STATES

    status = request.args.get("status") or None
    if status not in (None, "open", "overdue", *ALL_STATES):
        abort(400)
    s = db_session()
    actor = actor_for_user(s, user)

    def generate():
        try:
            buf = io.StringIO()
            writer = csv.writer(buf)
            buf.write("\ufeff")  # Excel opens UTF-8 only with a BOM
            writer.writerow(EXPORT_COLUMNS)
            for row in export_rows(s, actor, status):
                writer.writerow([_csv_safe(v) for v in row])
                if buf.tell() > 16384:
                    yield buf.getvalue()
                    buf.seek(0)
                    buf.truncate()
            yield buf.getvalue()
        finally:
            # End the read transaction with the stream, not when the server gets round to closing the
            # response: an open transaction holds locks (and, on PostgreSQL, blocks TRUNCATE and DDL).
            s.close()

    from server.core.models import utcnow

    name = f"complaints-{user.region_code or 'all'}-{utcnow().astimezone(SHANGHAI):%Y%m%d}.csv"
    return Response(stream_with_context(generate()), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
