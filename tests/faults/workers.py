"""Worker processes for the fault tests: `python -m server.tasks.worker` (what `smart315 worker` runs)
against the test database, with the environment a deployment would give it."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def worker_env(settings, **extra) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REDIS_URL", "DATABASE_URL", "NOTIFY_"))}
    env.update({
        "DATABASE_URL": settings["DATABASE_URL"],
        "FIELD_ENCRYPTION_KEY": settings["FIELD_ENCRYPTION_KEY"],
        "SECRET_KEY": settings["SECRET_KEY"],
        "WEBHOOK_ALLOW_PRIVATE_NETWORKS": "1",
        "WECHAT_API_BASE_URL": settings["WECHAT_API_BASE_URL"],
        "PYTHONUNBUFFERED": "1",
    })
    env.update({k: str(v) for k, v in extra.items() if v is not None})
    return env


def start_worker(settings, log_path: Path, *args: str, **extra) -> subprocess.Popen:
    log = open(log_path, "wb")
    return subprocess.Popen([sys.executable, "-m", "server.tasks.worker", *args], cwd=ROOT,
                            env=worker_env(settings, **extra), stdout=log, stderr=subprocess.STDOUT)


def stop(proc: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 20) -> int:
    if proc.poll() is None:
        proc.send_signal(sig)
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait(5)


def wait_until(predicate, timeout: float, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()
