"""First /consult of a fresh gunicorn worker, with and without warming the retrieval index at start.

    .venv/bin/python bench/bench_first_consult.py [--runs 3] [--settle 8]

Each run starts `gunicorn -c deploy/gunicorn.conf.py` with one worker on SQLite, waits for /healthz and
times the first POST /consult: before (no warm-up, no disk cache), with the disk cache of tokenized
articles only, with the warm-up thread and the cache and the request sent at once, and sent `--settle`
seconds after /healthz (a real first user rarely arrives in the same second as the deploy). Prints the
medians in seconds; figures go to docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
QUESTION = {"question": "网上买的衣服不喜欢，七天内可以退货吗？"}


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def first_call(warm: bool, settle: float, cache: str) -> float:
    port, tmp = _port(), Path(tempfile.mkdtemp(prefix="smart315-bench-"))
    env = {**os.environ, "SMART315_ENV": "development", "SMART315_INSTANCE_DIR": str(tmp),
           "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}", "EMBEDDED_WORKER": "0", "LOG_LEVEL": "WARNING",
           "PROMETHEUS_MULTIPROC_DIR": str(tmp / "prom"), "WEB_CONCURRENCY": "1", "BIND": f"127.0.0.1:{port}",
           "ASSIST_WARM_INDEX": "1" if warm else "0", "ASSIST_RATE_LIMIT": "100000/minute",
           "ASSIST_INDEX_CACHE_DIR": cache}
    env.pop("REDIS_URL", None)
    subprocess.run([sys.executable, "-m", "server.cli", "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "server.wsgi:app", "-c", "deploy/gunicorn.conf.py"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        while True:
            try:
                if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.1)
        time.sleep(settle)
        start = time.perf_counter()
        r = requests.post(f"{base}/api/v1/consult", json=QUESTION, timeout=120)
        elapsed = time.perf_counter() - start
        assert r.status_code == 200 and r.json()["citations"], r.text[:300]
        return elapsed
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--settle", type=float, default=8.0)
    args = ap.parse_args()
    cache = tempfile.mkdtemp(prefix="smart315-bench-cache-")
    first_call(False, 0.0, cache)  # fills the token cache, as the first start after a deploy does
    variants = [("before (no warm-up, no disk cache)", False, 0.0, "off"),
                ("disk cache only", False, 0.0, cache),
                ("warm-up thread + disk cache, request at once", True, 0.0, cache),
                (f"warm-up thread + disk cache, request {args.settle:.0f} s after /healthz", True, args.settle, cache)]
    for name, warm, settle, where in variants:
        times = [first_call(warm, settle, where) for _ in range(args.runs)]
        print(f"{name}: first /consult median {statistics.median(times):.3f} s "
              f"(runs: {', '.join(f'{t:.3f}' for t in times)})", flush=True)
    shutil.rmtree(cache, ignore_errors=True)


if __name__ == "__main__":
    main()
