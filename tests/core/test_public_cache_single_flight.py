"""A missing public aggregate is computed once, not by every reader at once (found at three times the seed:
/public/stats takes ~2.8 s cold and, computed by every thread of every worker together, no request of an
8 s run finished — docs/benchmarks.md "nginx micro-cache"). With Redis the readers may be in other
processes; without it, in other threads of this one."""
from __future__ import annotations

import threading
import time

import pytest

from server.core.cache import PublicCache
from server.redis_client import make_redis


def _readers(cache: PublicCache, n: int, compute) -> list[str]:
    out: list[str] = []
    start = threading.Barrier(n)

    def read():
        start.wait()
        out.append(cache.get_or_set_text("stats", compute))

    threads = [threading.Thread(target=read) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return out


@pytest.fixture(params=["memory", "redis"])
def cache(request, redis_url):
    if request.param == "memory":
        return PublicCache(None)
    if not redis_url:
        pytest.skip("TEST_REDIS_URL is not set here; CI's PostgreSQL + Redis pass runs it")
    client = make_redis(redis_url)
    client.flushdb()
    return PublicCache(client)


def test_eight_readers_of_a_missing_aggregate_compute_it_once(cache):
    calls = []

    def compute():
        calls.append(1)
        time.sleep(0.4)  # a slow aggregate
        return {"complaints_total": 576911}

    answers = _readers(cache, 8, compute)
    assert len(calls) == 1
    assert len(answers) == 8 and len(set(answers)) == 1 and "576911" in answers[0]


def test_a_failed_computation_lets_the_waiting_readers_compute(cache):
    calls = []

    def compute():
        calls.append(1)
        if len(calls) == 1:
            time.sleep(0.2)
            raise RuntimeError("database went away")
        return {"ok": True}

    out: list[object] = []

    def read():
        try:
            out.append(cache.get_or_set_text("stats", compute))
        except RuntimeError as e:
            out.append(e)

    first = threading.Thread(target=read)
    first.start()
    time.sleep(0.05)
    second = threading.Thread(target=read)
    second.start()
    first.join(10)
    second.join(10)
    assert isinstance(out[0], RuntimeError) and "ok" in str(out[1])
    assert len(calls) == 2  # the waiter did not hang for MISS_WAIT_SECONDS, nor give up without an answer
