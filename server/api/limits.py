"""Rate limits for sign-in and SMS: a fixed window in Redis, or in process memory without Redis."""
from __future__ import annotations

import threading
import time

from flask import current_app, request

from server.core.errors import RateLimited
from server.redis_client import get_redis

_local: dict[str, tuple[int, float]] = {}
_lock = threading.Lock()


def hit(key: str, limit: int, window: int) -> None:
    """Count one attempt for `key`; RateLimited (429 with Retry-After) once `limit` is passed in `window` s."""
    r = get_redis(current_app)
    if r is not None:
        try:
            bucket = f"rl:{key}:{int(time.time()) // window}"
            pipe = r.pipeline()
            pipe.incr(bucket)
            pipe.expire(bucket, window + 1)
            count = pipe.execute()[0]
            if count > limit:
                raise RateLimited(retry_after=window - int(time.time()) % window or 1)
            return
        except RateLimited:
            raise
        except Exception:  # Redis down: degrade to the per-process window rather than refuse sign-in
            pass
    now = time.time()
    with _lock:
        count, start = _local.get(key, (0, now))
        if now - start >= window:
            count, start = 0, now
        count += 1
        _local[key] = (count, start)
        if len(_local) > 100_000:
            _local.clear()
    if count > limit:
        raise RateLimited(retry_after=max(1, int(window - (now - start))))


def client_ip() -> str:
    return request.remote_addr or "unknown"


def check_login_limits(kind: str, subject: str) -> None:
    cfg = current_app.config["SMART315"]
    hit(f"login:{kind}:ip:{client_ip()}", int(cfg.get("LOGIN_LIMIT_PER_IP", 30)), 60)
    hit(f"login:{kind}:subject:{subject}", int(cfg.get("LOGIN_LIMIT_PER_SUBJECT", 10)), 60)
