"""Sending one outbox row and what its outcome means: the channel is called under the request id that
caused the row (for the logs), exceptions become outcomes (sent, retry, failed, skipped, dead), and a retry
waits an exponential backoff with jitter until NOTIFY_GIVE_UP_SECONDS (default 24 h) from the row's creation.

The loop around it -- claiming due rows under a lease, recording each result fenced by the claim -- is the
worker's: server/tasks/delivery.py (its docstring explains claiming and fencing).

States: pending -> sending -> sent | pending (retry) | failed (permanent) | dead (gave up after
NOTIFY_GIVE_UP_SECONDS) | skipped (by rule, e.g. no grant).
"""
from __future__ import annotations

import logging
import random
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from server.core.errors import PermanentDeliveryError, TransientDeliveryError
from server.core.models import Notification, utcnow
from server.core.notifications.channels import Context, Outcome, Skip, get_sender

log = logging.getLogger("smart315.notifications")

ERROR_CHARS = 1000


def setting(settings: Mapping[str, Any], name: str) -> float:
    """Delivery tuning (NOTIFY_*): their defaults and environment variables are fields of server/config.py
    Settings, which every process builds through create_app."""
    return float(settings[name])


def backoff_seconds(settings: Mapping[str, Any], attempts: int, rng: random.Random | None = None) -> float:
    """base * 2^(attempts-1), capped, with jitter: a uniform draw in [half, full] of that."""
    base = setting(settings, "NOTIFY_BACKOFF_BASE_SECONDS")
    cap = setting(settings, "NOTIFY_BACKOFF_MAX_SECONDS")
    raw = min(cap, base * (2 ** max(0, min(attempts - 1, 30))))
    return raw * (0.5 + 0.5 * (rng or random).random())


def send_row(ctx: Context, row: Notification, now: datetime | None = None) -> Outcome:
    """Call the row's channel under the request id that caused it (for the logs); never raises."""
    from server.core.requestctx import request_id_context

    with request_id_context((row.payload or {}).get("request_id")):
        outcome = _send_row(ctx, row, now)
        log.info("notification %s via %s: %s", row.id, row.channel, outcome.state)
        return outcome


def _send_row(ctx: Context, row: Notification, now: datetime | None = None) -> Outcome:
    now = now or utcnow()
    give_up_at = row.created_at + timedelta(seconds=setting(ctx.settings, "NOTIFY_GIVE_UP_SECONDS"))
    if now >= give_up_at:
        return Outcome("dead", row.last_error or "gave up before sending")
    sender = get_sender(row.channel, ctx.settings)
    if sender is None:
        return Outcome("failed", f"unknown channel {row.channel}")
    try:
        return sender(ctx, row) or Outcome("sent")
    except Skip as exc:
        return Outcome("skipped", str(exc))
    except PermanentDeliveryError as exc:
        return Outcome("failed", str(exc))
    except TransientDeliveryError as exc:
        return Outcome("retry", str(exc))
    except Exception as exc:  # noqa: BLE001 - a bug or an outage in one channel must not stop the others
        _forget_broken_redis(ctx, exc)
        log.exception("notification %s (%s) failed unexpectedly", row.id, row.channel)
        return Outcome("retry", f"{type(exc).__name__}: {exc}")


def _forget_broken_redis(ctx: Context, exc: Exception) -> None:
    """The WeChat clients keep their access token in Redis; if Redis is gone, keep going without it
    (server.core.clients then hands out clients keeping their token in the database)."""
    try:
        import redis
    except ImportError:  # pragma: no cover
        return
    if isinstance(exc, redis.RedisError) and ctx.redis is not None:
        log.warning("Redis unavailable for provider tokens; continuing with the tokens kept in the database")
        with ctx.lock:
            ctx.redis = None


def outcome_values(settings: Mapping[str, Any], row: Notification, outcome: Outcome,
                   now: datetime) -> tuple[str, dict[str, Any]]:
    """The state a send's outcome leads to and the row's columns to write: sent, failed/skipped/dead as
    they are, a retry after backoff (pending) unless the next attempt would fall after the give-up time (dead)."""
    values: dict[str, Any] = {"lease_until": None}
    state = outcome.state
    error = (outcome.error or None) and outcome.error[:ERROR_CHARS]
    if state == "sent":
        values.update(send_state="sent", sent_at=now, last_error=None, next_attempt_at=None)
    elif state in ("failed", "skipped", "dead"):
        values.update(send_state=state, last_error=error, next_attempt_at=None)
    else:
        next_at = now + timedelta(seconds=backoff_seconds(settings, row.attempts))
        give_up_at = row.created_at + timedelta(seconds=setting(settings, "NOTIFY_GIVE_UP_SECONDS"))
        if next_at >= give_up_at:
            state = "dead"
            values.update(send_state="dead", last_error=error, next_attempt_at=None)
        else:
            state = "pending"
            values.update(send_state="pending", last_error=error, next_attempt_at=next_at)
    return state, values
