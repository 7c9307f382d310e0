"""Rate limits for sign-in and SMS: a sliding window (a log of attempt times) in Redis, or in process memory.

A sliding window rather than fixed buckets: with buckets, "5 an hour" allows 10 within two minutes
around a bucket boundary, and Retry-After would name the boundary rather than when an attempt
really becomes possible again. Only accepted attempts are logged, so hammering while limited does
not extend the wait.

Kept instead of Flask-Limiter because the limits are keyed by what the request body names (a
phone's look-up hash, a username) after validation, inside the handler; callers pass hashed
subjects so no phone number ends up in Redis keys.
"""
from __future__ import annotations

import math
import secrets
import threading
import time
from collections import deque

from flask import current_app, request

from server.core.errors import RateLimited
from server.redis_client import get_redis

_lock = threading.Lock()

# Atomic check-and-record: drop attempts older than the window, refuse when `limit` remain, else log this one.
_SLIDING_LUA = """
local key, now, window, limit = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
if redis.call('ZCARD', key) >= limit then
  local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  return tostring(tonumber(oldest[2]) + window - now)
end
redis.call('ZADD', key, now, ARGV[4])
redis.call('PEXPIRE', key, math.ceil(window * 1000))
return '0'
"""


def _local_store() -> dict[str, deque]:
    # Per app, not per module: two apps in one process (tests) must not share counters.
    return current_app.extensions.setdefault("smart315.limits_local", {})


def _refuse(wait: float) -> None:
    raise RateLimited(retry_after=max(1, math.ceil(wait)))


def hit(key: str, limit: int, window: int) -> None:
    """Record one attempt for `key`; RateLimited (429 with Retry-After) when `limit` were made in the last `window` s."""
    now = time.time()
    r = get_redis(current_app)
    if r is not None:
        try:
            wait = float(r.eval(_SLIDING_LUA, 1, f"rl:{key}", now, window, limit, f"{now}:{secrets.token_hex(4)}"))
        except Exception:  # Redis down: degrade to the per-process window rather than refuse sign-in
            wait = None
        if wait is not None:
            if wait > 0:
                _refuse(wait)
            return
    store = _local_store()
    with _lock:
        log = store.setdefault(key, deque())
        while log and log[0] <= now - window:
            log.popleft()
        if len(log) >= limit:
            _refuse(log[0] + window - now)
        log.append(now)
        if len(store) > 100_000:
            # Drop only keys with no attempt left in their window: clearing all would reset every limit.
            for k in [k for k, v in store.items() if not v or v[-1] <= now - window]:
                del store[k]


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
