"""Logging: human-readable by default, JSON lines with LOG_FORMAT=json (production).

Every record carries `request_id`: the id of the HTTP request being served (set by server/ops.py from
the X-Request-Id header or a fresh one), or the id a background job took over from the outbox row it is
handling (`request_id_context(notification.payload.get("request_id"))`), or "-" outside both. The
context variable itself lives in server/core/requestctx.py (core stamps it on the outbox rows it writes).
"""
from __future__ import annotations

import logging
import os
import secrets

from server.core.requestctx import (  # noqa: F401 - the request id lives in core; re-exported for the app
    current_request_id,
    request_id_context,
    reset_request_id,
    set_request_id,
)

JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(process)d"


def choose_request_id(offered: str | None) -> str:
    """The caller's X-Request-Id when it is acceptable (1-64 printable characters), else a fresh one."""
    return offered if offered and len(offered) <= 64 and offered.isprintable() else secrets.token_hex(8)


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record so formatters can print it (never drops a record)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = current_request_id() or "-"
        return True


def json_formatter() -> logging.Formatter:
    from pythonjsonlogger.json import JsonFormatter

    return JsonFormatter(JSON_FIELDS, rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                         json_ensure_ascii=False)


def configure_logging(fmt: str | None = None, level: str | None = None) -> None:
    """Configure the root logger once per process; `fmt` "json" or "text" (default from LOG_FORMAT)."""
    level = (level or os.environ.get("LOG_LEVEL", "INFO")).upper()
    fmt = fmt or os.environ.get("LOG_FORMAT", "text")
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
