"""Engine and session factory; one session per request (or per job), closed on teardown."""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

# SQLite: a transaction that may write takes the write lock at BEGIN (BEGIN IMMEDIATE), so read-then-write
# transactions queue on the busy timeout instead of failing on a stale snapshot. Read-only requests keep a
# plain deferred BEGIN so they neither wait for writers nor block them. Jobs default to write intent.
sqlite_write_intent: ContextVar[bool] = ContextVar("sqlite_write_intent", default=True)
log = logging.getLogger("smart315.db")
T = TypeVar("T")


class _NoRowData(logging.Filter):
    """SQLAlchemy logs every fetched row at DEBUG: complaint texts, encrypted phones. Never let it."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.msg not in ("Row %r", "Col %r")


def _quiet_engine_logs() -> None:
    logger = logging.getLogger("sqlalchemy.engine.Engine")
    if not any(isinstance(f, _NoRowData) for f in logger.filters):
        logger.addFilter(_NoRowData())


def engine_options(settings) -> dict[str, Any]:
    """Pool options from the settings (DATABASE_POOL_SIZE, DATABASE_MAX_OVERFLOW, DATABASE_PGBOUNCER)."""
    return {"pool_size": int(settings["DATABASE_POOL_SIZE"]),
            "max_overflow": int(settings["DATABASE_MAX_OVERFLOW"]),
            "pgbouncer": bool(settings.get("DATABASE_PGBOUNCER"))}


def make_engine(url: str, *, pool_size: int = 10, max_overflow: int = 20, pgbouncer: bool = False,
                **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets WAL, a busy timeout and foreign keys so concurrent writers wait.

    SQL parameters are hidden from logs and from error messages (they hold personal data), and
    result rows are never logged, whatever the log level (see _NoRowData).
    """
    kwargs.setdefault("hide_parameters", True)
    _quiet_engine_logs()
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "connect")
        def _no_pysqlite_begin(dbapi_conn, _record):
            dbapi_conn.isolation_level = None

        @event.listens_for(engine, "begin")
        def _begin(conn):
            conn.exec_driver_sql("BEGIN IMMEDIATE" if sqlite_write_intent.get() else "BEGIN")

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    if pgbouncer:
        # PgBouncer in transaction mode hands each transaction to any server connection: no server-side
        # prepared statements (psycopg prepares a query after 5 runs by default). Everything else the app
        # relies on is transaction-scoped already (advisory xact locks, SET LOCAL): see deploy/README.md.
        kwargs["connect_args"] = {**kwargs.get("connect_args", {}), "prepare_threshold": None}
    return create_engine(url, pool_size=pool_size, max_overflow=max_overflow, **kwargs)


def sqlite_side_url(url: str, suffix: str) -> str | None:
    """sqlite:///dir/name.sqlite3 -> sqlite:///dir/name-<suffix>.sqlite3; None for an in-memory database."""
    path = url.split("///", 1)[-1] if "///" in url else ""
    if not path or path == ":memory:" or path.startswith("file:"):
        return None
    p = Path(path)
    return f"sqlite:///{p.with_name(p.stem + '-' + suffix + (p.suffix or '.sqlite3'))}"


_state_engines: dict[str, Engine | None] = {}
_state_lock = threading.Lock()
STATE_ENGINES_KEPT = 8


def shared_state_engine(database_url: str) -> Engine | None:
    """This process's engine for values every process shares without Redis (server/core/shared_values.py):
    the database itself on PostgreSQL (table shared_value, small pool); on SQLite a `*-shared.sqlite3` file
    beside it, so a write there never waits for a request's own write transaction; None in memory."""
    with _state_lock:
        if database_url in _state_engines:
            return _state_engines[database_url]
        if database_url.startswith("sqlite"):
            side = sqlite_side_url(database_url, "shared")
            engine = make_engine(side) if side else None
            if engine is not None:
                from server.core.models import SharedValue

                SharedValue.__table__.create(engine, checkfirst=True)
        else:
            # No server-side prepared statements: this engine may run behind PgBouncer in transaction mode too.
            engine = make_engine(database_url, pool_size=2, max_overflow=2, pgbouncer=True)
        _state_engines[database_url] = engine
        while len(_state_engines) > STATE_ENGINES_KEPT:  # tests make many databases; a process has one
            old = _state_engines.pop(next(iter(_state_engines)))
            if old is not None:
                old.dispose()
        return engine


class Database:
    """Holds the engine and the session factory for one app or one worker process, and optionally a
    read replica's (DATABASE_REPLICA_URL) for the public aggregates (see on_replica)."""

    REPLICA_RETRY_SECONDS = 30.0

    @classmethod
    def from_settings(cls, settings, *, replica: bool = True) -> Database:
        return cls(settings["DATABASE_URL"], settings.get("DATABASE_REPLICA_URL") if replica else None,
                   **engine_options(settings))

    def __init__(self, url: str, replica_url: str | None = None, **engine_kwargs: Any):
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self.Session = sessionmaker(bind=self.engine, expire_on_commit=False)
        self.replica_engine: Engine | None = None
        self._replica_down_until = 0.0
        if replica_url:
            # A replica that does not answer must not hold a public page for long: the primary serves instead.
            connect_args = {"connect_timeout": 2} if not replica_url.startswith("sqlite") else {}
            self.replica_engine = make_engine(replica_url, connect_args=connect_args, **engine_kwargs)
            self.ReplicaSession = sessionmaker(bind=self.replica_engine, expire_on_commit=False)

    def on_replica(self, compute: Callable[[Session], T], primary: Callable[[], Session]) -> T:
        """Run a read-only computation on the read replica when one is configured, else on `primary()`.

        For reads that may lag the primary by the replica's delay: the public aggregates, which are
        cached on a freshness window anyway. Anything that must see a commit at once (a business
        profile after a change, every signed-in read) stays on the primary. If the replica fails
        (down, unreachable, a query cancelled by replay), this read and those of the next
        REPLICA_RETRY_SECONDS go to the primary: a public page never fails because of the replica.
        """
        if self.replica_engine is None or time.monotonic() < self._replica_down_until:
            return compute(primary())
        try:
            with self.ReplicaSession() as s:
                return compute(s)
        except DBAPIError as exc:
            self._replica_down_until = time.monotonic() + self.REPLICA_RETRY_SECONDS
            log.warning("read replica failed (%s); public aggregates read from the primary for %.0f s",
                        type(exc.orig).__name__ if exc.orig is not None else type(exc).__name__,
                        self.REPLICA_RETRY_SECONDS)
        return compute(primary())

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session for a job: the caller commits; anything uncommitted is rolled back on exit."""
        s = self.Session()
        try:
            yield s
        except BaseException:
            s.rollback()
            raise
        finally:
            s.close()

    def dispose(self) -> None:
        self.engine.dispose()
        if self.replica_engine is not None:
            self.replica_engine.dispose()
