"""The request id of the work in progress: the HTTP request being served (server/ops.py sets it from the
X-Request-Id header or a fresh one), or the request a job took over from the outbox row it is handling.

It lives in core so that core can stamp it on the outbox rows it writes (notifications/outbox.py) and
log under it while sending (notifications/dispatch.py); server/logging_setup.py prints it on every record.
"""
from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("smart315_request_id", default=None)


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
    """For jobs: work (and log) under the request id that caused the work (e.g. an outbox row's payload)."""
    token = set_request_id(value)
    try:
        yield
    finally:
        reset_request_id(token)
