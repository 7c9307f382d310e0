"""Scale-out on one machine: two gunicorn servers, two notification workers and two schedulers against the
same database and Redis, driven through complaint lifecycles over HTTP (alternating servers), with deadlines
passed under the schedulers' feet. Ends with no duplicate and no lost notification and every deadline
applied exactly once.

Database: a fresh PostgreSQL database made from TEST_DATABASE_URL's server (the production set-up); without
TEST_DATABASE_URL, a fresh SQLite file (the embedded default's atomic claims). Redis: TEST_REDIS_URL if set.
Size: SCALEOUT_COMPLAINTS lifecycles (default 200; docs/benchmarks.md has a larger run).
"""
from __future__ import annotations

import http.server
import itertools
import json
import os
import secrets
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, func, select, text, update
from sqlalchemy.engine import make_url

from server.config import normalize_database_url
from tests.factories import AuthActions, complaint_body
from tests.security.procs import free_port

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
N = int(os.environ.get("SCALEOUT_COMPLAINTS") or 200)
SECRET = "scaleout-secret"
FIELD_KEY = "scaleout-field-key"

# Each lifecycle kind: HTTP steps (who, action), then the deadline step the scheduler must apply, if any.
KINDS = {
    "settle": ([("mediator", "accept"), ("owner", "respond"), ("consumer", "confirm"), ("consumer", "rate")], None),
    "mediate": ([("mediator", "accept"), ("owner", "respond"), ("consumer", "dispute"), ("mediator", "mediate_success")], None),
    "no_response": ([("mediator", "accept")], "response_timeout"),
    "no_confirm": ([("mediator", "accept"), ("owner", "respond")], "confirm_timeout"),
    "no_intake": ([], "auto_accept"),
    "withdraw": ([("mediator", "accept"), ("consumer", "withdraw")], "close"),
}
AFTER_DEADLINE = {"response_timeout": "mediating", "confirm_timeout": "resolved", "auto_accept": "forwarded",
                  "close": "closed"}
FIELDS = {"respond": {"note": "同意全额退款"}, "confirm": {"amount_recovered": "100.00"}, "rate": {"rating": 4},
          "dispute": {"note": "方案不合理"}, "mediate_success": {"amount_recovered": "80.00"},
          "withdraw": {"note": "不再追究"}}
# Which complaint events the business hears of by webhook (outbox BUSINESS_EVENTS).
BUSINESS_EVENT_OF_ACTION = {"forward": "complaint.forwarded", "response_timeout": "complaint.mediating",
                            "dispute": "complaint.mediating", "confirm": "complaint.resolved",
                            "confirm_timeout": "complaint.resolved", "mediate_success": "complaint.resolved"}


class Receiver(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        self.deliveries: list[tuple[str, str, dict]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    receiver.deliveries.append((self.headers.get("X-Smart315-Delivery", ""),
                                                self.headers.get("X-Smart315-Event", ""), json.loads(body)))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *a):
                pass

        super().__init__(("127.0.0.1", 0), Handler)


@pytest.fixture
def fresh_database(tmp_path):
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{tmp_path / 'scaleout.sqlite3'}"
        return
    url = make_url(normalize_database_url(base))
    name = f"smart315_scaleout_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


class Fleet:
    """The processes this test starts; stopped (by their own pids) whatever happens."""

    def __init__(self, tmp: Path, env: dict[str, str]):
        self.tmp, self.env, self.procs = tmp, env, []

    def start(self, name: str, args: list[str], **extra_env: str) -> subprocess.Popen:
        log = open(self.tmp / f"{name}.log", "wb")
        p = subprocess.Popen(args, cwd=ROOT, env={**self.env, **extra_env}, stdout=log, stderr=subprocess.STDOUT)
        self.procs.append((name, p, log))
        return p

    def alive(self) -> list[str]:
        return [name for name, p, _ in self.procs if p.poll() is None]

    def tails(self) -> str:
        out = []
        for name, _, _ in self.procs:
            text_ = (self.tmp / f"{name}.log").read_text(errors="replace")
            out.append(f"--- {name}\n{text_[-3000:]}")
        return "\n".join(out)

    def stop(self) -> None:
        for _, p, _ in self.procs:
            if p.poll() is None:
                p.terminate()
        for _, p, log in self.procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=5)
            log.close()


def _wait(predicate, timeout: float, what: str, fleet: Fleet, interval: float = 0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"timed out waiting for {what}\n{fleet.tails()}")


def test_two_servers_two_workers_two_schedulers(fresh_database, redis_url, tmp_path):
    from server.app import create_app
    from server.config import load_config
    from server.core.audit import verify_all
    from server.core.models import Complaint, ComplaintEvent, Notification, utcnow
    from server.core.reference import ensure_reference_data
    from server.core.scoring.actions import recompute_all
    from server.db import Database
    from server.migrate import upgrade

    url = fresh_database
    upgrade(url)
    db = Database(url)
    with db.session() as s:
        ensure_reference_data(s)
        s.commit()

    receiver = Receiver()
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET, "FIELD_ENCRYPTION_KEY": FIELD_KEY,
           "EMBEDDED_WORKER": "0", "WEBHOOK_ALLOW_PRIVATE_NETWORKS": "1", "SCHEDULER_INTERVAL_SECONDS": "1",
           "NOTIFY_POLL_SECONDS": "1", "LOG_FORMAT": "json", "LOG_LEVEL": "WARNING",
           "SMART315_INSTANCE_DIR": str(tmp_path / "instance"), "UPLOAD_DIR": str(tmp_path / "uploads"),
           # These servers do not get conftest's overrides: every request comes from 127.0.0.1, so the web SMS
           # captcha and the password-failure captcha would answer 428 to the load here.
           "SMS_CAPTCHA_AFTER": "1000000", "LOGIN_CAPTCHA_AFTER": "1000000", "LOGIN_CAPTCHA_AFTER_PER_IP": "1000000",
           "CAPTCHA_LIMIT_PER_IP": "1000000",
           # A few consumers file the same complaint many times here: the abuse controls are tested elsewhere.
           "COMPLAINT_RATE_LIMIT": "100000/hour", "DUPLICATE_COMPLAINT_THRESHOLD": "0"}
    env.pop("REDIS_URL", None)
    if redis_url:
        env["REDIS_URL"] = redis_url
    cli = str(Path(sys.executable).parent / "smart315")
    fleet = Fleet(tmp_path, env)
    ports = [free_port(), free_port()]
    try:
        for i, port in enumerate(ports):
            prom = tmp_path / f"prom{i}"
            prom.mkdir()
            fleet.start(f"web{i}", [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "deploy/gunicorn.conf.py"),
                                    "--bind", f"127.0.0.1:{port}", "--workers", "2", "server.wsgi:app"],
                        PROMETHEUS_MULTIPROC_DIR=str(prom))
        for i in range(2):
            fleet.start(f"worker{i}", [cli, "worker"])
            fleet.start(f"scheduler{i}", [cli, "scheduler"])
        bases = [f"http://127.0.0.1:{p}" for p in ports]

        def ready():
            try:
                return all(requests.get(b + "/readyz", timeout=2).status_code == 200 for b in bases)
            except requests.RequestException:
                return False

        _wait(ready, 60, "both servers ready", fleet)

        # Accounts, made through an in-process app on the same database (same keys, so tokens work everywhere).
        local = create_app({"DATABASE_URL": url, "REDIS_URL": redis_url, "SECRET_KEY": SECRET,
                            "FIELD_ENCRYPTION_KEY": FIELD_KEY, "EMBEDDED_WORKER": False,
                            "WEBHOOK_ALLOW_PRIVATE_NETWORKS": True, "UPLOAD_DIR": str(tmp_path / "uploads")})
        auth = AuthActions(local, local.test_client())
        owner, biz = auth.business()
        mediator = auth.mediator("1101")
        consumers = [auth.consumer(name=f"用户{i}") for i in range(max(2, N // 10))]
        r = requests.post(bases[0] + f"/api/v1/businesses/{biz['id']}/webhooks", headers=owner.headers,
                          json={"url": f"http://127.0.0.1:{receiver.server_port}/hook", "events": []}, timeout=10)
        assert r.status_code == 201, r.text

        counter = itertools.count()
        served = Counter()
        failures: list[str] = []

        def call(method: str, path: str, who, **kw):
            i = next(counter)
            base = bases[i % 2]
            served[base] += 1
            resp = requests.request(method, base + path, headers={**who.headers, "X-Request-Id": f"so-{i}"},
                                    timeout=30, **kw)
            return resp

        kinds = list(KINDS)
        plan = {n: kinds[n % len(kinds)] for n in range(N)}

        def lifecycle(n: int) -> tuple[int, str]:
            consumer = consumers[n % len(consumers)]
            who = {"consumer": consumer, "owner": owner, "mediator": mediator}
            r = call("POST", "/api/v1/complaints", consumer, json=complaint_body(biz["id"]),)
            if r.status_code != 201:
                failures.append(f"submit {r.status_code} {r.text[:200]}")
                return n, ""
            cid = r.json()["id"]
            for party, action in KINDS[plan[n]][0]:
                r = call("POST", f"/api/v1/complaints/{cid}/transitions", who[party],
                         json={"action": action, **FIELDS.get(action, {})})
                if r.status_code != 200:
                    failures.append(f"{action} on {cid}: {r.status_code} {r.text[:200]}")
                    break
            return n, cid

        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=8) as pool:
            done = dict(pool.map(lifecycle, range(N)))
        http_seconds = time.monotonic() - started
        assert not failures, (failures[:5], fleet.tails())
        assert served[bases[0]] > 0 and served[bases[1]] > 0

        # Pass the deadlines the schedulers must act on (as if the days had gone by).
        by_step: dict[str, list[int]] = {}
        for n, cid in done.items():
            step = KINDS[plan[n]][1]
            if step:
                by_step.setdefault(step, []).append(cid)
        past = utcnow() - timedelta(seconds=1)
        with db.session() as s:
            for cids in by_step.values():
                s.execute(update(Complaint).where(Complaint.id.in_(cids)).values(deadline_at=past))
            s.commit()

        def deadlines_applied():
            with db.session() as s:
                for step, cids in by_step.items():
                    n_ok = s.scalar(select(func.count()).select_from(Complaint).where(
                        Complaint.id.in_(cids), Complaint.status == AFTER_DEADLINE[step]))
                    if n_ok != len(cids):
                        return False
            return True

        _wait(deadlines_applied, 90, "the schedulers to apply every passed deadline", fleet)

        def drained():
            with db.session() as s:
                busy = s.scalar(select(func.count()).select_from(Notification)
                                .where(Notification.send_state.in_(("pending", "sending"))))
            return busy == 0

        _wait(drained, 120, "the workers to drain the outbox", fleet)
        time.sleep(1.5)  # a duplicate send, if any, would land now
        assert sorted(fleet.alive()) == sorted(name for name, _, _ in fleet.procs), fleet.tails()

        with db.session() as s:
            # Every deadline applied once: no complaint has a system step twice, each passed one exactly once.
            dup = s.execute(select(ComplaintEvent.complaint_id, ComplaintEvent.action, func.count())
                            .where(ComplaintEvent.actor_role == "system")
                            .group_by(ComplaintEvent.complaint_id, ComplaintEvent.action)
                            .having(func.count() > 1)).all()
            assert dup == []
            for step, cids in by_step.items():
                applied = dict(s.execute(select(ComplaintEvent.complaint_id, func.count())
                                         .where(ComplaintEvent.complaint_id.in_(cids), ComplaintEvent.action == step)
                                         .group_by(ComplaintEvent.complaint_id)).all())
                assert applied == {cid: 1 for cid in cids}, step
            assert verify_all(s, load_config())["broken"] == []
            # The index rows written by many processes at once equal a full recompute (nothing to rewrite).
            summary = recompute_all(s, {"REDIS_URL": None})
            assert (summary["changed"], summary["history_rows"]) == (0, 0), summary
            s.rollback()

            # No lost notification: each business-facing event has exactly one webhook row, and it was sent.
            events = s.execute(select(ComplaintEvent.id, ComplaintEvent.action)
                               .where(ComplaintEvent.action.in_(tuple(BUSINESS_EVENT_OF_ACTION)))).all()
            rows = s.execute(select(Notification).where(Notification.channel == "webhook")).scalars().all()
            by_source = Counter(r.dedupe_key.split(":", 1)[0] for r in rows)
            assert {f"ev{eid}" for eid, _ in events} <= set(by_source), "an event without its webhook row"
            assert all(by_source[f"ev{eid}"] == 1 for eid, _ in events)
            assert Counter(r.send_state for r in rows) == Counter({"sent": len(rows)}), \
                [(r.id, r.event_type, r.send_state, r.attempts, r.last_error) for r in rows if r.send_state != "sent"][:5]
            total, distinct = s.execute(select(func.count(), func.count(func.distinct(Notification.dedupe_key)))
                                        ).one()
            assert total == distinct
            expected_ids = {r.payload["delivery_id"] for r in rows}
            assert len(expected_ids) == len(rows)
            # The outbox rows remember which request caused them (rows the scheduler caused have none).
            role_of = dict(s.execute(select(ComplaintEvent.id, ComplaintEvent.actor_role)).all())
            by_people = [r for r in rows if role_of[int(r.dedupe_key.split(":", 1)[0][2:])] != "system"]
            assert by_people and all(str(r.payload.get("request_id", "")).startswith("so-") for r in by_people)

        # ... and each was received exactly once: no duplicate, none missing.
        got = Counter(d[0] for d in receiver.deliveries)
        assert set(got) == expected_ids
        assert [k for k, v in got.items() if v > 1] == []
        assert len(receiver.deliveries) == len(rows)
        print(f"\nscale-out: {N} lifecycles, {sum(served.values())} HTTP calls in {http_seconds:.1f}s "
              f"({sum(served.values()) / http_seconds:.0f}/s) over {dict(served)}; "
              f"{len(rows)} webhooks delivered once each; deadlines {({k: len(v) for k, v in by_step.items()})}")
    finally:
        fleet.stop()
        receiver.shutdown()
        db.dispose()
