"""Values every process shares without Redis, in the database: wechatpy's session storage on table shared_value.

With Redis the WeChat clients keep their access token in Redis (wechatpy's RedisStorage). Without it each
process used to keep its own (MemoryStorage): every gunicorn worker, the worker and the scheduler fetched a
token for itself, and each fetch starts the retirement of the token the others hold, so they kept
replacing each other's and spending the daily token quota. The database storage gives all of them one
token. The engine comes from the process (server/core/ports.py `state_engine_for`): on PostgreSQL the main
database, on SQLite a file beside it, so a token refreshed in the middle of a request's write transaction
never waits for that transaction's lock.

Failures of the database here are not the request's failure: a read that fails is a miss (the client
fetches a token), a write that fails is logged and skipped.
"""
from __future__ import annotations

import json
import logging
import time
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from wechatpy.session import SessionStorage

from server.core.models import SharedValue

log = logging.getLogger(__name__)
# A value with no ttl still expires: nothing here is meant to outlive a day.
DEFAULT_TTL_SECONDS = 86400


class DatabaseStorage(SessionStorage):
    """wechatpy's SessionStorage (get/set/delete with a ttl) on the shared_value table."""

    def __init__(self, engine: Any, prefix: str = "smart315:wechat"):
        self.engine = engine
        self.prefix = prefix

    def _key(self, key: str) -> str:
        return f"{self.prefix}:{key}"[:191]

    def get(self, key: str, default: Any = None) -> Any:
        t = SharedValue.__table__
        try:
            with self.engine.connect() as conn:
                value = conn.execute(select(t.c.value).where(t.c.key == self._key(key),
                                                             t.c.expires_at > time.time())).scalar_one_or_none()
        except SQLAlchemyError as exc:
            log.warning("shared values: read failed (%s); treating it as a miss", type(exc).__name__)
            return default
        if value is None:
            return default
        return json.loads(value)

    def set(self, key: str, value: Any, ttl: int | None = None) -> None:
        if value is None:
            return
        t = SharedValue.__table__
        row = {"key": self._key(key), "value": json.dumps(value),
               "expires_at": time.time() + (int(ttl) if ttl else DEFAULT_TTL_SECONDS)}
        try:
            with self.engine.begin() as conn:
                # Delete then insert: portable, and the newest token wins (a concurrent insert of the same
                # key is a lost race with another process that just fetched one too; theirs is as good).
                conn.execute(delete(t).where(t.c.key == row["key"]))
                conn.execute(t.insert().values(**row))
        except IntegrityError:
            pass
        except SQLAlchemyError as exc:
            log.warning("shared values: write failed (%s); the value stays with this call", type(exc).__name__)

    def delete(self, key: str) -> None:
        t = SharedValue.__table__
        try:
            with self.engine.begin() as conn:
                conn.execute(delete(t).where(t.c.key == self._key(key)))
        except SQLAlchemyError as exc:
            log.warning("shared values: delete failed (%s)", type(exc).__name__)

