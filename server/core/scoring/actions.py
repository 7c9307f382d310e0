"""Index maintenance: the incremental update after each complaint change and the set-based full recompute.

Why the two paths publish the same numbers, by construction:

* Counts: both read :func:`server.core.scoring.stats.collect_stats` (the same SQL, the incremental
  one with ``WHERE business_id = :id``), and the formula is pure and order-independent. What counts
  (a person has looked at the complaint, no upheld appeal) is a condition of that same SQL, on two
  columns of the complaint that are only set in a transaction that also updates the index.
* Industry means: shrinkage uses a *snapshot* of the industry means stored in ``IndustryMean``.
  Both paths read the snapshot; neither changes it. The snapshot is refreshed only by
  :func:`recompute_all` with ``refresh_means=True`` (the scheduled ``index.refresh`` job, daily),
  which then recomputes every business from the new snapshot in the same transaction. So at
  every commit each stored index equals what a full recompute with the stored snapshot gives.
  An industry without a snapshot yet uses ``NEUTRAL_PRIOR`` for every component, on both paths.
* Weights: both read the ``index_weights`` Setting (default ``DEFAULT_WEIGHTS``); changing the
  weights recomputes every business (see :func:`do_set_weights`).
* Time: the window is "forwarded in the trailing 365 days" as of ``now``; whether a complaint is
  still pending depends on its state, not on the clock. Both paths agree for the same ``now``;
  the scheduled full recompute rolls the window forward for businesses that had no change.

Concurrency (PostgreSQL; SQLite runs one writing transaction at a time): an update of one business
holds a transaction-scoped advisory lock on that business (and the shared side of a global one)
from before it reads the counts until it commits, so two changes of one business's complaints in
parallel queue, and the second counts the first (else it would read counts without the other's
change and overwrite its row, or both would insert the first row). A full recompute computes
without locks, then takes the global lock (in-flight updates commit first, new ones wait) and
recounts, under it, every business whose row it will write or that an update wrote meanwhile.
A batch of changes (the scheduler) defers its updates to the end and takes the locks in business
id order (:func:`index_updates_deferred`), so two batches cannot deadlock.

Month-end history: the current month's ``IndexHistory`` row of a business is rewritten by every
update of its index (incremental and full), so when the month ends its row holds the month-end value.
"""
from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Text, and_, cast, literal_column, select, text
from sqlalchemy.orm import Session

from server.core import locks
from server.core.cache import public_changed_on_commit
from server.core.errors import ValidationFailed
from server.core.models import Business, BusinessIndex, Complaint, IndexHistory, IndustryMean, Setting, utcnow
from server.core.scoring.formula import (
    COMPONENTS,
    DEFAULT_DEADLINE_HOURS,
    DEFAULT_WEIGHTS,
    FORMULA_VERSION,
    NEUTRAL_PRIOR,
    BusinessStats,
    IndexResult,
    component_values,
    compute_index,
    industry_means,
    normalize_weights,
)
from server.core.scoring.stats import collect_stats
from server.core.timeutil import SHANGHAI

log = logging.getLogger("smart315.scoring")

WEIGHTS_KEY = "index_weights"
MEANS_NOTE = (
    "行业均值为定期快照：每天由定时任务按全部经营者的数据重算一次，并随即用新快照全量重算所有经营者的指数；"
    "两次快照之间，即时更新和全量重算都使用同一份快照，因此二者结果完全一致。尚无快照的行业各分项取 50。"
)


# Transaction-scoped advisory locks (server/core/locks.py): key (locks.INDEX, 0) is the global lock, shared
# by every update of one business and exclusive for a full recompute; key (locks.INDEX, id) is one business.
_DEFERRED = "smart315.index_deferred"


def _lock_business(session: Session, business_id: int) -> None:
    # The global lock's shared side first, then the business (the outer row needs the CTE's row first):
    # holding the business while queued behind a full recompute's exclusive request could deadlock.
    if locks.on_postgres(session):
        session.execute(text("WITH g AS MATERIALIZED (SELECT pg_advisory_xact_lock_shared(:ns, 0)) "
                             "SELECT pg_advisory_xact_lock(:ns, :id) FROM g"), {"ns": locks.INDEX, "id": business_id})


def _lock_every_business(session: Session) -> None:
    if locks.on_postgres(session):
        session.execute(text("SELECT pg_advisory_xact_lock(:ns, 0)"), {"ns": locks.INDEX})


@contextmanager
def index_updates_deferred(session: Session, settings: Mapping[str, Any], now: datetime) -> Iterator[None]:
    """Inside, complaint changes only note their business; on leaving (without an error) each noted
    business is recomputed once as of ``now``, in ascending id order, so two batches touching the same
    businesses take their locks in the same order. Nested use joins the outer batch."""
    if _DEFERRED in session.info:
        yield
        return
    pending: set[int] = set()
    session.info[_DEFERRED] = pending
    try:
        yield
    finally:
        session.info.pop(_DEFERRED, None)
    for business_id in sorted(pending):
        recompute_business(session, settings, business_id, now)


# ------------------------------------------------------------------ settings and snapshot

def get_weights(session: Session) -> dict[str, float]:
    """The admin-configured weights (Setting ``index_weights``), else DEFAULT_WEIGHTS."""
    return _weights_of(session.get(Setting, WEIGHTS_KEY))


def _weights_of(row: Setting | None) -> dict[str, float]:
    if row is None or not isinstance(row.value, dict):
        return dict(DEFAULT_WEIGHTS)
    try:
        normalize_weights(row.value)
    except (ValueError, TypeError):
        log.warning("stored index weights are invalid; using the defaults")
        return dict(DEFAULT_WEIGHTS)
    return {name: float(row.value.get(name, 0)) for name in COMPONENTS}


def validate_weights(weights: Mapping[str, Any]) -> dict[str, float]:
    """Every component named, each a finite number ≥ 0, not all zero; else ValidationFailed."""
    errors = []
    out: dict[str, float] = {}
    for name in weights:
        if name not in COMPONENTS:
            errors.append({"field": f"weights.{name}", "message": f"未知分项，可选 {', '.join(COMPONENTS)}"})
    for name in COMPONENTS:
        value = weights.get(name)
        if value is None:
            errors.append({"field": f"weights.{name}", "message": "必填"})
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value or value in (
                float("inf"), float("-inf")) or value < 0 or value > 1000:
            errors.append({"field": f"weights.{name}", "message": "权重应为 0 到 1000 之间的数字"})
            continue
        out[name] = float(value)
    if not errors and sum(out.values()) <= 0:
        errors.append({"field": "weights", "message": "至少一个分项的权重必须大于 0"})
    if errors:
        raise ValidationFailed(errors)
    return out


def do_set_weights(session: Session, settings: Mapping[str, Any], weights: Mapping[str, Any],
                now: datetime | None = None) -> dict[str, Any]:
    """Store validated weights and recompute every business with them (same snapshot of means)."""
    clean = validate_weights(weights)
    row = session.get(Setting, WEIGHTS_KEY)
    if row is None:
        session.add(Setting(key=WEIGHTS_KEY, value=clean))
    else:
        row.value = clean
    session.flush()
    public_changed_on_commit(session, settings)  # the index method shows the weights
    return recompute_all(session, settings, now)


def load_means(session: Session, industry_code: str) -> dict[str, float]:
    row = session.get(IndustryMean, industry_code)
    return _means_of(row.components if row is not None else None)


def _means_of(components: Mapping[str, Any] | None) -> dict[str, float]:
    components = components or {}
    return {name: float(components.get(name, NEUTRAL_PRIOR)) for name in COMPONENTS}


def period_of(now: datetime) -> str:
    """The Shanghai calendar month of ``now`` as YYYY-MM."""
    return f"{now.astimezone(SHANGHAI):%Y-%m}"


# ------------------------------------------------------------------ one business

def _row_values(business: Business | tuple, stats: BusinessStats, result: IndexResult) -> dict[str, Any]:
    industry, region = (business.industry_code, business.region_code) if isinstance(business, Business) \
        else business
    counts: dict[str, Any] = dict(result.counts)
    counts.update({
        "forwarded": stats.n_forwarded, "pending": stats.n_pending, "due": stats.n_due,
        "answered_on_time": stats.n_answered_on_time, "responded": stats.n_responded,
        "settled_direct": stats.n_settled_direct, "mediation": stats.n_mediation,
        "mediation_cooperated": stats.n_mediation_cooperated, "mediation_ended": stats.n_mediation_ended,
        "mediation_resolved": stats.n_mediation_resolved, "ratings": stats.n_ratings,
        "rating_sum": stats.rating_sum,
        "median_response_hours": None if stats.median_response_hours is None
        else round(stats.median_response_hours, 2),
        "raw": {name: result.raw[name] for name in COMPONENTS},
    })
    return {
        "industry_code": industry, "region_code": region, "formula_version": result.version,
        "score": result.score, "grade": result.grade, "insufficient": result.insufficient,
        "components": dict(result.components), "counts": counts, "n_complaints": stats.n_forwarded,
    }


def compute_business(session: Session, business: Business, now: datetime,
                     weights: Mapping[str, float] | None = None,
                     means: Mapping[str, float] | None = None) -> tuple[BusinessStats, IndexResult]:
    """The index of one business from its current counts and the stored snapshot of its industry's means
    (weights / means: when the caller has just read them, else read here)."""
    stats = collect_stats(session, now, [business.id]).get(business.id, BusinessStats())
    weights = weights if weights is not None else get_weights(session)
    means = means if means is not None else load_means(session, business.industry_code)
    result = compute_index(stats, means, weights, DEFAULT_DEADLINE_HOURS)
    return stats, result


def recompute_business(session: Session, settings: Mapping[str, Any], business_id: int,
                       now: datetime | None = None) -> BusinessIndex | None:
    """Recompute and store one business's index and its current-month history row (no commit)."""
    now = now or utcnow()
    period = period_of(now)
    # Before any read: a parallel update of this business commits first and is counted below.
    _lock_business(session, business_id)
    # The business, its index and history rows, its industry's means and the weights: the rows
    # session.get would read one by one, in one statement (outer joins: each may be missing).
    # The counts are read after (collect_stats); none of these rows is written in between.
    found = session.execute(
        select(Business, BusinessIndex, IndexHistory, IndustryMean, Setting)
        .outerjoin(BusinessIndex, BusinessIndex.business_id == Business.id)
        .outerjoin(IndexHistory, and_(IndexHistory.business_id == Business.id, IndexHistory.period == period))
        .outerjoin(IndustryMean, IndustryMean.industry_code == Business.industry_code)
        .outerjoin(Setting, Setting.key == WEIGHTS_KEY)
        .where(Business.id == business_id)
    ).first()
    if found is None:
        return None
    business, idx, hist, means_row, weights_row = found
    stats, result = compute_business(session, business, now, weights=_weights_of(weights_row),
                                     means=_means_of(means_row.components if means_row is not None else None))
    values = _row_values(business, stats, result)
    if idx is None:
        idx = BusinessIndex(business_id=business_id)
        session.add(idx)
    for key, value in values.items():
        setattr(idx, key, value)
    idx.computed_at = now
    if hist is None:
        hist = IndexHistory(business_id=business_id, period=period)
        session.add(hist)
    hist.score, hist.grade, hist.n_complaints = result.score, result.grade, stats.n_forwarded
    session.flush()
    public_changed_on_commit(session, settings, business_id)
    return idx


def on_complaint_changed(session: Session, settings: Mapping[str, Any], complaint: Complaint, now: datetime) -> None:
    """Called in the transaction of every complaint change: refresh the business's index if it counts.

    Only complaints forwarded to a business enter its index; a change before forwarding (submit,
    accept, reject) or of a complaint against a business not on the platform changes no index. Of
    those, only the ones that count (stats.counts_in_index: a person has looked at it, no upheld
    appeal) enter the numbers; a change of either flag (a first look, an appeal decision) comes
    through here like a transition, so the incremental numbers stay those of a full recompute.
    The caller (a do_* that changed the complaint) asks for its business's cached profile to be dropped
    after commit; public aggregates refresh on their own short timer (server/core/cache.py).
    """
    if complaint.business_id is None or complaint.forwarded_at is None:
        return
    deferred = session.info.get(_DEFERRED)
    if deferred is not None:
        deferred.add(complaint.business_id)
        return
    recompute_business(session, settings, complaint.business_id, now)


# ------------------------------------------------------------------ every business

_JSON_COLS = ("components", "counts")
_COMPARED = ("industry_code", "region_code", "formula_version", "score", "grade", "insufficient", "components",
             "counts", "n_complaints")


def _pg_type(column) -> tuple[str, str]:
    """(recordset type, cast) for one column, when rows travel as one JSON document."""
    from sqlalchemy import JSON, Boolean, Float, Integer

    t = column.type
    if isinstance(t, JSON):
        return "text", "::json"
    if isinstance(t, Boolean):
        return "boolean", ""
    if isinstance(t, Integer):
        return "bigint", ""
    if isinstance(t, Float):
        return "double precision", ""
    if getattr(t, "impl", None) is not None and "DateTime" in type(t.impl).__name__:
        return "timestamptz", ""
    return "text", ""


def _upsert(session: Session, model, rows: list[dict[str, Any]], keys: tuple[str, ...]) -> None:
    """INSERT … ON CONFLICT DO UPDATE for many rows.

    PostgreSQL: one statement over ``jsonb_to_recordset`` of a single JSON parameter (tens of
    thousands of rows in about a second, where executemany takes many round trips). JSON
    columns travel as their exact text. SQLite: executemany in batches.
    """
    if not rows:
        return
    table = model.__table__
    names = list(rows[0])
    if session.get_bind().dialect.name == "postgresql":
        specs = {n: _pg_type(table.c[n]) for n in names}
        payload = []
        for row in rows:
            item = {}
            for n in names:
                v = row[n]
                if specs[n][1] == "::json":
                    v = json.dumps(v)  # the same text SQLAlchemy's JSON type writes
                elif isinstance(v, datetime):
                    v = v.isoformat()
                item[n] = v
            payload.append(item)
        cols = ", ".join(f'"{n}"' for n in names)
        defs = ", ".join(f'"{n}" {specs[n][0]}' for n in names)
        sel = ", ".join(f'r."{n}"{specs[n][1]}' for n in names)
        updates = ", ".join(f'"{n}" = EXCLUDED."{n}"' for n in names if n not in keys)
        sql = (f'INSERT INTO "{table.name}" ({cols}) SELECT {sel} FROM jsonb_to_recordset(CAST(:rows AS jsonb)) '
               f'AS r({defs}) ON CONFLICT ({", ".join(keys)}) DO UPDATE SET {updates}')
        for start in range(0, len(payload), 20000):
            session.execute(text(sql), {"rows": json.dumps(payload[start:start + 20000], ensure_ascii=False)})
        return
    from sqlalchemy.dialects.sqlite import insert

    for start in range(0, len(rows), 5000):
        batch = rows[start:start + 5000]
        stmt = insert(table)
        stmt = stmt.on_conflict_do_update(
            index_elements=[table.c[k] for k in keys],
            set_={c: stmt.excluded[c] for c in names if c not in keys},
        )
        session.execute(stmt, batch)


def take_means_snapshot(session: Session, stats: Mapping[int, BusinessStats], industry_of: Mapping[int, str],
                  now: datetime) -> dict[str, dict[str, float]]:
    """A new snapshot of every industry's means from the given stats (formula.industry_means)."""
    values_by_industry: dict[str, list] = {}
    for bid, code in industry_of.items():
        values_by_industry.setdefault(code, [])
        s = stats.get(bid)
        if s is not None:
            values_by_industry[code].append(component_values(s, DEFAULT_DEADLINE_HOURS))
    for code in session.execute(select(IndustryMean.industry_code)).scalars():
        values_by_industry.setdefault(code, [])
    means = {code: industry_means(vals) for code, vals in values_by_industry.items()}
    _upsert(session, IndustryMean, [{"industry_code": code, "components": m, "computed_at": now}
                                    for code, m in sorted(means.items())], ("industry_code",))
    return means


def recompute_all(session: Session, settings: Mapping[str, Any], now: datetime | None = None, *,
                  refresh_means: bool = False) -> dict[str, Any]:
    """Recompute every business's index set-based; write only rows that changed. Returns a summary.

    One grouped aggregate query gives every business's counts (plus one ordered query for the
    medians on SQLite); businesses with no complaint in the window get the empty stats. With
    ``refresh_means`` the industry-means snapshot is retaken first (the daily job); without it the
    stored snapshot is used, so the numbers equal the incremental ones (see the module docstring).
    """
    now = now or utcnow()
    t0 = time.perf_counter()
    period = period_of(now)
    # The stored rows first: on PostgreSQL each with its row version (xmin: the transaction that last
    # wrote it), so a row any update rewrites after this read is told apart below, exactly.
    postgres = locks.on_postgres(session)
    row_version = literal_column("business_index.xmin::text" if postgres else "NULL").label("row_version")
    # JSON columns are compared as their stored text (json.dumps, as SQLAlchemy and _upsert write them):
    # parsing 2 × 43k documents only to find them equal would cost seconds.
    existing = {r.business_id: r for r in session.execute(
        select(BusinessIndex.business_id, row_version,
               *[cast(getattr(BusinessIndex, c), Text).label(c) if c in _JSON_COLS
                 else getattr(BusinessIndex, c) for c in _COMPARED]))}
    hist_existing = {r.business_id: (r.score, r.grade, r.n_complaints) for r in session.execute(
        select(IndexHistory.business_id, IndexHistory.score, IndexHistory.grade, IndexHistory.n_complaints)
        .where(IndexHistory.period == period))}
    businesses = {b.id: b for b in session.execute(select(Business.id, Business.industry_code,
                                                          Business.region_code))}
    stats = collect_stats(session, now)
    t_stats = time.perf_counter()
    industry_of = {bid: b.industry_code for bid, b in businesses.items()}
    if refresh_means:
        stored_means = {code: _means_of(m) for code, m in take_means_snapshot(session, stats, industry_of, now).items()}
    else:
        stored_means = {r.industry_code: _means_of(r.components)
                        for r in session.execute(select(IndustryMean)).scalars()}
    weights = get_weights(session)
    neutral = _means_of(None)
    empty = BusinessStats()
    memo: dict[tuple, tuple[IndexResult, dict[str, Any]]] = {}

    def evaluate(bid: int, s: BusinessStats) -> tuple[BusinessStats, IndexResult, dict[str, Any]]:
        b = businesses[bid]
        # Many businesses share identical counts (a handful of complaints); the formula is pure.
        key = (s, b.industry_code, b.region_code)
        hit = memo.get(key)
        if hit is None:
            result = compute_index(s, stored_means.get(b.industry_code, neutral), weights, DEFAULT_DEADLINE_HOURS)
            hit = memo[key] = (result, _row_values((b.industry_code, b.region_code), s, result))
        return (s, *hit)

    def differs_from_stored(bid: int) -> tuple[bool, bool]:
        """(index row differs, history row differs) from the rows read at the start."""
        s, result, values = final[bid]
        old = existing.get(bid)
        return (old is None or any((getattr(old, c) != json.dumps(values[c])) if c in _JSON_COLS
                                   else (getattr(old, c) != values[c]) for c in _COMPARED),
                hist_existing.get(bid) != (result.score, result.grade, s.n_forwarded))

    final = {bid: evaluate(bid, stats.get(bid, empty)) for bid in businesses}
    differs = {bid: differs_from_stored(bid) for bid in final}
    recounted = 0
    t_locked = None
    if postgres:
        # The counts above may already be old: recount, under the global lock, what will be written and
        # what an update wrote meanwhile (its row is right, but perhaps with the means replaced here).
        _lock_every_business(session)
        t_locked = time.perf_counter()
        touched = {bid for bid, version in session.execute(select(BusinessIndex.business_id, row_version))
                   if bid in businesses and (bid not in existing or existing[bid].row_version != version)}
        redo = sorted({bid for bid, d in differs.items() if any(d)} | touched)
        if redo:
            fresh = collect_stats(session, now, redo if len(redo) <= 2000 else None)
            for bid in redo:
                final[bid] = evaluate(bid, fresh.get(bid, empty))
                # A row an update wrote meanwhile is not the one read at the start: write both.
                differs[bid] = (True, True) if bid in touched else differs_from_stored(bid)
            recounted = len(redo)
    changed: list[dict[str, Any]] = []
    hist_rows: list[dict[str, Any]] = []
    graded = insufficient = 0
    for bid, (s, result, values) in final.items():
        if result.insufficient:
            insufficient += 1
        else:
            graded += 1
        index_differs, history_differs = differs[bid]
        if index_differs:
            changed.append({"business_id": bid, **values, "computed_at": now})
        if history_differs:
            hist_rows.append({"business_id": bid, "period": period, "score": result.score,
                              "grade": result.grade, "n_complaints": s.n_forwarded})
    t_compute = time.perf_counter()
    _upsert(session, BusinessIndex, changed, ("business_id",))
    _upsert(session, IndexHistory, hist_rows, ("business_id", "period"))
    # Objects already loaded in this session must not shadow what the bulk statements wrote.
    for obj in list(session.identity_map.values()):
        if isinstance(obj, (BusinessIndex, IndexHistory, IndustryMean)):
            session.expire(obj)
    public_changed_on_commit(session, settings)
    t_write = time.perf_counter()
    return {
        "formula_version": FORMULA_VERSION, "now": now.isoformat(), "period": period,
        "businesses": len(businesses), "with_complaints": len(stats), "graded": graded,
        "insufficient": insufficient, "changed": len(changed), "history_rows": len(hist_rows),
        "recounted_under_lock": recounted, "means_refreshed": refresh_means, "weights": weights,
        "seconds": {"stats": round(t_stats - t0, 3), "compute": round(t_compute - t_stats, 3),
                    "write": round(t_write - t_compute, 3), "total": round(t_write - t0, 3),
                    # how long index updates of single businesses waited for this, at most
                    "under_lock": None if t_locked is None else round(t_write - t_locked, 3)},
    }

