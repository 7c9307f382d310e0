"""Logging: human-readable by default, JSON lines with LOG_FORMAT=json (production).

Every record carries `request_id`: the id of the HTTP request being served (set by server/ops.py from
the X-Request-Id header or a fresh one), or the id a background job took over from the outbox row it is
handling (`request_id_context(notification.payload.get("request_id"))`), or "-" outside both.
"""
from __future__ import annotations

import contextlib
import contextvars
import logging
import secrets
from collections.abc import Iterator

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("smart315_request_id", default=None)

JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(process)d"


def choose_request_id(offered: str | None) -> str:
    """The caller's X-Request-Id when it is acceptable (1-64 printable characters), else a fresh one."""
    return offered if offered and len(offered) <= 64 and offered.isprintable() else secrets.token_hex(8)


def current_request_id() -> str | None:
    """The request id of the work in progress, or None (no request, no job)."""
    return _request_id.get()


def set_request_id(value: str | None) -> contextvars.Token:
    return _request_id.set(value or None)


def reset_request_id(token: contextvars.Token) -> None:
    try:
        _request_id.reset(token)
    except ValueError:  # token made in another context (e.g. a streamed response): just clear
        _request_id.set(None)


@contextlib.contextmanager
def request_id_context(value: str | None) -> Iterator[None]:
    """For jobs: log under the request id that caused the work (e.g. an outbox row's payload)."""
    token = set_request_id(value)
    try:
        yield
    finally:
        reset_request_id(token)


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record so formatters can print it (never drops a record)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = _request_id.get() or "-"
        return True


def json_formatter() -> logging.Formatter:
    from pythonjsonlogger.json import JsonFormatter

    return JsonFormatter(JSON_FIELDS, rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                         json_ensure_ascii=False)


def configure_logging(fmt: str, level: str) -> None:
    """Configure the root logger once per process; `fmt` "json" or "text", `level` a logging level name.
    create_app calls it with the settings LOG_FORMAT and LOG_LEVEL (server/config.py holds their defaults)."""
    level = level.upper()
    root = logging.getLogger()
    if getattr(root, "_smart315_configured", False):
        return
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    if fmt == "json":
        handler.setFormatter(json_formatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"))
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("jieba").setLevel(logging.WARNING)
    root._smart315_configured = True  # type: ignore[attr-defined]
