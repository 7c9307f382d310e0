"""Delivery channels behind one tiny registry (server.core.registry): channel name -> send(ctx, row) -> Outcome.

NOTIFICATION_CHANNELS names the enabled channels (all by default; "inbox" is always on: it is the
record GET /notifications shows). The outbox writes rows only for enabled channels.

A sender either returns an Outcome or raises PermanentDeliveryError (final: state "failed"),
TransientDeliveryError (retried with backoff) or Skip (state "skipped", with the reason).
Senders run outside any claiming transaction; they may open short transactions of their own
through ctx.db (e.g. to use up a subscribe grant).
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from server.core.registry import Registry
from server.core.vocabulary import STATUSES

STATUS_NAMES = STATUSES


class Skip(Exception):
    """Nothing will be sent for this row, by rule (e.g. no subscribe grant left)."""


@dataclass
class Outcome:
    state: str = "sent"  # sent | retry | failed | skipped
    error: str | None = None
    record: dict[str, Any] | None = None  # a webhook attempt to record with the result


@dataclass
class Context:
    """What senders need: settings, the Database (for short transactions) and Redis or None. The
    provider clients come from server.core.clients (one per process and configuration, shared with
    the API); `lock` guards changes to the context (dispatch drops a broken Redis)."""

    settings: dict[str, Any]
    db: Any
    redis: Any = None
    lock: threading.Lock = field(default_factory=threading.Lock)


Sender = Callable[[Context, Any], "Outcome | None"]
# Channel name -> sender; NOTIFICATION_CHANNELS enables a subset (all by default; the inbox always).
CHANNELS: Registry[Sender] = Registry(
    "notification channel", __name__, ("inbox", "wechat_subscribe", "wechat_template", "alipay", "webhook", "sms"),
    "NOTIFICATION_CHANNELS", always=("inbox",))
register = CHANNELS.register


def enabled_channels(settings: Mapping[str, Any]) -> tuple[str, ...]:
    """The channels rows are written for and delivered through (ValueError naming an unknown one)."""
    return CHANNELS.enabled(settings)


def _disabled(ctx: Context, row: Any) -> Outcome:
    raise Skip(f"channel {row.channel} is not in NOTIFICATION_CHANNELS")


def get_sender(channel: str, settings: Mapping[str, Any] | None = None) -> Sender | None:
    """The channel's sender (None for an unknown channel). With settings, a channel switched off since
    its rows were written answers Skip for them: they end "skipped" with the reason, never sent."""
    sender = CHANNELS.get(channel)
    if sender is not None and settings is not None and not CHANNELS.is_enabled(settings, channel):
        return _disabled
    return sender


def template_data(row: Any, settings: Mapping[str, Any] | None = None, setting: str | None = None,
                  oa: bool = False, db: Any = None) -> dict[str, str]:
    """keyword -> value for a subscribe/template message: the fields the template's entry in `setting`
    names (server/core/notifications/templates.py), cut to WeChat's limits for each keyword's type."""
    from server.core.notifications import templates

    tid = (row.payload or {}).get("template_id")
    entry = templates.entry_by_id(settings, setting, tid) if settings is not None and setting else tid
    return templates.render(entry, row, oa=oa, db=db)
