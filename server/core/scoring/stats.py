"""Set-based SQL aggregates behind the index: one grouped query fills every business's BusinessStats.

The incremental path (one business) and the full recompute (every business) call the same
:func:`collect_stats`, only with a ``business_ids`` filter, so both read the counts through the
same SQL and the same float arithmetic: equal numbers by construction, not by luck.

Definitions over complaints forwarded to the business in the trailing ``WINDOW_DAYS`` days
(``forwarded_at >= now - WINDOW_DAYS``) that count (:func:`counts_in_index`: a person has looked at
them, and no appeal against them was upheld):

* pending (not yet due): never answered and never escalated to mediation, i.e. still inside
  its response period or withdrawn inside it. This depends on the complaint's state only, not
  on the clock, so a recompute at another moment counts the same complaints as due.
* answered on time: ``first_response_at <= response_deadline_at``.
* response hours: forwarded → first response, capped at the deadline; an unanswered due
  complaint counts as the full deadline (formula.median_response_hours).
* mediation: ``went_to_mediation``; cooperated: ``mediation_cooperated``; ended: outcome
  resolved or unresolved; resolved: outcome resolved.
* ratings: ``rating`` given (1–5).
* an unkept settlement (since 2026.3): a complaint the consumer answered ``not_fulfilled`` to the
  fulfilment check (``fulfilment``) is never settled directly, and a mediation it went through counts
  as ended but not resolved, whatever happens to it afterwards.

On PostgreSQL the medians are ``percentile_cont(0.5)`` in the same grouped query; SQLite has no
ordered-set aggregates, so one ordered query fetches the due complaints' hours and Python takes
the medians (``statistics.median`` over the same capped values).
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import Float, and_, case, cast, func, not_, or_, select, text
from sqlalchemy.orm import Session

from server.core.models import Complaint
from server.core.scoring.formula import (
    DEFAULT_DEADLINE_HOURS,
    WINDOW_DAYS,
    BusinessStats,
    median_response_hours,
)


def window_start(now: datetime) -> datetime:
    return now - timedelta(days=WINDOW_DAYS)


def counts_in_index():
    """What counts (DESIGN.md, second release): a person has looked at it (a mediator or admin acted on it,
    or the business answered it: ``person_seen_at``), and no business appeal against it was upheld. A
    complaint only filed, or only moved on by the scheduler (auto-accept, forward, timeouts), never counts."""
    return and_(Complaint.person_seen_at.is_not(None), Complaint.index_excluded.is_(False))


def _in_window(now: datetime):
    return and_(Complaint.business_id.is_not(None), Complaint.forwarded_at.is_not(None),
                Complaint.forwarded_at >= window_start(now), counts_in_index())


def _due():
    return or_(Complaint.first_response_at.is_not(None), Complaint.went_to_mediation.is_(True))


def _count(cond):
    return func.sum(case((cond, 1), else_=0))


def collect_stats(session: Session, now: datetime, business_ids: Iterable[int] | None = None,
                  deadline_hours: float = DEFAULT_DEADLINE_HOURS) -> dict[int, BusinessStats]:
    """Every business with complaints in the window -> its BusinessStats (businesses without any are absent)."""
    ids = None if business_ids is None else sorted(set(business_ids))
    postgres = session.get_bind().dialect.name == "postgresql"
    pending = and_(Complaint.first_response_at.is_(None), not_(Complaint.went_to_mediation))
    mediation = Complaint.went_to_mediation.is_(True)
    # Since 2026.3 a settlement the consumer reports as not kept counts as not settled: not a direct
    # settlement, and a mediation that ended (and now is reopened, or settled again) without success.
    kept = or_(Complaint.fulfilment.is_(None), Complaint.fulfilment != "not_fulfilled")
    unkept = Complaint.fulfilment == "not_fulfilled"
    ended = and_(mediation, or_(Complaint.outcome.in_(("resolved", "unresolved")), unkept))
    columns = [
        Complaint.business_id,
        func.count().label("n_forwarded"),
        _count(and_(Complaint.first_response_at.is_not(None),
                    Complaint.first_response_at <= Complaint.response_deadline_at)).label("n_answered_on_time"),
        _count(pending).label("n_pending"),
        _count(Complaint.first_response_at.is_not(None)).label("n_responded"),
        _count(and_(Complaint.settled_directly.is_(True), Complaint.first_response_at.is_not(None), kept)
               ).label("n_settled_direct"),
        _count(mediation).label("n_mediation"),
        _count(and_(mediation, Complaint.mediation_cooperated.is_(True))).label("n_mediation_cooperated"),
        _count(ended).label("n_mediation_ended"),
        _count(and_(mediation, Complaint.outcome == "resolved", kept)).label("n_mediation_resolved"),
        func.count(Complaint.rating).label("n_ratings"),
        func.coalesce(func.sum(Complaint.rating), 0).label("rating_sum"),
    ]
    if postgres:
        hours = cast(func.extract("epoch", Complaint.first_response_at - Complaint.forwarded_at), Float) / 3600.0
        capped = func.least(func.coalesce(hours, deadline_hours), deadline_hours)
        columns.append(func.percentile_cont(0.5).within_group(capped).filter(_due()).label("median_hours"))
    stmt = select(*columns).where(_in_window(now)).group_by(Complaint.business_id)
    if ids is not None:
        stmt = stmt.where(Complaint.business_id.in_(ids))
    if postgres and ids is None:
        # One sort per business for the medians: keep it in memory for the full recompute.
        session.execute(text("SET LOCAL work_mem = '256MB'"))
    rows = session.execute(stmt).all()

    medians: dict[int, float | None] = {}
    if postgres:
        medians = {r.business_id: (None if r.median_hours is None else float(r.median_hours)) for r in rows}
    else:
        hq = (select(Complaint.business_id, Complaint.forwarded_at, Complaint.first_response_at)
              .where(_in_window(now), _due()).order_by(Complaint.business_id))
        if ids is not None:
            hq = hq.where(Complaint.business_id.in_(ids))
        per: dict[int, list[float | None]] = defaultdict(list)
        for bid, fwd, first in session.execute(hq):
            per[bid].append(None if first is None else (first - fwd).total_seconds() / 3600.0)
        medians = {bid: median_response_hours(h, deadline_hours) for bid, h in per.items()}

    out: dict[int, BusinessStats] = {}
    for r in rows:
        out[r.business_id] = BusinessStats(
            n_forwarded=int(r.n_forwarded), n_answered_on_time=int(r.n_answered_on_time or 0),
            median_response_hours=medians.get(r.business_id), n_pending=int(r.n_pending or 0),
            n_responded=int(r.n_responded or 0), n_settled_direct=int(r.n_settled_direct or 0),
            n_mediation=int(r.n_mediation or 0), n_mediation_cooperated=int(r.n_mediation_cooperated or 0),
            n_mediation_ended=int(r.n_mediation_ended or 0), n_mediation_resolved=int(r.n_mediation_resolved or 0),
            n_ratings=int(r.n_ratings or 0), rating_sum=int(r.rating_sum or 0),
        )
    return out
