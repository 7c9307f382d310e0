"""Public read cache: aggregates refresh on a short timer, business profiles are invalidated by commits.

Two kinds of entries, because they are read and changed differently:

- Aggregates (stats, industries, rankings, cases, the index method, disclosure lists) change with
  every complaint anywhere. Invalidating them on every commit means that under any write load
  every read recomputes them (at the seed platform's size `stats` takes 1.3 s and `industries`
  0.6 s of database time). They are instead fresh for ``PUBLIC_CACHE_SECONDS`` (default 120: public
  statistics two minutes old are what a disclosure page promises); after that the first reader to
  take a short lock starts a refresh in the background and every reader, that one included, is
  served the previous value meanwhile.
- Business profiles (``scope="business:<id>"``) change when that business's complaints, record or
  index change; a commit touching any of those bumps that business's generation, so the next read
  of that profile is fresh at once, and other profiles keep their entries.

A global generation, bumped by commits that change settings (index weights), industry means or
disclosures, is part of every key. With Redis, entries and generations are shared by all
processes; without Redis, each process keeps its own entries (generations local to the process,
so other processes' commits reach it through the freshness window, at most LOCAL_SCOPED_SECONDS for
a business profile). Redis errors never fail a
read: the value is computed instead.

Near cache (with Redis): a hit costs no Redis round trip. Each process mirrors the generations it
has read (`_Mirror`) and keeps recent entries in memory; commits publish the scopes they bump on a
channel every process subscribes to, so a mirrored generation is dropped as soon as it changes (at
once in the committing process, within milliseconds elsewhere). The mirror is trusted only while the
subscription is up, each mirrored value is re-read after MIRROR_SECONDS whatever happens (a lost
message or a flushed Redis is healed by then), and keys carry a random epoch stored in Redis, so
entries from before a Redis restart or flush can never be mistaken for current ones.

Invalidation is asked for explicitly: each do_* that changes published data calls
public_changed_on_commit(session, settings, business_id) in its transaction, and the bump happens
after that transaction commits (nothing on rollback), whichever process committed it.
"""
from __future__ import annotations

import json
import logging
import os
import secrets
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger("smart315.cache")

PREFIX = "smart315:public"
GLOBAL_GEN = f"{PREFIX}:gen"
EPOCH = f"{PREFIX}:epoch"
BUMPS = f"{PREFIX}:bumps"  # pub/sub channel (suffixed with the Redis db: channels are server-wide)
MIRROR_SECONDS = 5.0
LOCAL_SCOPED_SECONDS = 5.0  # without Redis: how long a business profile is served from one process's memory
MIRROR_MAX = 100_000  # mirrored generations per process (one per business read); cleared beyond
CHANGES = "smart315.public_cache_changes"  # session.info: set of business ids, or "*" for everything
URLS = "smart315.public_cache_urls"

_local_caches: weakref.WeakSet[PublicCache] = weakref.WeakSet()
_configured_urls: set[str] = set()


def _scope_gen_key(scope: str) -> str:
    return f"{PREFIX}:gen:{scope}"


_origins: dict[int, str] = {}


def _origin() -> str:
    """This process's name on the bumps channel (a forked child gets its own)."""
    pid = os.getpid()
    name = _origins.get(pid)
    if name is None:
        name = _origins[pid] = f"{pid}-{secrets.token_hex(4)}"
    return name


def _full_key(gens: str, scope: str | None, key: str) -> str:
    return f"{PREFIX}:{gens}:{scope or 'all'}:{key}"


def _redis_identity(client: Any) -> tuple:
    kw = getattr(getattr(client, "connection_pool", None), "connection_kwargs", {}) or {}
    return kw.get("host"), kw.get("port"), kw.get("path"), int(kw.get("db") or 0)


class _Mirror:
    """This process's copy of the generations it has read from one Redis database, kept exact by pub/sub.

    One per Redis database per process (shared by every PublicCache on it). A daemon thread, started
    lazily in each process (so after gunicorn forks), subscribes to the bumps channel; while the
    subscription is confirmed (`live`), `get` answers from memory. Any bump received (or applied here by
    a local commit) drops the mirrored values it changes and advances `version`, so a value read from
    Redis concurrently with a bump is not stored (`put` compares versions). A lost connection empties the
    mirror and every near cache on it until the subscription is back.
    """

    _all: dict[tuple, _Mirror] = {}
    _all_lock = threading.Lock()

    @classmethod
    def for_client(cls, client: Any) -> _Mirror:
        key = _redis_identity(client)
        with cls._all_lock:
            m = cls._all.get(key)
            if m is None:
                m = cls._all[key] = cls(client, key[3])
            return m

    def __init__(self, client: Any, db: int):
        self.client = client
        self.channel = f"{BUMPS}:{db}"
        self.lock = threading.Lock()
        self.values: dict[str, tuple[float, str]] = {}  # redis key -> (read at, value)
        self.version = 0
        self.live = False
        self.caches: weakref.WeakSet[PublicCache] = weakref.WeakSet()
        self._pid: int | None = None

    def ensure_running(self) -> None:
        pid = os.getpid()
        if self._pid == pid:
            return
        with self.lock:
            if self._pid == pid:
                return
            self._pid = pid
            self._reset(live=False)
        threading.Thread(target=self._run, args=(pid,), name="smart315-cache-bumps", daemon=True).start()

    def _reset(self, live: bool) -> None:  # with self.lock held
        self.live = live
        self.version += 1
        self.values.clear()
        for cache in list(self.caches):
            cache.forget_near()

    def _run(self, pid: int) -> None:
        backoff = 0.2
        while self._pid == pid:
            pubsub = None
            try:
                pubsub = self.client.pubsub()
                pubsub.subscribe(self.channel)
                while self._pid == pid:
                    msg = pubsub.get_message(timeout=1.0)
                    if msg is None:
                        continue
                    if msg["type"] == "subscribe":
                        with self.lock:
                            self._reset(live=True)
                        backoff = 0.2
                    elif msg["type"] == "message":
                        data = msg["data"]
                        origin, _, scopes = (data.decode() if isinstance(data, bytes) else data).partition("|")
                        if origin != _origin():  # this process's own bumps were applied when it made them
                            self.drop(None if scopes == "*" else set(scopes.split("\n")))
            except Exception:
                log.debug("public cache subscription lost; retrying", exc_info=True)
            finally:
                with self.lock:
                    self._reset(live=False)
                if pubsub is not None:
                    try:
                        pubsub.close()
                    except Exception:
                        pass
            time.sleep(backoff)
            backoff = min(backoff * 2, 5.0)

    def drop(self, scopes: set[str] | None) -> None:
        """Forget mirrored generations these scopes changed (None: all of them)."""
        with self.lock:
            self.version += 1
            if scopes is None:
                self.values.clear()
            else:
                for scope in scopes:
                    self.values.pop(_scope_gen_key(scope), None)

    def get(self, keys: tuple[str, ...], now: float) -> list[str] | None:
        if not self.live:
            return None
        out = []
        for k in keys:
            v = self.values.get(k)
            if v is None or now - v[0] > MIRROR_SECONDS:
                return None
            out.append(v[1])
        return out

    def put(self, keys: tuple[str, ...], vals: list[str], version: int, now: float) -> None:
        with self.lock:
            if not self.live or self.version != version:
                return
            if len(self.values) > MIRROR_MAX:
                self.values.clear()
            for k, v in zip(keys, vals, strict=True):
                self.values[k] = (now, v)


class PublicCache:
    """get_or_set(key, compute, scope=None) for JSON-serialisable public payloads."""

    MISS_WAIT_SECONDS = 10.0  # how long a reader waits for another's computation of a missing entry

    def __init__(self, redis_client: Any = None, fresh_seconds: float = 30.0, keep_seconds: int = 3600,
                 max_local: int = 4096, clock: Callable[[], float] = time.time):
        self.redis = redis_client
        self.fresh_seconds = fresh_seconds
        self.keep_seconds = keep_seconds
        self.max_local = max_local
        self.clock = clock
        self._local: dict[str, tuple[float, str]] = {}  # key -> (computed at, json)
        self._local_gens: dict[str, int] = {}
        self._refreshing: set[str] = set()
        self._near: dict[str, tuple[float, str]] = {}  # with Redis: entries this process read or wrote
        self._mutex = threading.Lock()
        self.hits = 0
        self.misses = 0
        self._mirror = _Mirror.for_client(redis_client) if redis_client is not None else None
        if self._mirror is not None:
            self._mirror.caches.add(self)
        _local_caches.add(self)

    def forget_near(self) -> None:
        with self._mutex:
            self._near.clear()

    def _near_put(self, key: str, at: float, payload: str) -> None:
        with self._mutex:
            if len(self._near) >= self.max_local:
                self._near.pop(next(iter(self._near)))
            self._near[key] = (at, payload)

    # -------------------------------------------------------------- generations

    def _generations(self, scope: str | None, memory_only: bool = False) -> str | None:
        """The generations that make up a key; None when Redis is unreachable (then nothing is cached),
        or, with memory_only, when this process's mirror does not hold them (no Redis command then)."""
        if self.redis is None:
            with self._mutex:
                g = self._local_gens.get("*", 0)
                return f"{g}.{self._local_gens.get(scope, 0)}" if scope else str(g)
        keys = (EPOCH, GLOBAL_GEN, _scope_gen_key(scope)) if scope else (EPOCH, GLOBAL_GEN)
        mirror = self._mirror
        mirror.ensure_running()
        now = time.monotonic()
        vals = mirror.get(keys, now)
        if vals is None and memory_only:
            return None
        if vals is None:
            version = mirror.version
            try:
                raw = self.redis.mget(keys)
                if raw[0] is None:  # a new (or flushed, or restarted) Redis: a new epoch for every key
                    self.redis.set(EPOCH, secrets.token_hex(4), nx=True)
                    raw[0] = self.redis.get(EPOCH)
            except Exception:  # redis down: serve uncached rather than fail the request
                log.warning("redis unavailable for the public cache", exc_info=True)
                return None
            vals = [raw[0].decode() if isinstance(raw[0], bytes) else str(raw[0])] + [str(int(v or 0)) for v in raw[1:]]
            mirror.put(keys, vals, version, now)
        return ".".join(vals)

    def bump_local(self, scopes: set[str] | None = None) -> None:
        """Forget this process's entries for these scopes (None: everything)."""
        with self._mutex:
            if scopes is None:
                self._local_gens["*"] = self._local_gens.get("*", 0) + 1
                self._local.clear()
                return
            for scope in scopes:
                self._local_gens[scope] = self._local_gens.get(scope, 0) + 1

    def bump(self, scopes: set[str] | None = None) -> None:
        self.bump_local(scopes)
        if self.redis is not None:
            _bump_redis(self.redis, scopes)

    # -------------------------------------------------------------- reads

    def _get(self, key: str) -> tuple[float, str] | None:
        if self.redis is None:
            with self._mutex:
                return self._local.get(key)
        try:
            raw = self.redis.get(key)
        except Exception:
            return None
        if raw is None:
            return None
        at, _, payload = raw.partition(b"|")
        entry = float(at), payload.decode("utf-8")
        self._near_put(key, *entry)
        return entry

    def _put(self, key: str, payload: str, at: float) -> None:
        if self.redis is None:
            with self._mutex:
                if len(self._local) >= self.max_local:
                    self._local.clear()
                self._local[key] = (at, payload)
            return
        self._near_put(key, at, payload)
        try:
            self.redis.set(key, f"{at}|{payload}".encode(), ex=self.keep_seconds)
        except Exception:
            log.warning("could not store a public cache entry", exc_info=True)

    def _claim_refresh(self, key: str) -> bool:
        """One reader refreshes a stale entry; the rest keep serving the previous value meanwhile."""
        if self.redis is None:
            with self._mutex:
                if key in self._refreshing:
                    return False
                self._refreshing.add(key)
                return True
        try:
            return bool(self.redis.set(f"{key}:refreshing", b"1", nx=True, ex=30))
        except Exception:
            return True

    def _is_refreshing(self, key: str) -> bool:
        if self.redis is None:
            with self._mutex:
                return key in self._refreshing
        try:
            return bool(self.redis.exists(f"{key}:refreshing"))
        except Exception:
            return False

    def _release_refresh(self, key: str) -> None:
        if self.redis is None:
            with self._mutex:
                self._refreshing.discard(key)
            return
        try:
            self.redis.delete(f"{key}:refreshing")
        except Exception:
            pass

    def _current(self, at: float, scope: str | None, now: float) -> bool:
        """Scoped entries are exact (invalidated by commits) with Redis; without it, commits in other
        processes cannot reach this one, so they are trusted for LOCAL_SCOPED_SECONDS at most.
        Aggregates are fresh for the freshness window."""
        if scope is None:
            return now - at < self.fresh_seconds
        return self.redis is not None or now - at < min(self.fresh_seconds, LOCAL_SCOPED_SECONDS)

    def peek_text(self, key: str, scope: str | None = None) -> str | None:
        """The current entry from this process's memory only, or None (no Redis command, no computing).

        Current means: its generations are the mirrored (or, without Redis, local) ones, and an
        aggregate is inside its freshness window. Anything else is None and the caller takes the full
        path (get_or_set_text), which asks Redis and refreshes."""
        gens = self._generations(scope, memory_only=True)
        if gens is None:
            return None
        entry = (self._local if self.redis is None else self._near).get(_full_key(gens, scope, key))
        if entry is None or not self._current(entry[0], scope, self.clock()):
            return None
        self.hits += 1
        return entry[1]

    def get_or_set(self, key: str, compute: Callable[[], Any], scope: str | None = None) -> Any:
        return json.loads(self.get_or_set_text(key, compute, scope))

    def get_or_set_text(self, key: str, compute: Callable[[], Any], scope: str | None = None,
                        background: Callable[[Callable[[], None]], None] | None = None) -> str:
        """The entry as JSON text, so a hit can be sent as it is stored, without decoding and re-encoding.

        With `background` (a function that runs a callable elsewhere), a stale aggregate is refreshed
        there and this reader gets the previous value at once: no request waits on a refresh.
        """
        gens = self._generations(scope)
        if gens is None:
            return _dump(compute())
        full_key = _full_key(gens, scope, key)
        now = self.clock()
        if self.redis is not None:
            near = self._near.get(full_key)
            if near is not None and self._current(near[0], scope, now):
                self.hits += 1
                return near[1]
        entry = self._get(full_key)
        if entry is not None:
            at, payload = entry
            if self._current(at, scope, now):
                self.hits += 1
                return payload
            if scope is not None:  # a scoped entry past its window (only without Redis): compute it now
                return self._compute_and_store(full_key, compute, now)
            if not self._claim_refresh(full_key):  # someone else refreshes this aggregate: the previous value
                self.hits += 1
                return payload
            if background is not None:
                def refresh() -> None:
                    try:
                        self._compute_and_store(full_key, compute, self.clock())
                    except Exception:
                        log.warning("background refresh of %s failed; the previous value stays", key, exc_info=True)
                    finally:
                        self._release_refresh(full_key)

                self.hits += 1
                background(refresh)
                return payload
            try:
                return self._compute_and_store(full_key, compute, now)
            finally:
                self._release_refresh(full_key)
        # Nothing stored (a cold cache, or the scope was just invalidated): one reader computes it, in this
        # process or (with Redis) any, while the others wait for its result instead of all running the same
        # aggregate at once (at three times the seed /public/stats takes ~2.8 s cold: computed by every
        # thread of every worker together, no request finished). A reader that waits too long computes too.
        if self._claim_refresh(full_key):
            try:
                return self._compute_and_store(full_key, compute, now)
            finally:
                self._release_refresh(full_key)
        end = time.monotonic() + self.MISS_WAIT_SECONDS
        while time.monotonic() < end:
            time.sleep(0.02)
            entry = self._get(full_key)
            if entry is not None:
                self.hits += 1
                return entry[1]
            if not self._is_refreshing(full_key):  # done (stored just now) or failed (no result is coming)
                entry = self._get(full_key)
                if entry is not None:
                    self.hits += 1
                    return entry[1]
                break
        return self._compute_and_store(full_key, compute, self.clock())

    def _compute_and_store(self, full_key: str, compute: Callable[[], Any], now: float) -> str:
        self.misses += 1
        payload = _dump(compute())
        self._put(full_key, payload, now)
        return payload


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# ------------------------------------------------------------------ invalidation

def _bump_redis(client: Any, scopes: set[str] | None) -> None:
    """INCR the generations, then tell every process (PUBLISH) so their mirrors drop the old values."""
    if scopes is not None and not scopes:
        return
    mirror = _Mirror.for_client(client)
    try:
        pipe = client.pipeline(transaction=False)
        for k in ([GLOBAL_GEN] if scopes is None else [_scope_gen_key(sc) for sc in sorted(scopes)]):
            pipe.incr(k)
        pipe.publish(mirror.channel, _origin() + "|" + ("*" if scopes is None else "\n".join(sorted(scopes))))
        pipe.execute()
    except Exception:
        log.warning("could not bump the public cache generation", exc_info=True)
    mirror.drop(scopes)  # this process at once, without waiting for its own message


def configure(settings: Mapping[str, Any]) -> None:
    """Remember this process's Redis URL so that any commit touching public data bumps its generations."""
    url = settings.get("REDIS_URL")
    if url:
        _configured_urls.add(url)


def public_changed_on_commit(session: Session, settings: Mapping[str, Any] | None = None,
                             business_id: int | None = None) -> None:
    """Once this transaction commits, drop the public entries it changes: the business's profile, or with
    business_id=None every public entry (index weights, industry means, disclosures, publication).

    Called by the do_* that writes published data, like Zulip's send_event_on_commit; a rolled-back
    transaction drops nothing (_on_commit / _on_rollback below, registered once for every session).
    """
    changes = session.info.setdefault(CHANGES, set())
    changes.add("*" if business_id is None else business_id)
    url = (settings or {}).get("REDIS_URL")
    if url:
        session.info.setdefault(URLS, set()).add(url)


def _bump_everywhere(changes: set, urls: set[str] | frozenset[str] = frozenset()) -> None:
    """Bump this process's caches and every known Redis for these changes (business ids, or "*")."""
    scopes = None if "*" in changes else {f"business:{b}" for b in changes}
    for cache in list(_local_caches):
        cache.bump_local(scopes)
    from server.core.ports import redis_for

    for url in set(urls) | _configured_urls:
        client = redis_for(url)
        if client is not None:
            _bump_redis(client, scopes)


@event.listens_for(Session, "after_commit")
def _on_commit(session: Session) -> None:
    changes = session.info.pop(CHANGES, None)
    urls = session.info.pop(URLS, set())
    if changes:
        _bump_everywhere(changes, urls)


@event.listens_for(Session, "after_rollback")
def _on_rollback(session: Session) -> None:
    session.info.pop(CHANGES, None)
    session.info.pop(URLS, None)
