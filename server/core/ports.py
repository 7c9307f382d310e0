"""What core needs from the process around it, handed in by that process's entry points.

Core never imports `server.redis_client` (or anything else outside `server/core`): the process that runs
it -- create_app (server/app.py), the worker and the scheduler (server/tasks/), the CLI -- hands in a
Redis client factory with `set_redis_factory` (server.redis_client.hand_to_core does it). Core asks
`redis_for(url)` and copes with None (no Redis configured, or none handed in) as it copes with Redis down.

Likewise `set_state_engine_factory` hands in the engine for values every process shares when there is no
Redis (server/core/shared_values.py); `state_engine_for(database_url)` answers None when none was handed in
or the database is one process's anyway (SQLite in memory).
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

RedisFactory = Callable[[str], Any]

_redis_factory: RedisFactory | None = None
_warned = threading.Event()


def set_redis_factory(factory: RedisFactory | None) -> None:
    """`factory(url)` returns this process's client for that URL (one client and pool per URL)."""
    global _redis_factory
    _redis_factory = factory


def redis_for(url: str | None) -> Any | None:
    """The process's Redis client for `url`, or None without a URL or without a factory handed in."""
    if not url:
        return None
    factory = _redis_factory
    if factory is None:
        if not _warned.is_set():
            _warned.set()
            log.warning("REDIS_URL is set but no Redis client was handed to core (server.core.ports); "
                        "continuing without Redis")
        return None
    return factory(str(url))


EngineFactory = Callable[[str], Any]
_state_engine_factory: EngineFactory | None = None


def set_state_engine_factory(factory: EngineFactory | None) -> None:
    """`factory(database_url)` returns this process's engine for shared values (or None)."""
    global _state_engine_factory
    _state_engine_factory = factory


def state_engine_for(database_url: str | None) -> Any | None:
    if not database_url or _state_engine_factory is None:
        return None
    return _state_engine_factory(str(database_url))
