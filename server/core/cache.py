"""Public read cache: Redis keyed by a generation counter bumped after commits that change public data.

With Redis, entries live under ``smart315:public:<generation>:<key>``; a commit that changed
complaints, businesses, their index, users, settings or disclosures increments the generation,
so every process sees fresh data at once and old entries simply expire. Without Redis, an
in-process cache with a short TTL is used; commits in the same process still invalidate it at
once, commits in other processes (scheduler, worker) within the TTL.

Invalidation is wired to SQLAlchemy session events, so it follows every writer (API, scheduler,
CLI) without each one remembering to call it: ``after_flush`` notes that public data changed and
``after_commit`` bumps the generation (a rolled-back transaction bumps nothing).
"""
from __future__ import annotations

import json
import logging
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger("smart315.cache")

GEN_KEY = "smart315:public:gen"
DIRTY = "smart315.public_cache_dirty"
URLS = "smart315.public_cache_urls"
PUBLIC_MODELS = ("Business", "BusinessIndex", "Complaint", "Disclosure", "IndexHistory", "IndustryMean", "Setting",
                 "User")

_local_caches: weakref.WeakSet[PublicCache] = weakref.WeakSet()
_clients: dict[str, Any] = {}
_configured_urls: set[str] = set()
_lock = threading.Lock()


def _client(url: str):
    with _lock:
        client = _clients.get(url)
        if client is None:
            from server.redis_client import make_redis

            client = _clients[url] = make_redis(url)
        return client


class PublicCache:
    """get_or_set(key, compute) for JSON-serialisable public payloads."""

    def __init__(self, redis_client: Any = None, local_ttl: float = 30.0, redis_ttl: int = 600,
                 max_local: int = 4096):
        self.redis = redis_client
        self.local_ttl = local_ttl
        self.redis_ttl = redis_ttl
        self.max_local = max_local
        self._local: dict[str, tuple[float, int, Any]] = {}
        self._local_gen = 0
        self._mutex = threading.Lock()
        self.hits = 0
        self.misses = 0
        _local_caches.add(self)

    # -------------------------------------------------------------- generation

    def generation(self) -> int | None:
        """Redis generation, or None when Redis is unreachable (then nothing is cached)."""
        try:
            value = self.redis.get(GEN_KEY)
        except Exception:  # redis down: serve uncached rather than fail the request
            log.warning("redis unavailable for the public cache", exc_info=True)
            return None
        return int(value or 0)

    def bump_local(self) -> None:
        with self._mutex:
            self._local_gen += 1
            self._local.clear()

    def bump(self) -> None:
        self.bump_local()
        if self.redis is not None:
            try:
                self.redis.incr(GEN_KEY)
            except Exception:
                log.warning("could not bump the public cache generation", exc_info=True)

    # -------------------------------------------------------------- reads

    def get_or_set(self, key: str, compute: Callable[[], Any]) -> Any:
        if self.redis is not None:
            gen = self.generation()
            if gen is None:
                return compute()
            rkey = f"smart315:public:{gen}:{key}"
            try:
                raw = self.redis.get(rkey)
            except Exception:
                raw = None
            if raw is not None:
                self.hits += 1
                return json.loads(raw)
            self.misses += 1
            value = compute()
            try:
                self.redis.set(rkey, json.dumps(value, ensure_ascii=False, separators=(",", ":")), ex=self.redis_ttl)
            except Exception:
                log.warning("could not store a public cache entry", exc_info=True)
            return value
        now = time.monotonic()
        with self._mutex:
            hit = self._local.get(key)
            gen = self._local_gen
            if hit is not None and hit[0] > now and hit[1] == gen:
                self.hits += 1
                return json.loads(hit[2])
        self.misses += 1
        value = compute()
        with self._mutex:
            if len(self._local) >= self.max_local:
                self._local.clear()
            if gen == self._local_gen:  # not invalidated while we computed
                self._local[key] = (now + self.local_ttl, gen, json.dumps(value, ensure_ascii=False))
        return value


# ------------------------------------------------------------------ invalidation

def configure(settings: Mapping[str, Any]) -> None:
    """Remember this process's Redis URL so that any commit touching public data bumps its generation."""
    url = settings.get("REDIS_URL")
    if url:
        _configured_urls.add(url)


def mark_changed(session: Session, settings: Mapping[str, Any] | None = None) -> None:
    """Note that this transaction changes public data; the generation is bumped after it commits."""
    session.info[DIRTY] = True
    url = (settings or {}).get("REDIS_URL")
    if url:
        session.info.setdefault(URLS, set()).add(url)


def bump_all(urls: set[str] | frozenset[str] = frozenset()) -> None:
    for cache in list(_local_caches):
        cache.bump_local()
    for url in set(urls) | _configured_urls:
        try:
            _client(url).incr(GEN_KEY)
        except Exception:
            log.warning("could not bump the public cache generation", exc_info=True)


@event.listens_for(Session, "after_flush")
def _note_public_changes(session: Session, _ctx) -> None:
    if session.info.get(DIRTY):
        return
    for obj in (*session.new, *session.dirty, *session.deleted):
        if type(obj).__name__ in PUBLIC_MODELS:
            session.info[DIRTY] = True
            return


@event.listens_for(Session, "after_commit")
def _bump_after_commit(session: Session) -> None:
    if session.info.pop(DIRTY, False):
        bump_all(session.info.pop(URLS, set()))


@event.listens_for(Session, "after_rollback")
def _forget_on_rollback(session: Session) -> None:
    session.info.pop(DIRTY, None)
    session.info.pop(URLS, None)
