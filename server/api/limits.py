"""Rate limits for sign-in and SMS: a fixed window in Redis, or in process memory without Redis.

Kept instead of Flask-Limiter because the limits are keyed by what the request body names (a
phone's look-up hash, a username) after validation, inside the handler; callers pass hashed
subjects so no phone number ends up in Redis keys.
"""
from __future__ import annotations

import threading
import time

from flask import current_app, request

from server.core.errors import RateLimited
from server.redis_client import get_redis

_lock = threading.Lock()


def _local_store() -> dict[str, tuple[int, float, int]]:
    # Per app, not per module: two apps in one process (tests) must not share counters.
    return current_app.extensions.setdefault("smart315.limits_local", {})


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
    _local = _local_store()
    with _lock:
        count, start, _ = _local.get(key, (0, now, window))
        if now - start >= window:
            count, start = 0, now
        count += 1
        _local[key] = (count, start, window)
        if len(_local) > 100_000:
            # Drop only finished windows: clearing everything would let a flood of keys reset the limits.
            for k in [k for k, (_, st, w) in _local.items() if now - st >= w]:
                del _local[k]
    if count > limit:
        raise RateLimited(retry_after=max(1, int(window - (now - start))))


def client_ip() -> str:
    return request.remote_addr or "unknown"


def check_login_limits(kind: str, subject: str) -> None:
    cfg = current_app.config["SMART315"]
    hit(f"login:{kind}:ip:{client_ip()}", int(cfg.get("LOGIN_LIMIT_PER_IP", 30)), 60)
    hit(f"login:{kind}:subject:{subject}", int(cfg.get("LOGIN_LIMIT_PER_SUBJECT", 10)), 60)


def check_ip_limit(kind: str) -> None:
    """Sign-in attempts per client IP for paths with no subject before the upstream call (WeChat, Alipay)."""
    cfg = current_app.config["SMART315"]
    hit(f"login:{kind}:ip:{client_ip()}", int(cfg.get("LOGIN_LIMIT_PER_IP", 30)), 60)


def check_sms_send_limits(phone_hash: str) -> None:
    """SMS sending per phone (look-up hash, never the number) and per IP, per hour."""
    cfg = current_app.config["SMART315"]
    # The phone first: a number at its limit must not use up the quota of everyone behind the same NAT.
    hit(f"sms:phone:{phone_hash}", int(cfg.get("SMS_SEND_LIMIT_PER_PHONE") or 5), 3600)
    hit(f"sms:ip:{client_ip()}", int(cfg.get("SMS_SEND_LIMIT_PER_IP") or 20), 3600)
