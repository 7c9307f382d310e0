"""Redis is optional: built in init_app when REDIS_URL is set; callers fall back in-process without it."""
from __future__ import annotations

import threading
from typing import Any

import redis


def make_redis(url: str | None) -> redis.Redis | None:
    if not url:
        return None
    return redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5, health_check_interval=30)


def init_redis(app, settings: dict[str, Any]) -> None:
    app.extensions["smart315.redis"] = make_redis(settings.get("REDIS_URL"))
    hand_to_core()


def get_redis(app) -> redis.Redis | None:
    return app.extensions.get("smart315.redis")


_shared: dict[str, redis.Redis] = {}
_shared_lock = threading.Lock()


def shared_redis(url: str) -> redis.Redis:
    """One client (and connection pool) per URL per process, for code that has settings but no app."""
    with _shared_lock:
        client = _shared.get(url)
        if client is None:
            client = _shared[url] = make_redis(url)
        return client


def hand_to_core() -> None:
    """Give server/core this process's Redis clients and its engine for shared values (core never imports this
    module: server/core/ports.py).
    Called by create_app (init_redis), the worker, the scheduler and the CLI; calling it again is harmless."""
    from server.core import ports
    from server.db import shared_state_engine

    ports.set_redis_factory(shared_redis)
    ports.set_state_engine_factory(shared_state_engine)
