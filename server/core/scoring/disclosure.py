"""Monthly disclosure (月度公示): one row per business with complaints forwarded in the month, frozen on publish.

Byte-for-byte reproducible: the content depends only on the database and the period (no
"now" inside), rows are in a total order, numbers are formatted with integer arithmetic, the
CSV is UTF-8 with a BOM and CRLF line ends (Excel opens it with the Chinese headers intact),
the JSON has a fixed key order. Once published the bytes are stored and served as stored.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from server.core.assist.taxonomy import INDUSTRY_NAMES
from server.core.errors import NotFound, ValidationFailed
from server.core.models import Business, Complaint, Disclosure, IndexHistory, utcnow
from server.core.money import format_yuan
from server.core.reference import region_full_name
from server.core.scoring.formula import FORMULA_VERSION, MIN_COMPLAINTS
from server.core.timeutil import SHANGHAI

PERIOD_RE = re.compile(r"^([0-9]{4})-(0[1-9]|1[0-2])$")
log = logging.getLogger("smart315.scoring.disclosure")

# (JSON key, Chinese CSV header)
COLUMNS: tuple[tuple[str, str], ...] = (
    ("period", "统计期"),
    ("business_name", "经营者名称"),
    ("credit_code", "统一社会信用代码"),
    ("industry", "行业"),
    ("region", "所在地区"),
    ("complaints", "转交投诉数"),
    ("responded", "已答复数"),
    ("response_rate", "答复率(%)"),
    ("answered_on_time", "按时答复数"),
    ("resolved", "已解决数"),
    ("resolution_rate", "解决率(%)"),
    ("mediation", "进入调解数"),
    ("amount_recovered", "挽回经济损失(元)"),
    ("index", "投诉处理指数(月末)"),
    ("grade", "等级"),
)


def check_period(period: str) -> tuple[datetime, datetime]:
    """YYYY-MM -> [start, end) in UTC of that Shanghai calendar month; ValidationFailed otherwise."""
    m = PERIOD_RE.match(period or "")
    if not m:
        raise ValidationFailed([{"field": "period", "message": "统计期格式应为 YYYY-MM，例如 2026-10"}])
    year, month = int(m.group(1)), int(m.group(2))
    if not 1900 <= year <= 9998:  # year 0 is no date at all (ValueError), year 1 overflows in UTC
        raise ValidationFailed([{"field": "period", "message": "统计期格式应为 YYYY-MM，年份在 1900 到 9998 之间"}])
    start = datetime(year, month, 1, tzinfo=SHANGHAI)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=SHANGHAI)
    return start.astimezone(UTC), end.astimezone(UTC)


def _pct(part: int, whole: int) -> str:
    """Percentage with one decimal, rounded half up with integers only (no float formatting drift)."""
    if not whole:
        return ""
    tenths = (2000 * part + whole) // (2 * whole)
    return f"{tenths // 10}.{tenths % 10}"


def disclosure_rows(session: Session, period: str) -> list[dict[str, str]]:
    """The period's rows, as strings, in a total order (industry, business name, credit code)."""
    start, end = check_period(period)
    c = Complaint
    # A complaint whose business appeal was upheld is not this business's complaint (not a consumer, a
    # duplicate, malicious, the wrong business): it leaves the business's row as it leaves its index. A
    # disclosure already published keeps its stored bytes.
    in_period = and_(c.business_id.is_not(None), c.forwarded_at >= start, c.forwarded_at < end,
                     c.index_excluded.is_(False))

    def count(cond):
        return func.sum(case((cond, 1), else_=0))

    agg = (select(c.business_id, func.count().label("complaints"),
                  count(c.first_response_at.is_not(None)).label("responded"),
                  count(and_(c.first_response_at.is_not(None), c.first_response_at <= c.response_deadline_at)
                        ).label("on_time"),
                  count(c.outcome == "resolved").label("resolved"),
                  count(c.went_to_mediation.is_(True)).label("mediation"),
                  func.coalesce(func.sum(case((c.outcome == "resolved", c.amount_recovered_fen), else_=0)), 0
                                ).label("recovered"))
           .where(in_period).group_by(c.business_id).subquery())
    rows = session.execute(
        select(Business.id, Business.name, Business.credit_code, Business.industry_code, Business.region_code,
               agg.c.complaints, agg.c.responded, agg.c.on_time, agg.c.resolved, agg.c.mediation, agg.c.recovered,
               IndexHistory.score, IndexHistory.grade, IndexHistory.n_complaints)
        .join(agg, agg.c.business_id == Business.id)
        .outerjoin(IndexHistory, and_(IndexHistory.business_id == Business.id, IndexHistory.period == period))
    ).all()
    out = []
    for r in rows:
        if r.score is None:
            index, grade = "", ""
        else:
            index = f"{r.score:.1f}"
            grade = r.grade or ("数据不足" if (r.n_complaints or 0) < MIN_COMPLAINTS else "")
        out.append({
            "period": period,
            "business_name": r.name,
            "credit_code": r.credit_code,
            "industry": INDUSTRY_NAMES.get(r.industry_code, r.industry_code),
            "region": region_full_name(r.region_code) or r.region_code,
            "complaints": str(int(r.complaints)),
            "responded": str(int(r.responded or 0)),
            "response_rate": _pct(int(r.responded or 0), int(r.complaints)),
            "answered_on_time": str(int(r.on_time or 0)),
            "resolved": str(int(r.resolved or 0)),
            "resolution_rate": _pct(int(r.resolved or 0), int(r.complaints)),
            "mediation": str(int(r.mediation or 0)),
            "amount_recovered": format_yuan(int(r.recovered or 0)),
            "index": index,
            "grade": grade,
            "_sort": (r.industry_code, r.name, r.credit_code),
        })
    out.sort(key=lambda row: row["_sort"])
    for row in out:
        del row["_sort"]
    return out


def render(period: str, rows: list[dict[str, str]]) -> tuple[bytes, str]:
    """(CSV bytes with BOM, JSON text) for the rows; a pure function of its arguments."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([header for _, header in COLUMNS])
    for row in rows:
        writer.writerow([row[key] for key, _ in COLUMNS])
    csv_bytes = "\ufeff".encode("utf-8") + buf.getvalue().encode("utf-8")
    doc = {
        "period": period,
        "formula_version": FORMULA_VERSION,
        "columns": [{"key": key, "header": header} for key, header in COLUMNS],
        "row_count": len(rows),
        "rows": [{key: row[key] for key, _ in COLUMNS} for row in rows],
    }
    return csv_bytes, json.dumps(doc, ensure_ascii=False, indent=1) + "\n"


def build_disclosure(session: Session, period: str) -> tuple[bytes, str]:
    return render(period, disclosure_rows(session, period))


def do_publish_disclosure(session: Session, settings: Mapping[str, Any], period: str,
                       now: datetime | None = None) -> Disclosure:
    """Freeze the month's disclosure (no commit); a period already published returns its stored row unchanged."""
    start, end = check_period(period)
    existing = session.get(Disclosure, period)
    if existing is not None:
        return existing
    now = now or utcnow()
    if end > now:
        raise ValidationFailed([{"field": "period", "message": "该统计期尚未结束，不能公示"}])
    csv_bytes, json_text = build_disclosure(session, period)
    d = Disclosure(period=period, published_at=now, csv_bytes=csv_bytes, json_text=json_text,
                   sha256=hashlib.sha256(csv_bytes).hexdigest())
    _record_checkpoint(session, settings, d, now)
    session.add(d)
    session.flush()
    from server.core.cache import public_changed_on_commit

    public_changed_on_commit(session, settings)  # the disclosure list
    return d


def _record_checkpoint(session: Session, settings: Mapping[str, Any], d: Disclosure, now: datetime) -> None:
    """Write the signed audit checkpoint published with the month (AUDIT_CHECKPOINT_DIR) and record its name
    and SHA-256. Without a usable signing key the disclosure is still published (it is due), with none recorded
    and an error in the log."""
    from server.core.auditchain import AuditError, write_checkpoint

    try:
        path, digest = write_checkpoint(session, settings, now=now, label=f"disclosure-{d.period}")
    except (AuditError, OSError):
        log.exception("disclosure %s: no audit checkpoint written", d.period)
        return
    d.audit_checkpoint_name, d.audit_checkpoint_sha256 = path.name, digest


def get_disclosure(session: Session, period: str) -> Disclosure:
    check_period(period)
    d = session.get(Disclosure, period)
    if d is None:
        raise NotFound(f"{period} 的月度公示尚未发布")
    return d


def previous_period(now: datetime) -> str:
    local = now.astimezone(SHANGHAI)
    year, month = (local.year, local.month - 1) if local.month > 1 else (local.year - 1, 12)
    return f"{year:04d}-{month:02d}"
