"""The restore drill an operator runs before they need it (issue 23.8): `pg_dump` of a running platform,
restored into a new database, passes `smart315 audit verify` against a checkpoint signed before the dump,
and answers the same public figures as the original."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.factories import act, file_complaint, settle

pytestmark = [pytest.mark.postgres_only, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
PUBLIC = ("/api/v1/public/stats", "/api/v1/public/rankings", "/api/v1/public/complaints",
          "/api/v1/public/industries")


def _operator_env(database_url: str, tmp_path: Path) -> dict[str, str]:
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": "", "SMART315_ENV": "development",
           "AUDIT_SIGNING_KEY_FILE": str(tmp_path / "operator-signing-key.pem"),
           "AUDIT_CHECKPOINT_DIR": str(tmp_path / "checkpoints")}
    for name in ("SENTRY_DSN", "AUDIT_KEY"):  # the app under test keeps the default audit key too
        env.pop(name, None)
    return env


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "server.cli", *args], env=env, capture_output=True, text=True,
                          timeout=180, cwd=ROOT)


def _public_figures(client) -> dict[str, object]:
    out = {}
    for path in PUBLIC:
        r = client.get(path)
        assert r.status_code == 200, (path, r.get_data(as_text=True)[:300])
        out[path] = r.get_json()
    return out


@pytest.fixture
def restored_database(database_url):
    """A new, empty database beside the test database; dropped afterwards."""
    url = make_url(database_url)
    name = f"restore_drill_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                         {"n": name})
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def test_dump_restore_verify_and_same_public_figures(app, client, auth, database_url, restored_database,
                                                      settings_overrides, tmp_path):
    owner, biz = auth.business()
    consumer, mediator = auth.consumer(), auth.mediator("1101")
    for _ in range(3):
        settle(client, consumer, mediator, owner, biz["id"])
    open_one = file_complaint(client, consumer, biz["id"], title="尚在处理的投诉")
    act(client, mediator, open_one["id"], "accept")
    before = _public_figures(client)
    assert before["/api/v1/public/stats"], "the platform has figures to compare"

    env = _operator_env(database_url, tmp_path)
    assert _cli(env, "audit", "keygen").returncode == 0
    cp = _cli(env, "audit", "checkpoint", "--out", str(tmp_path / "before-dump.json"))
    assert cp.returncode == 0, cp.stderr

    dump = tmp_path / "platform.dump"
    pg = make_url(database_url)
    conn_args = ["-h", pg.host or "127.0.0.1", "-p", str(pg.port or 5432), "-U", pg.username or "root"]
    d = subprocess.run(["pg_dump", "-Fc", "--no-owner", *conn_args, "-f", str(dump), pg.database],
                       capture_output=True, text=True, timeout=180)
    assert d.returncode == 0, d.stderr
    r = subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", *conn_args, "-d",
                        make_url(restored_database).database, str(dump)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr

    verified = _cli(_operator_env(restored_database, tmp_path), "audit", "verify", "--against",
                    str(tmp_path / "before-dump.json"))
    report = json.loads(verified.stdout.strip().splitlines()[-1])
    assert verified.returncode == 0, report
    assert report["broken"] == [] and report["checked"] >= 4 * 3

    from server.app import create_app

    restored = create_app({**settings_overrides, "DATABASE_URL": restored_database, "REDIS_URL": ""})
    try:
        assert _public_figures(restored.test_client()) == before
    finally:
        restored.extensions["smart315.db"].dispose()
