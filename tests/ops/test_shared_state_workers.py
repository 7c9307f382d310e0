"""The embedded default agrees with itself: `smart315 serve` with several gunicorn workers, SQLite (or
the run's PostgreSQL) and no Redis. Every piece of state a request leaves for a later one -- the staff
WeChat binding's QR, the WeChat access token, SMS codes, cooldowns, captcha, rate limits -- is in the
database, so whichever worker answers, the answer is the same (issue 23.1)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import requests
from sqlalchemy import delete

from server.simulators.runner import start_in_thread
from server.simulators.wechat import create_wechat_simulator
from tests.security.procs import ROOT, free_port, make_consumer

pytestmark = pytest.mark.slow  # starts a gunicorn with three workers (about 15-25 s on two cores)

SMART315 = str(Path(sys.executable).with_name("smart315"))
WORKERS = 3


@pytest.fixture
def wechat():
    from server.config import load_config

    cfg = load_config(environ={})
    sim = create_wechat_simulator({cfg["WECHAT_MINI_APPID"]: cfg["WECHAT_MINI_SECRET"],
                                   cfg["WECHAT_OA_APPID"]: cfg["WECHAT_OA_SECRET"]})
    url, stop = start_in_thread(sim)
    yield url
    stop()


@pytest.fixture
def served(database_url, wechat):
    """`smart315 serve --workers 3` on a free port: the command `make run` runs, without Redis."""
    from server.core.models import AuthAttempt, RateLimitHit, SharedValue
    from server.db import Database

    db = Database(database_url)  # PostgreSQL runs share the database: no counted attempts, no token
    with db.session() as s:
        s.execute(delete(RateLimitHit))
        s.execute(delete(AuthAttempt))
        s.execute(delete(SharedValue))
        s.commit()
    db.dispose()
    folder = Path(tempfile.mkdtemp(prefix="smart315-workers-"))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REDIS", "TEST_"))}
    env.update({
        "SMART315_ENV": "development", "SMART315_INSTANCE_DIR": str(folder), "DATABASE_URL": database_url,
        "UPLOAD_DIR": str(folder / "uploads"), "PROMETHEUS_MULTIPROC_DIR": str(folder / "prom"),
        "EMBEDDED_WORKER": "0", "LOG_LEVEL": "WARNING", "WECHAT_API_BASE_URL": wechat,
        "SMS_PROVIDER": "console", "SMS_SEND_LIMIT_PER_IP": "20", "SMS_SEND_LIMIT_PER_PHONE": "5",
        "SMS_CAPTCHA_AFTER": "1000",
    })
    env.pop("REDIS_URL", None)
    stderr = folder / "stderr.log"
    proc = subprocess.Popen([SMART315, "serve", "--bind", f"127.0.0.1:{port}", "--workers", str(WORKERS)],
                            cwd=str(ROOT), env=env, stdout=subprocess.DEVNULL, stderr=open(stderr, "wb"))
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError("smart315 serve exited: " + stderr.read_text()[-3000:])
            try:
                if requests.get(base + "/healthz", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError("smart315 serve did not answer: " + stderr.read_text()[-3000:])
            time.sleep(0.2)
        yield base, database_url, proc, wechat
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def _workers_answering(proc) -> int:
    import psutil

    return len(psutil.Process(proc.pid).children())


def fresh(method: str, url: str, **kw) -> requests.Response:
    """One request on a connection of its own (no keep-alive), so the requests spread over the workers."""
    with requests.Session() as s:
        s.headers["Connection"] = "close"
        return s.request(method, url, timeout=15, **kw)


def test_binding_qr_and_sms_limits_agree_across_workers(served):
    base, database_url, proc, wechat = served
    assert _workers_answering(proc) == WORKERS

    # A business owner creates a one-time WeChat OA binding; the QR image is drawn by any worker.
    token = make_consumer(database_url, {"SMART315_ENV": "development"}, name="店主")
    auth = {"Authorization": f"Bearer {token}"}
    from tests.factories import credit_code

    r = fresh("POST", base + "/api/v1/businesses", headers=auth, json={
        "name": "北京多进程测试商贸有限公司", "credit_code": credit_code(), "industry_code": "online_shopping",
        "region_code": "110105", "contact_name": "李经理", "contact_phone": "13900001111"})
    assert r.status_code == 201, r.text
    business_id = r.json()["id"]
    r = fresh("POST", base + f"/api/v1/businesses/{business_id}/wechat-binding", headers=auth)
    assert r.status_code == 201, r.text
    png_url = base + r.json()["qr_png_url"]
    answers = [fresh("GET", png_url, headers=auth) for _ in range(15)]
    assert [a.status_code for a in answers] == [200] * 15
    assert all(a.headers["Content-Type"] == "image/png" for a in answers)

    # More bindings, one after the other, answered by whichever worker: they all use one WeChat access
    # token, kept in the database, instead of each worker fetching its own (each fetch retires the others').
    for _ in range(8):
        assert fresh("POST", base + f"/api/v1/businesses/{business_id}/wechat-binding", headers=auth).status_code == 201
    assert requests.get(wechat + "/_sim/stats", timeout=5).json()["token"] == 1

    # SMS: at most SMS_SEND_LIMIT_PER_IP (20) codes an hour from one address, whichever worker counts.
    statuses = [fresh("POST", base + "/api/v1/auth/sms/send", json={"phone": f"1380013{i:04d}"}).status_code
                for i in range(30)]
    assert statuses.count(202) == 20, statuses
    assert statuses[:20] == [202] * 20 and set(statuses[20:]) == {429}, statuses

    # The per-phone cooldown is shared too: a second send for the same number is refused by any worker.
    again = fresh("POST", base + "/api/v1/auth/sms/send", json={"phone": "13800130000"})
    assert again.status_code == 429
