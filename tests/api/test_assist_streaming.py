"""Issue 20 item 4: a streamed /consult answer does not hold a gunicorn worker for the model's whole answer.

The shipped deploy/gunicorn.conf.py with ONE worker serves two streams from a slow model (the simulator
sleeps between chunks) side by side: together they take about as long as one, and a plain request in
the meantime is answered at once. A stream beyond ASSIST_MAX_STREAMS gets the retrieval answer at once.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
import requests

from server.simulators.llm import create_llm_simulator
from server.simulators.runner import start_in_thread
from tests.security.procs import free_port

ROOT = Path(__file__).resolve().parents[2]
KEY = "stream-test-key"
CHUNK_DELAY = 0.1  # the simulated answer has ~15 chunks: about 1.5 s per stream


@pytest.fixture(scope="module")
def slow_llm():
    base_url, shutdown = start_in_thread(create_llm_simulator(api_key=KEY))
    requests.post(f"{base_url}/_sim/fault", json={"mode": "ok", "chunk_delay": CHUNK_DELAY}, timeout=5)
    yield base_url
    shutdown()


@pytest.fixture(scope="module")
def server(slow_llm):
    port, tmp = free_port(), Path(tempfile.mkdtemp(prefix="smart315-stream-"))
    env = {**os.environ, "SMART315_ENV": "development", "SMART315_INSTANCE_DIR": str(tmp),
           "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}", "UPLOAD_DIR": str(tmp / "uploads"),
           "EMBEDDED_WORKER": "0", "LOG_LEVEL": "WARNING", "PROMETHEUS_MULTIPROC_DIR": str(tmp / "prom"),
           "WEB_CONCURRENCY": "1", "BIND": f"127.0.0.1:{port}", "ASSIST_RATE_LIMIT": "100000/minute",
           "COMPLAINT_RATE_LIMIT": "100000/hour", "DUPLICATE_COMPLAINT_THRESHOLD": "0", "SMS_CAPTCHA_AFTER": "100000",
           "LLM_BASE_URL": f"{slow_llm}/v1", "LLM_API_KEY": KEY, "LLM_MODEL": "deepseek-flash",
           "LLM_TIMEOUT_SECONDS": "10", "ASSIST_MAX_STREAMS": "2"}
    env.pop("GUNICORN_THREADS", None)
    env.pop("REDIS_URL", None)
    subprocess.run([sys.executable, "-m", "server.cli", "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   capture_output=True, timeout=120)
    stderr = open(tmp / "stderr.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "server.wsgi:app", "-c", "deploy/gunicorn.conf.py"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, (tmp / "stderr.log").read_text()[-2000:]
            try:
                if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.2)
        # the first answer of the worker (index warm or not) is not what is measured here
        requests.post(f"{base}/api/v1/consult", json={"question": "预热一下"}, timeout=60)
        yield base
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)


def _stream(base: str, out: dict, name: str) -> None:
    start = time.monotonic()
    r = requests.post(f"{base}/api/v1/consult", json={"question": "商家卖假货能退一赔三吗", "stream": True},
                      timeout=60, stream=True)
    text, done = [], None
    for block in r.iter_content(chunk_size=None, decode_unicode=True):
        text.append(block)
    raw = "".join(text)
    for part in raw.split("\n\n"):
        if part.startswith("event: done"):
            done = json.loads(part.split("data: ", 1)[1])
    out[name] = {"seconds": time.monotonic() - start, "done": done, "raw": raw}


def test_two_streams_on_one_worker_do_not_wait_for_each_other(server):
    single: dict = {}
    _stream(server, single, "one")
    assert single["one"]["done"]["provider"] == "llm"
    alone = single["one"]["seconds"]
    assert alone >= 1.0  # the model really is slow

    out: dict = {}
    threads = [threading.Thread(target=_stream, args=(server, out, n)) for n in ("a", "b")]
    start = time.monotonic()
    for t in threads:
        t.start()
    time.sleep(0.3)
    t0 = time.monotonic()
    health = requests.get(f"{server}/healthz", timeout=10)
    health_seconds = time.monotonic() - t0
    for t in threads:
        t.join(60)
    both = time.monotonic() - start
    assert {out["a"]["done"]["provider"], out["b"]["done"]["provider"]} == {"llm"}
    # serialised they would take 2 x alone; side by side about 1 x
    assert both < alone * 1.6, (both, alone)
    assert health.status_code == 200 and health_seconds < alone / 2, health_seconds


def test_a_stream_over_the_cap_is_answered_from_retrieval_at_once(server):
    out: dict = {}
    busy = [threading.Thread(target=_stream, args=(server, out, n)) for n in ("a", "b")]
    for t in busy:
        t.start()
    time.sleep(0.4)  # both slots taken
    _stream(server, out, "c")
    for t in busy:
        t.join(60)
    c = out["c"]
    assert c["done"]["provider"] == "local" and "当前咨询人数较多" in c["done"]["notice"]
    assert "第五十五条" in c["raw"] and c["seconds"] < out["a"]["seconds"]
    assert out["a"]["done"]["provider"] == "llm" and out["b"]["done"]["provider"] == "llm"
