"""Delivery channels behind one tiny registry: channel name -> send(ctx, row) -> Outcome.

A sender either returns an Outcome or raises PermanentDeliveryError (final: state "failed"),
TransientDeliveryError (retried with backoff) or Skip (state "skipped", with the reason).
Senders run outside any claiming transaction; they may open short transactions of their own
through ctx.db (e.g. to use up a subscribe grant).
"""
from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from server.core.timeutil import SHANGHAI
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
    """What senders need: settings, the Database (for short transactions), Redis or None, a cache
    for provider clients (built once per worker process)."""

    settings: dict[str, Any]
    db: Any
    redis: Any = None
    cache: dict[str, Any] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def client(self, name: str, build: Callable[[], Any]) -> Any:
        with self.lock:
            if name not in self.cache:
                self.cache[name] = build()
            return self.cache[name]


Sender = Callable[[Context, Any], "Outcome | None"]
SENDERS: dict[str, Sender] = {}
_MODULES = ("inbox", "wechat_subscribe", "wechat_template", "alipay", "webhook")


def register(channel: str):
    def deco(fn: Sender) -> Sender:
        SENDERS[channel] = fn
        return fn

    return deco


_loaded = threading.Event()
_load_lock = threading.Lock()


def get_sender(channel: str) -> Sender | None:
    if not _loaded.is_set():
        with _load_lock:  # worker threads ask at once: load every channel module exactly once, first
            if not _loaded.is_set():
                for name in _MODULES:
                    importlib.import_module(f"{__name__}.{name}")
                _loaded.set()
    return SENDERS.get(channel)


def template_data(row: Any) -> dict[str, str]:
    """Values for a subscribe/template message. The keys follow the templates chosen for the
    platform (thing = short text <= 20 chars, character_string = number, phrase = <= 5 chars)."""
    payload = row.payload or {}
    created = row.created_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if row.created_at else ""
    status = STATUS_NAMES.get(payload.get("status") or "", "有更新")
    return {
        "thing1": (row.title or "投诉进展")[:20],
        "character_string2": str(payload.get("public_no") or row.complaint_id or "-")[:32],
        "phrase3": status[:5],
        "time4": created,
        "thing5": (row.body or row.title or "-")[:20],
    }
