"""Issue 16 item 5: the CLI builds its app through create_app, so `smart315 worker` and `smart315 scheduler`
start like the web app -- in particular they report errors to Sentry when SENTRY_DSN is set (before, only
gunicorn did). The Sentry check is over the real wire: a local HTTP server stands in for Sentry's ingest."""
from __future__ import annotations

import contextlib
import gzip
import http.server
import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent.parent


@contextlib.contextmanager
def fake_sentry():
    """An HTTP server that accepts Sentry envelopes; yields (dsn, list of received bodies)."""
    received: list[bytes] = []

    class Receiver(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.headers.get("Content-Encoding") == "gzip":
                raw = gzip.decompress(raw)
            elif self.headers.get("Content-Encoding") == "br":
                import brotli

                raw = brotli.decompress(raw)
            received.append(raw)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *a):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        yield f"http://pub@127.0.0.1:{srv.server_port}/1", received
    finally:
        srv.shutdown()


def run_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "SENTRY_DSN")}
    return subprocess.run([sys.executable, "-m", "server.cli", *args], cwd=ROOT, env={**base, **env},
                          capture_output=True, text=True, timeout=120)


def test_a_failing_scheduler_job_reaches_sentry(settings, tmp_path):
    not_a_directory = tmp_path / "checkpoints-is-a-file"
    not_a_directory.write_text("x")  # the daily audit.checkpoint job cannot create its directory here
    with fake_sentry() as (dsn, received):
        out = run_cli({"DATABASE_URL": settings["DATABASE_URL"], "SENTRY_DSN": dsn,
                       "AUDIT_CHECKPOINT_DIR": str(not_a_directory),
                       "AUDIT_SIGNING_KEY_FILE": str(tmp_path / "signing-key.pem")}, "scheduler", "--once")
        assert out.returncode == 0, out.stderr  # the tick goes on; the failure is recorded and reported
        assert "periodic job audit.checkpoint failed" in out.stderr  # logging is configured in the process
        assert any(b"periodic job audit.checkpoint failed" in body for body in received), \
            [body[:300] for body in received]


def test_a_crashing_worker_reaches_sentry(tmp_path):
    empty = tmp_path / "no-schema.sqlite3"
    sqlite3.connect(empty).close()  # a database without tables: the worker's first claim fails
    with fake_sentry() as (dsn, received):
        out = run_cli({"DATABASE_URL": f"sqlite:///{empty}", "SENTRY_DSN": dsn,
                       "SMART315_INSTANCE_DIR": str(tmp_path)}, "worker", "--once")
        assert out.returncode != 0 and "no such table" in out.stderr
        assert any(b"no such table" in body for body in received), [body[:300] for body in received]


def test_without_a_dsn_nothing_is_sent(settings, tmp_path):
    with fake_sentry() as (_dsn, received):
        out = run_cli({"DATABASE_URL": settings["DATABASE_URL"], "AUDIT_CHECKPOINT_DIR": str(tmp_path / "c"),
                       "AUDIT_SIGNING_KEY_FILE": str(tmp_path / "k.pem")}, "scheduler", "--once")
        assert out.returncode == 0, out.stderr
    assert received == []


def test_cli_commands_build_the_app_once_through_create_app(app, settings_overrides, monkeypatch):
    import server.app
    from server.cli import main

    calls = []
    real = server.app.create_app

    def spy(config=None):
        calls.append(config)
        return real({**settings_overrides, **(config or {})})

    monkeypatch.setattr(server.app, "create_app", spy)
    result = CliRunner().invoke(main, ["jobs", "--json"])
    assert result.exit_code == 0, result.output
    assert calls == [{"EMBEDDED_WORKER": False, "ASSIST_WARM_INDEX": False}]  # once, never with delivery threads
    assert result.output.strip().startswith("[")
    # Commands that need no app do not build one.
    result = CliRunner().invoke(main, ["vocabulary"])
    assert result.exit_code == 0 and len(calls) == 1


def test_cli_processes_do_not_build_the_assistant_index(tmp_path, monkeypatch):
    """`smart315 worker` and the other CLI processes never answer /consult: building the retrieval index at
    start (as gunicorn workers do) cost the notification worker 125 MiB of its 246 (docs/benchmarks.md)."""
    from server.cli import _create_cli_app

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    monkeypatch.setenv("SMART315_INSTANCE_DIR", str(tmp_path))
    monkeypatch.delenv("ASSIST_WARM_INDEX", raising=False)
    app = _create_cli_app()
    assert app.config["SMART315"]["ASSIST_WARM_INDEX"] is False
    assert "smart315.assist_warm" not in app.extensions  # no warming thread was started
