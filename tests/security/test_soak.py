"""A bounded soak: a steady request rate against gunicorn on loopback for SOAK_SECONDS (20 in CI,
minutes locally), with zero errors and flat memory in the worker processes after warm-up.

SOAK_SECONDS=600 SOAK_RATE=50 .venv/bin/pytest tests/security/test_soak.py -s   # a longer local run
"""
from __future__ import annotations

import itertools
import os
import threading
import time

import psutil
import pytest
import requests

from tests.factories import complaint_body
from tests.security.procs import Gunicorn, make_consumer

# make test-fast leaves this out; make test and CI run it: a steady load against gunicorn for a while.
pytestmark = pytest.mark.slow

SECONDS = float(os.environ.get("SOAK_SECONDS", "20"))
RATE = float(os.environ.get("SOAK_RATE", "25"))  # requests per second, all clients together
CLIENTS = 4
GROWTH_LIMIT_MB = float(os.environ.get("SOAK_RSS_GROWTH_MB", "24"))  # all workers together, after warm-up
ENV = {"SECRET_KEY": "soak-secret", "FIELD_ENCRYPTION_KEY": "soak-field-key", "ACCESS_TOKEN_TTL": "86400",
       # One consumer files near-identical complaints all the time: the abuse controls are tested elsewhere.
       "COMPLAINT_RATE_LIMIT": "100000/hour", "DUPLICATE_COMPLAINT_THRESHOLD": "0"}


def test_steady_load_has_no_errors_and_flat_memory(database_url, redis_url):
    env = {**ENV, "DATABASE_URL": database_url, "REDIS_URL": redis_url or ""}
    token = make_consumer(database_url, env)
    server = Gunicorn(env, workers=2, threads=4)
    server.start()
    headers = {"Authorization": f"Bearer {token}"}
    errors: list[str] = []
    counts = {"requests": 0}
    latencies: list[float] = []
    lock = threading.Lock()
    stop = threading.Event()
    seq = itertools.count()
    first = requests.post(server.base_url + "/api/v1/complaints", headers=headers, json=complaint_body(), timeout=10)
    assert first.status_code == 201, first.text
    cid = first.json()["id"]

    def one(session: requests.Session, n: int) -> None:
        kind = n % 10
        if kind == 0:
            r = session.post(server.base_url + "/api/v1/complaints", timeout=10,
                             headers={**headers, "Idempotency-Key": f"soak-{n}"},
                             json=complaint_body(title=f"浸泡测试投诉 {n}"))
            ok = r.status_code == 201
        elif kind in (1, 2, 3):
            r = session.get(server.base_url + "/api/v1/complaints?per_page=5", headers=headers, timeout=10)
            ok = r.status_code == 200
        elif kind in (4, 5):
            r = session.get(f"{server.base_url}/api/v1/complaints/{cid}", headers=headers, timeout=10)
            ok = r.status_code == 200
        elif kind == 6:
            r = session.get(server.base_url + "/api/v1/businesses?q=电器", timeout=10)
            ok = r.status_code == 200
        elif kind == 7:
            r = session.get(server.base_url + "/api/v1/public/stats", timeout=10)
            ok = r.status_code == 200
        elif kind == 8:
            r = session.get(server.base_url + "/api/v1/me", headers=headers, timeout=10)
            ok = r.status_code == 200
        else:
            r = session.get(server.base_url + "/api/v1/complaints/999999", headers=headers, timeout=10)
            ok = r.status_code == 404  # an expected answer, not an error
        if not ok:
            with lock:
                errors.append(f"{r.request.method} {r.request.path_url}: {r.status_code} {r.text[:200]}")

    def client() -> None:
        session = requests.Session()
        interval = CLIENTS / RATE
        next_at = time.monotonic()
        while not stop.is_set():
            n = next(seq)
            t0 = time.monotonic()
            try:
                one(session, n)
            except requests.RequestException as exc:
                with lock:
                    errors.append(f"request {n}: {type(exc).__name__}")
            with lock:
                counts["requests"] += 1
                latencies.append(time.monotonic() - t0)
            next_at += interval
            time.sleep(max(0.0, next_at - time.monotonic()))

    samples: list[tuple[float, float]] = []
    try:
        pids = server.worker_pids()
        assert len(pids) == 2
        procs = [psutil.Process(p) for p in pids]
        threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
        start = time.monotonic()
        for t in threads:
            t.start()
        while time.monotonic() - start < SECONDS:
            time.sleep(0.5)
            samples.append((time.monotonic() - start, sum(p.memory_info().rss for p in procs) / 2**20))
        stop.set()
        for t in threads:
            t.join(30)
        assert [p.pid for p in procs] == server.worker_pids(), "a worker was restarted during the soak"
    finally:
        stop.set()
        server.stop()

    elapsed = samples[-1][0]
    achieved = counts["requests"] / elapsed
    warm = [rss for t, rss in samples if t >= elapsed * 0.3]
    growth = max(warm[-3:]) - min(warm[:3])
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    print(f"\nsoak: {counts['requests']} requests in {elapsed:.0f}s ({achieved:.1f}/s), p99 {p99 * 1000:.0f} ms, "
          f"RSS {samples[0][1]:.0f} -> {warm[0]:.0f} (warm) -> {samples[-1][1]:.0f} MB, growth after warm-up "
          f"{growth:.1f} MB")
    assert not errors, f"{len(errors)} errors, e.g. {errors[:5]}"
    assert achieved >= RATE * 0.8, f"could not hold the rate: {achieved:.1f}/s"
    assert growth < GROWTH_LIMIT_MB, f"worker RSS grew {growth:.1f} MB after warm-up"
