"""The worker's delivery loop: claim due outbox rows under a lease, send each outside the claiming
transaction (server/core/notifications/dispatch.py: send_row), record the result (dispatch.outcome_values:
retry with exponential backoff and jitter, give up into "dead" after a bound).

Claiming. One short transaction selects due rows -- pending ones whose next_attempt_at has come
and "sending" ones whose lease has expired (their worker died mid-send) -- and marks them
send_state="sending", lease_until=now+lease, attempts+1. On PostgreSQL the select takes
`FOR UPDATE SKIP LOCKED`, so concurrent workers take disjoint rows without waiting; on SQLite the
transaction is BEGIN IMMEDIATE (server/db.py) and the UPDATE repeats the due condition, so a row
already taken is simply not updated (an atomic conditional claim).

Fencing. The attempt number taken at claim time is the claim's token: a result is written only
`WHERE send_state='sending' AND attempts=<that number>`, so a worker that overran its lease can
never overwrite the result of the worker that took the row over. The lease (NOTIFY_LEASE_SECONDS,
default 60) is far longer than any send can take (every HTTP call times out after 5 s), so a live
worker always finishes before anyone else may claim its rows: nothing is sent twice except after a
crash *during* a send, when the receiver may see the same delivery id again.

States: pending -> sending -> sent | pending (retry) | failed (permanent) | dead (gave up after
NOTIFY_GIVE_UP_SECONDS, default 24 h, from the row's creation) | skipped (by rule, e.g. no grant).
"""
from __future__ import annotations

import logging
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update

from server.core.models import Notification, WebhookDelivery, utcnow
from server.core.notifications.channels import Context, Outcome
from server.core.notifications.dispatch import outcome_values, send_row, setting

log = logging.getLogger("smart315.notifications")


def _due(now: datetime):
    return or_(and_(Notification.send_state == "pending", Notification.next_attempt_at <= now),
               and_(Notification.send_state == "sending", Notification.lease_until < now))


def claim(db, settings: Mapping[str, Any], now: datetime, limit: int | None = None) -> list[Notification]:
    """Take up to `limit` due rows for this worker; returns detached rows (attributes loaded)."""
    limit = int(limit or setting(settings, "NOTIFY_BATCH_SIZE"))
    lease_until = now + timedelta(seconds=setting(settings, "NOTIFY_LEASE_SECONDS"))
    with db.session() as s:
        pick = (select(Notification.id).where(_due(now))
                .order_by(Notification.next_attempt_at, Notification.id).limit(limit))
        if db.is_postgres:
            pick = pick.with_for_update(skip_locked=True)
        ids = list(s.execute(pick).scalars())
        if not ids:
            s.commit()
            return []
        taken = list(s.execute(
            update(Notification).where(Notification.id.in_(ids), _due(now))
            .values(send_state="sending", lease_until=lease_until, attempts=Notification.attempts + 1)
            .returning(Notification.id).execution_options(synchronize_session=False)).scalars())
        rows = list(s.execute(select(Notification).where(Notification.id.in_(taken))
                              .order_by(Notification.id)).scalars()) if taken else []
        s.commit()
        return rows


def record(db, settings: Mapping[str, Any], row: Notification, outcome: Outcome, now: datetime | None = None) -> str:
    """Write the outcome if this worker still holds the row; returns the state written (or "lost")."""
    now = now or utcnow()
    state, values = outcome_values(settings, row, outcome, now)
    with db.session() as s:
        res = s.execute(update(Notification).where(
            Notification.id == row.id, Notification.send_state == "sending", Notification.attempts == row.attempts,
        ).values(**values).execution_options(synchronize_session=False))
        if outcome.record is not None:
            s.add(WebhookDelivery(notification_id=row.id, attempt=row.attempts, created_at=now, **outcome.record))
        s.commit()
    if res.rowcount != 1:
        log.warning("notification %s: lease lost before the result (%s) was written", row.id, state)
        return "lost"
    return state


def deliver(ctx: Context, row: Notification, now: datetime | None = None) -> str:
    """Send one claimed row and record the result (`now`: act as if it were this time, for tests)."""
    outcome = send_row(ctx, row, now)
    return record(ctx.db, ctx.settings, row, outcome, now)


def run_batch(ctx: Context, pool: ThreadPoolExecutor | None = None, now: datetime | None = None) -> dict[str, int]:
    """Claim one batch and deliver it; returns counts by resulting state (plus "claimed")."""
    rows = claim(ctx.db, ctx.settings, now or utcnow())
    counts: dict[str, int] = {"claimed": len(rows)}
    if not rows:
        return counts
    if pool is None or len(rows) == 1:
        results = [deliver(ctx, r, now) for r in rows]
    else:
        results = list(pool.map(lambda r: deliver(ctx, r, now), rows))
    for state in results:
        counts[state] = counts.get(state, 0) + 1
    return counts
