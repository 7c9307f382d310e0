"""Fixtures: a real database (SQLite by default, PostgreSQL with TEST_DATABASE_URL), optional real Redis,
the app and its client, a session, and an `auth` helper that signs in as each role."""
from __future__ import annotations

import itertools
import os
import random
import secrets
import shutil
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from server.config import normalize_database_url
from tests.replica import pg_replica_pair  # noqa: F401 - the fixture: a private PostgreSQL primary + hot standby
from tests.storage import s3_server, s3_settings  # noqa: F401 - s3_server: moto's S3 server, once per session

# The suite, and every server, worker and scheduler it starts as a subprocess (they inherit os.environ),
# runs in development mode: production refuses the test secrets. test_production_secrets sets production.
os.environ["SMART315_ENV"] = "development"

SQLITE_DIR = Path(tempfile.mkdtemp(prefix="smart315-tests-"))
# Whatever a test leaves at a default instance path (an audit key, dev key files) goes to this process's own
# directory, not the checkout's instance/: parallel workers never share one.
os.environ.setdefault("SMART315_INSTANCE_DIR", str(SQLITE_DIR / "instance"))


def _cheap_password_hashing() -> None:
    """Argon2 at its lowest cost inside the test process: the suite signs in thousands of times, and each
    production-cost hash takes tens of milliseconds and 64 MiB. Hashes carry their own parameters, so
    verification is unchanged; servers the tests start as subprocesses keep the production cost, and
    tests/core/identity/test_password_cost.py checks that the production hasher is untouched."""
    from argon2 import PasswordHasher

    from server.core.identity import accounts

    accounts._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    accounts._DUMMY_HASH = accounts._hasher.hash("smart315-dummy-password")


_cheap_password_hashing()


_BUILDERS: dict[tuple, callable] = {}


def _shared_url_rule_builders() -> None:
    """Compile each URL rule's builder once per test process instead of once per app.

    The suite builds a new app for almost every test (its settings differ: a temporary upload dir, the
    simulators' ports); about four fifths of create_app's time is werkzeug generating and compiling a
    Python function per rule (~120 rules, twice each) to build its URLs. That function is the same for the
    same rule text and trace: it reads the converters through its `self` argument when called, so one
    compiled function serves every app's copy of the rule. Rules whose defaults are folded into the URL at
    compile time (a converter's to_url of a default) are compiled as usual. The server is untouched;
    tests/test_test_lanes.py checks that the shared builders are the ones werkzeug would compile."""
    from werkzeug.routing.rules import Rule

    original = Rule._compile_builder
    if getattr(original, "_smart315_shared", False):
        return

    def _compile_builder(self, append_unknown: bool = True):
        defaults = self.defaults or {}
        if any(dynamic and data in defaults for dynamic, data in self._trace):
            return original(self, append_unknown)
        key = (self.rule, bool(append_unknown), tuple(self._trace), tuple(sorted(map(str, defaults))))
        fn = _BUILDERS.get(key)
        if fn is None:
            fn = _BUILDERS[key] = original(self, append_unknown)
        return fn

    _compile_builder._smart315_shared = True
    _compile_builder._smart315_original = original
    Rule._compile_builder = _compile_builder


_shared_url_rule_builders()


def _make_test_database() -> tuple[str, callable]:
    """A fresh database per test run, so parallel runs on one PostgreSQL server never collide."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        return f"sqlite:///{SQLITE_DIR / 'test.sqlite3'}", lambda: None
    url = make_url(normalize_database_url(base))
    name = f"smart315_test_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url.set(database=name).render_as_string(hide_password=False), drop


@pytest.fixture(scope="session")
def migrated_database():
    """The run's database, migrated once with its reference data. On SQLite it is a template: each test
    gets a copy of the file (database_url); on PostgreSQL the tests share it and `app` empties it."""
    url, drop = _make_test_database()
    from server.core.reference import ensure_reference_data
    from server.db import Database
    from server.migrate import upgrade

    upgrade(url)
    db = Database(url)
    with db.session() as s:
        ensure_reference_data(s)
        s.commit()
    db.dispose()  # the last connection checkpoints the WAL into the file: the file alone is the template
    yield url
    drop()


@pytest.fixture(autouse=True)
def _fresh_clients():
    """server.core.clients keeps one WeChat/Alipay/SMS client per process and configuration: each test
    starts with none, as a new process would (a simulator port reused by a later test, a token cached)."""
    from server.core import clients

    clients.reset()
    yield


_copies = itertools.count(1)


@pytest.fixture
def database_url(migrated_database):
    """The test's database. SQLite: a copy of the migrated template in a directory of the test's own (the
    rate-limit file beside it is the test's own too), removed afterwards: copying one file is much cheaper
    than emptying every table through a fresh engine. PostgreSQL: the run's database (`app` truncates it)."""
    url = make_url(migrated_database)
    if url.get_backend_name() != "sqlite":
        yield migrated_database
        return
    folder = SQLITE_DIR / f"t{next(_copies)}"
    folder.mkdir()
    shutil.copyfile(url.database, folder / "test.sqlite3")
    yield url.set(database=str(folder / "test.sqlite3")).render_as_string(hide_password=False)
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def private_redis():
    """A redis-server of the test's own on a free port (tests that kill, restart or flush it)."""
    from tests.security.procs import PrivateRedis

    r = PrivateRedis()
    r.start()
    yield r
    r.destroy()


def xdist_worker() -> tuple[int, int]:
    """(this worker's index, how many workers): (0, 1) without pytest-xdist (make test-fast runs -n 2)."""
    name = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return int(name.removeprefix("gw") or 0), int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))


def worker_redis_db(kind: str) -> int:
    """Redis logical dbs no other worker of this run uses: db 15 - index for clients the tests make
    themselves (tests/simulators/fixtures.py), and for the app one of 1..(15 - workers), drawn per run
    (concurrent runs rarely meet) and distinct between this run's workers."""
    index, count = xdist_worker()
    if kind == "own":
        return 15 - index
    pool = 15 - count
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID")  # the same in every worker of one run
    start = int(run[:8], 16) if run else random.randrange(pool)
    return 1 + (start + index) % pool


@pytest.fixture(scope="session")
def redis_url():
    base = os.environ.get("TEST_REDIS_URL")
    if not base:
        return None
    return f"{base.rstrip('/').rsplit('/', 1)[0] if base.count('/') > 2 else base.rstrip('/')}/{worker_redis_db('app')}"


RESET_KEEP = {"region", "industry", "category", "alembic_version"}


def reset_database(db) -> None:
    from server.core.models import Base

    tables = [t for t in reversed(Base.metadata.sorted_tables) if t.name not in RESET_KEEP]
    with db.engine.begin() as conn:
        if db.is_postgres:
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t.name}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            for t in tables:
                conn.execute(t.delete())
            conn.execute(text("DELETE FROM sqlite_sequence")) if conn.execute(
                text("SELECT name FROM sqlite_master WHERE name='sqlite_sequence'")).first() else None


@pytest.fixture
def upload_backend():
    """`local` (the embedded default); tests/storage.py's `both_backends` parametrizes it with `s3`."""
    return "local"


@pytest.fixture
def settings_overrides(database_url, redis_url, tmp_path, upload_backend, request):
    storage = s3_settings(request.getfixturevalue("s3_server")) if upload_backend == "s3" else {}
    return {
        **storage,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": "test-secret",
        "FIELD_ENCRYPTION_KEY": "test-field-key",
        "UPLOAD_DIR": str(tmp_path / "uploads"),
        "AUDIT_SIGNING_KEY_FILE": str(tmp_path / "audit-signing-key.pem"),
        "AUDIT_CHECKPOINT_DIR": str(tmp_path / "audit-checkpoints"),
        "EMBEDDED_WORKER": False,
        "WEBHOOK_ALLOW_PRIVATE_NETWORKS": True,
        "SMART315_TESTING": True,
        # The web SMS captcha (tests/api/test_captcha.py sets 1) would answer 428 to every second send.
        "SMS_CAPTCHA_AFTER": 1000,
        # Abuse controls (tests/api/test_abuse.py sets real values): factories file the same text again and
        # again, and many tests file more than five complaints an hour.
        "COMPLAINT_RATE_LIMIT": "10000/hour",
        "DUPLICATE_COMPLAINT_THRESHOLD": 0,
    }


@pytest.fixture
def app(settings_overrides):
    from server.app import create_app

    application = create_app(settings_overrides)
    db = application.extensions["smart315.db"]
    if db.is_postgres:  # on SQLite database_url is a fresh copy of the migrated template
        reset_database(db)
    r = application.extensions.get("smart315.redis")
    if r is not None:
        r.flushdb()
    from server.api.limits import reset_limits

    reset_limits(application)  # without Redis on SQLite the windows live in a file beside the database
    yield application
    db.dispose()
    limits = application.extensions.get("smart315.limits")
    if limits is not None:
        limits.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def settings(app):
    return app.config["SMART315"]


@pytest.fixture
def db(app):
    return app.extensions["smart315.db"]


@pytest.fixture
def session(db):
    s = db.Session()
    yield s
    s.rollback()
    s.close()


@pytest.fixture
def auth(app, client):
    from tests.factories import AuthActions

    return AuthActions(app, client)


@pytest.hookimpl(tryfirst=True)  # before `-m` selects: the browser marker below must already be there
def pytest_collection_modifyitems(config, items):
    """Every test that drives Chromium (it uses the `browser` fixture, directly or through `new_context`)
    carries the `browser` marker, so `make test-fast` (`-m "not browser"`) never starts a browser.
    PostgreSQL-only tests run in the PostgreSQL pass (.ci/run runs both); elsewhere they are deselected,
    loudly."""
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()) and item.get_closest_marker("browser") is None:
            item.add_marker(pytest.mark.browser)
    if os.environ.get("TEST_DATABASE_URL"):
        return
    keep, dropped = [], []
    for item in items:
        (dropped if item.get_closest_marker("postgres_only") else keep).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep
        config._smart315_pg_deselected = len(dropped)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    n = getattr(config, "_smart315_pg_deselected", 0)
    if n:
        terminalreporter.write_line(f"{n} PostgreSQL-only tests not run here: set TEST_DATABASE_URL (CI runs them)")
