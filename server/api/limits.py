"""Rate limits on the `limits` package: moving windows in Redis, or in the database without it.

Moving windows rather than fixed buckets: with buckets, "5 an hour" allows 10 within two minutes around
a bucket boundary, and Retry-After would name the boundary rather than when an attempt really becomes
possible again. Only accepted attempts are recorded, so hammering while limited does not extend the wait.

Storage: `limits`' RedisStorage when REDIS_URL is set (production: every process and machine shares it).
Without Redis, or while Redis fails (then for REDIS_RETRY_SECONDS before it is tried again), the
windows live in a database table (SqlStorage below) that every process of the embedded default
agrees on: the main database on PostgreSQL; on SQLite a file of its own beside the main one, because
SQLite has one writer at a time and the request's own transaction already holds it.

Limits are keyed by what the request names (a phone's look-up hash, a username, the caller) inside
the handler, which is why Flask-Limiter's per-route decorators are not used: callers pass hashed
subjects so no phone number ends up in Redis keys or the table.
"""
from __future__ import annotations

import hashlib
import logging
import math
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from flask import Flask, current_app, request
from limits import RateLimitItem, RateLimitItemPerSecond, parse_many
from limits.errors import StorageError
from limits.storage import RedisStorage
from limits.storage.base import MovingWindowSupport, Storage
from limits.strategies import MovingWindowRateLimiter
from redis.exceptions import RedisError
from sqlalchemy import delete, func, insert, literal, select, text
from sqlalchemy.engine import Engine

from server.core.errors import RateLimited

log = logging.getLogger("smart315.limits")
T = TypeVar("T")
REDIS_RETRY_SECONDS = 5.0


# ------------------------------------------------------------------ storage in a database table

class SqlStorage(Storage, MovingWindowSupport):
    """A `limits` storage for the moving-window strategy on the rate_limit_hit table.

    acquire_entry is one transaction: on PostgreSQL an advisory lock on the key serialises concurrent
    hits of the same key (READ COMMITTED would let two both see room for one), then a single INSERT …
    SELECT that adds the entry only while the window has room; SQLite serialises writers by itself.
    """

    STORAGE_SCHEME = None

    def __init__(self, engine: Engine):
        super().__init__(None)
        from server.core.models import RateLimitHit

        self.engine = engine
        self.table = RateLimitHit.__table__
        self.postgres = engine.dialect.name == "postgresql"

    @property
    def base_exceptions(self):
        from sqlalchemy.exc import SQLAlchemyError

        return SQLAlchemyError

    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        if amount > limit:
            return False
        now = time.time()
        t = self.table
        room = (select(func.count()).select_from(t).where(t.c.bucket == key, t.c.at > now - expiry)
                .scalar_subquery() <= limit - amount)
        rows = select(literal(key, t.c.bucket.type), literal(now, t.c.at.type),
                      literal(now + expiry, t.c.expires_at.type)).where(room)
        with self.engine.begin() as conn:
            if self.postgres:
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _key64(key)})
            acquired = 0
            for _ in range(amount):
                # RETURNING rather than rowcount: psycopg reports no row count for INSERT … SELECT here.
                acquired += len(conn.execute(insert(t).from_select(["bucket", "at", "expires_at"], rows)
                                             .returning(t.c.id)).all())
            return acquired == amount

    def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        now = time.time()
        t = self.table
        with self.engine.connect() as conn:
            oldest, count = conn.execute(select(func.min(t.c.at), func.count())
                                         .where(t.c.bucket == key, t.c.at > now - expiry)).one()
        return (float(oldest) if oldest is not None else now), int(count)

    def purge(self, now: float | None = None) -> int:
        with self.engine.begin() as conn:
            return conn.execute(delete(self.table).where(self.table.c.expires_at <= (now or time.time()))).rowcount

    # The counter API every `limits` Storage has (fixed-window strategies); the app's limiters use the
    # moving window above, but the storage answers these too rather than failing: a counter is the
    # key's unexpired entries.
    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        t = self.table
        with self.engine.begin() as conn:
            if self.postgres:
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _key64(key)})
            # A fixed window ends when its first entry's does: later entries share that end.
            ends = conn.execute(select(func.max(t.c.expires_at))
                                .where(t.c.bucket == key, t.c.expires_at > now)).scalar_one()
            ends = float(ends) if ends is not None else now + expiry
            if amount > 0:
                conn.execute(insert(t), [{"bucket": key, "at": now, "expires_at": ends}] * amount)
            return int(conn.execute(select(func.count()).select_from(t)
                                    .where(t.c.bucket == key, t.c.expires_at > now)).scalar_one())

    def get(self, key: str) -> int:
        t = self.table
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(t)
                                    .where(t.c.bucket == key, t.c.expires_at > time.time())).scalar_one())

    def get_expiry(self, key: str) -> float:
        t = self.table
        with self.engine.connect() as conn:
            latest = conn.execute(select(func.max(t.c.expires_at)).where(t.c.bucket == key)).scalar_one()
        return float(latest) if latest is not None else time.time()

    def check(self) -> bool:
        return True

    def reset(self) -> int | None:
        with self.engine.begin() as conn:
            return conn.execute(delete(self.table)).rowcount

    def clear(self, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(self.table).where(self.table.c.bucket == key))


def _key64(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)


def _sqlite_side_url(url: str) -> str | None:
    """sqlite:///dir/name.sqlite3 -> sqlite:///dir/name-limits.sqlite3; None for an in-memory database."""
    path = url.split("///", 1)[-1] if "///" in url else ""
    if not path or path == ":memory:" or path.startswith("file:"):
        return None
    p = Path(path)
    return f"sqlite:///{p.with_name(p.stem + '-limits' + (p.suffix or '.sqlite3'))}"


# ------------------------------------------------------------------ the limiter of an app

class Limits:
    """Redis first when configured; the database while Redis is absent or failing."""

    def __init__(self, app: Flask):
        from limits.storage import MemoryStorage

        settings = app.config["SMART315"]
        db = app.extensions["smart315.db"]
        self.redis_down_until = 0.0
        self.primary: MovingWindowRateLimiter | None = None
        redis_client = app.extensions.get("smart315.redis")
        url = settings.get("REDIS_URL")
        if redis_client is not None and url:
            storage = RedisStorage(url, connection_pool=redis_client.connection_pool, key_prefix="smart315:rl")
            self.primary = MovingWindowRateLimiter(storage)
        self.side_engine: Engine | None = None
        if db.is_postgres:
            fallback: Storage = SqlStorage(db.engine)
        else:
            side = _sqlite_side_url(db.url)
            if side is None:
                fallback = MemoryStorage()  # an in-memory database is one process's anyway
            else:
                from server.core.models import RateLimitHit
                from server.db import make_engine

                self.side_engine = make_engine(side)
                RateLimitHit.__table__.create(self.side_engine, checkfirst=True)
                fallback = SqlStorage(self.side_engine)
        self.fallback_storage = fallback
        self.fallback = MovingWindowRateLimiter(fallback)

    def run(self, fn: Callable[[MovingWindowRateLimiter], T]) -> T:
        if self.primary is not None and time.monotonic() >= self.redis_down_until:
            try:
                return fn(self.primary)
            except (RedisError, StorageError, OSError) as exc:
                self.redis_down_until = time.monotonic() + REDIS_RETRY_SECONDS
                log.warning("rate limits: Redis failed (%s); counting in the database for %.0f s",
                            type(exc).__name__, REDIS_RETRY_SECONDS)
        return fn(self.fallback)

    def dispose(self) -> None:
        if self.side_engine is not None:
            self.side_engine.dispose()

    def reset(self) -> None:
        """Forget every window (tests; a new world)."""
        self.fallback_storage.reset()
        if self.primary is not None:
            try:
                self.primary.storage.reset()
            except Exception:  # noqa: BLE001 - Redis down: nothing to forget there
                pass


_init_lock = threading.Lock()


def limits_of(app: Flask) -> Limits:
    found = app.extensions.get("smart315.limits")
    if found is None:
        with _init_lock:
            found = app.extensions.get("smart315.limits")
            if found is None:
                found = app.extensions["smart315.limits"] = Limits(app)
    return found


def reset_limits(app: Flask) -> None:
    limits_of(app).reset()


# ------------------------------------------------------------------ checking

def _wait_words(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} 秒"
    if seconds < 3600:
        return f"{math.ceil(seconds / 60)} 分钟"
    return f"{math.ceil(seconds / 3600)} 小时"


def parse_limits(spec: str | None) -> list[RateLimitItem]:
    """`5/hour;20/day` -> items; empty or `0` -> no limit."""
    spec = (spec or "").strip()
    if not spec or spec in ("0", "off", "none"):
        return []
    return parse_many(spec)


def check(key: str, items: list[RateLimitItem], what: str | None = None) -> None:
    """Count one attempt for `key` against every item, or raise RateLimited (429, Retry-After) and count nothing.

    With several items (5/hour;20/day) each is tested first, so a refusal by one does not use up the others.
    """
    if not items:
        return
    lim = limits_of(current_app)

    def attempt(limiter: MovingWindowRateLimiter) -> RateLimitItem | None:
        if len(items) > 1:
            for item in items:
                if not limiter.test(item, key):
                    return item
        for item in items:
            if not limiter.hit(item, key):
                return item
        return None

    refused = lim.run(attempt)
    if refused is not None:
        reset_at, _left = lim.run(lambda limiter: limiter.get_window_stats(refused, key))
        wait = max(1, math.ceil(reset_at - time.time()))
        detail = f"{what}过于频繁，请 {_wait_words(wait)}后再试" if what else None
        raise RateLimited(detail, retry_after=wait)


def hit(key: str, limit: int, window: int) -> None:
    """Record one attempt for `key`; RateLimited (429 with Retry-After) when `limit` were made in the last `window` s."""
    check(key, [RateLimitItemPerSecond(int(limit), int(window))])


def client_ip() -> str:
    return request.remote_addr or "unknown"


def check_login_limits(kind: str, subject: str) -> None:
    cfg = current_app.config["SMART315"]
    hit(f"login:{kind}:ip:{client_ip()}", cfg["LOGIN_LIMIT_PER_IP"], 60)
    hit(f"login:{kind}:subject:{subject}", cfg["LOGIN_LIMIT_PER_SUBJECT"], 60)


def check_ip_limit(kind: str) -> None:
    """Sign-in attempts per client IP for paths with no subject before the upstream call (WeChat, Alipay)."""
    cfg = current_app.config["SMART315"]
    hit(f"login:{kind}:ip:{client_ip()}", cfg["LOGIN_LIMIT_PER_IP"], 60)


def check_sms_send_limits(phone_hash: str) -> None:
    """SMS sending per phone (look-up hash, never the number) and per IP, per hour."""
    cfg = current_app.config["SMART315"]
    # The phone first: a number at its limit must not use up the quota of everyone behind the same NAT.
    hit(f"sms:phone:{phone_hash}", cfg["SMS_SEND_LIMIT_PER_PHONE"], 3600)
    hit(f"sms:ip:{client_ip()}", cfg["SMS_SEND_LIMIT_PER_IP"], 3600)


def _caller(actor) -> str:
    """The signed-in account, the API key's business, or the client's address."""
    if actor is not None and getattr(actor, "user_id", None) is not None:
        return f"user:{actor.user_id}"
    if actor is not None and getattr(actor, "api_key_id", None) is not None:
        return f"key:{actor.api_key_id}"
    return f"ip:{client_ip()}"


def _setting(name: str) -> list[RateLimitItem]:
    return parse_limits(current_app.config["SMART315"].get(name))


def check_complaint_limit(user_id: int) -> None:
    """COMPLAINT_RATE_LIMIT per consumer account."""
    check(f"complaint:user:{user_id}", _setting("COMPLAINT_RATE_LIMIT"), "提交投诉")


def check_assist_limit(actor, endpoint: str) -> None:
    """ASSIST_RATE_LIMIT per caller (or address) for /consult and /assist/classify, each with its own budget."""
    check(f"assist:{endpoint}:{_caller(actor)}", _setting("ASSIST_RATE_LIMIT"), "咨询和智能识别请求")


def check_upload_limit(actor) -> None:
    check(f"upload:{_caller(actor)}", _setting("UPLOAD_RATE_LIMIT"), "上传文件")


def check_message_limit(actor) -> None:
    check(f"message:{_caller(actor)}", _setting("MESSAGE_RATE_LIMIT"), "发送留言")


def check_report_limit(actor) -> None:
    """REPORT_RATE_LIMIT per account (reports, like messages)."""
    check(f"report:{_caller(actor)}", _setting("REPORT_RATE_LIMIT"), "提交举报")


def purge_expired(db, settings, now: float) -> int:
    """Delete passed entries from the database-kept windows (the scheduler's job; no app needed)."""
    if db.is_postgres:
        return SqlStorage(db.engine).purge(now)
    side = _sqlite_side_url(db.url)
    if side is None:
        return 0
    from server.core.models import RateLimitHit
    from server.db import make_engine

    engine = make_engine(side)
    try:
        RateLimitHit.__table__.create(engine, checkfirst=True)
        return SqlStorage(engine).purge(now)
    finally:
        engine.dispose()
