"""The public cache's near layer: hits served from process memory, generations mirrored and kept exact by
Redis pub/sub, and every way the mirror could go wrong (another process's commit, a lost subscription, a
restarted or flushed Redis) healed. Each test runs its own redis-server on a free port."""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from server.core import cache as cache_mod
from server.core.cache import PublicCache, _Mirror
from server.redis_client import make_redis

ROOT = Path(__file__).resolve().parents[2]


def _wait(pred, timeout=5.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.01)
    return pred()


def _live(cache: PublicCache) -> bool:
    return cache._mirror.live


def _calls(client, *commands: str) -> int:
    stats = client.info("commandstats")
    return sum(stats.get(f"cmdstat_{c}", {}).get("calls", 0) for c in commands)


def _bump_in_another_process(url: str, scopes: str) -> None:
    """What a commit in another gunicorn worker does: INCR the generations and PUBLISH them."""
    code = ("import sys; from server.core.cache import _bump_redis; from server.redis_client import make_redis; "
            "_bump_redis(make_redis(sys.argv[1]), None if sys.argv[2] == '*' else set(sys.argv[2].split(',')))")
    subprocess.run([sys.executable, "-c", code, url, scopes], cwd=ROOT, check=True, timeout=60)


def test_a_warm_hit_costs_no_redis_command(private_redis):
    client = make_redis(private_redis.url)
    cache = PublicCache(client, fresh_seconds=60)
    assert cache.get_or_set("profile", lambda: {"b": 1}, scope="business:1") == {"b": 1}
    assert cache.get_or_set("stats", lambda: {"n": 1}) == {"n": 1}
    assert _wait(lambda: _live(cache))
    cache.get_or_set("profile", lambda: {"b": 1}, scope="business:1")  # mirrors the generations read live
    cache.get_or_set("stats", lambda: {"n": 1})
    before = _calls(client, "get", "mget", "set")
    for _ in range(200):
        assert cache.get_or_set("profile", lambda: {"b": "recomputed"}, scope="business:1") == {"b": 1}
        assert cache.get_or_set("stats", lambda: {"n": "recomputed"}) == {"n": 1}
    assert _calls(client, "get", "mget", "set") == before


def test_a_commit_in_another_process_reaches_this_one_at_once(private_redis):
    cache = PublicCache(make_redis(private_redis.url), fresh_seconds=60)
    cache.get_or_set("profile", lambda: {"b": 1}, scope="business:1")
    cache.get_or_set("profile", lambda: {"b": 2}, scope="business:2")
    assert _wait(lambda: _live(cache))
    assert cache.get_or_set("profile", lambda: {"b": "x"}, scope="business:1") == {"b": 1}  # mirrored now
    _bump_in_another_process(private_redis.url, "business:1")
    t0 = time.monotonic()
    assert _wait(lambda: cache.get_or_set("profile", lambda: {"b": 10}, scope="business:1") == {"b": 10})
    assert time.monotonic() - t0 < 1.0  # the message, not the mirror's MIRROR_SECONDS expiry
    assert cache.get_or_set("profile", lambda: {"b": 20}, scope="business:2") == {"b": 2}  # others kept
    # A global bump (index weights, industry means) reaches every entry.
    _bump_in_another_process(private_redis.url, "*")
    assert _wait(lambda: cache.get_or_set("profile", lambda: {"b": 21}, scope="business:2") == {"b": 21}, 1.0)


def test_a_commit_in_this_process_is_seen_by_its_next_read_without_waiting_for_the_message(private_redis):
    url = private_redis.url
    cache = PublicCache(make_redis(url), fresh_seconds=60)
    cache.get_or_set("profile", lambda: {"b": 1}, scope="business:7")
    assert _wait(lambda: _live(cache))
    cache.get_or_set("profile", lambda: {"b": 1}, scope="business:7")
    with Session(create_engine("sqlite://")) as s:
        s.execute(text("SELECT 1"))
        cache_mod.public_changed_on_commit(s, {"REDIS_URL": url}, 7)
        assert cache.get_or_set("profile", lambda: {"b": 2}, scope="business:7") == {"b": 1}  # not before commit
        s.commit()
    assert cache.get_or_set("profile", lambda: {"b": 2}, scope="business:7") == {"b": 2}


def test_while_the_subscription_is_down_reads_ask_redis_and_a_restarted_redis_starts_a_new_epoch(private_redis):
    cache = PublicCache(make_redis(private_redis.url), fresh_seconds=60)
    cache.get_or_set("profile", lambda: {"b": 1}, scope="business:1")
    assert _wait(lambda: _live(cache))
    private_redis.kill()
    assert _wait(lambda: not _live(cache))
    # Redis down: computed uncached, never an error, never the old entry presented as current.
    assert cache.get_or_set("profile", lambda: {"b": "down"}, scope="business:1") == {"b": "down"}
    private_redis.start()  # same port, empty: generations start again from 0
    assert _wait(lambda: _live(cache), 10)
    # Same generation numbers as before the restart, but a new epoch: the near entry is not served.
    assert cache.get_or_set("profile", lambda: {"b": 2}, scope="business:1") == {"b": 2}


def test_a_bump_whose_message_was_lost_is_healed_by_the_mirror_expiry(private_redis, monkeypatch):
    monkeypatch.setattr(cache_mod, "MIRROR_SECONDS", 0.3)
    client = make_redis(private_redis.url)
    cache = PublicCache(client, fresh_seconds=60)
    cache.get_or_set("profile", lambda: {"b": 1}, scope="business:1")
    assert _wait(lambda: _live(cache))
    assert cache.get_or_set("profile", lambda: {"b": "x"}, scope="business:1") == {"b": 1}  # in the near layer
    client.incr(cache_mod._scope_gen_key("business:1"))  # a bump without its PUBLISH
    assert _wait(lambda: cache.get_or_set("profile", lambda: {"b": 2}, scope="business:1") == {"b": 2}, 2.0)
    # FLUSHDB (an operator's doing) is healed the same way: a new epoch, nothing old served.
    client.flushdb()
    assert _wait(lambda: cache.get_or_set("profile", lambda: {"b": 3}, scope="business:1") == {"b": 3}, 2.0)


def test_one_mirror_per_redis_database_and_one_channel_per_database(private_redis):
    a = PublicCache(make_redis(private_redis.url), fresh_seconds=60)
    b = PublicCache(make_redis(private_redis.url), fresh_seconds=60)
    other_db = PublicCache(make_redis(private_redis.url.rsplit("/", 1)[0] + "/3"), fresh_seconds=60)
    assert a._mirror is b._mirror and a._mirror is not other_db._mirror
    assert a._mirror.channel != other_db._mirror.channel
    assert isinstance(a._mirror, _Mirror)


def test_without_redis_a_profile_is_trusted_for_a_few_seconds_only():
    """Without Redis, a commit in another worker process cannot reach this one: its profile entry expires."""
    now = [1000.0]
    cache = PublicCache(None, fresh_seconds=120, clock=lambda: now[0])
    assert cache.get_or_set("profile", lambda: {"b": 1}, scope="business:1") == {"b": 1}
    now[0] += cache_mod.LOCAL_SCOPED_SECONDS - 1
    assert cache.get_or_set("profile", lambda: {"b": 2}, scope="business:1") == {"b": 1}
    assert cache.peek_text("profile", scope="business:1") == '{"b":1}'
    now[0] += 2
    assert cache.peek_text("profile", scope="business:1") is None
    assert cache.get_or_set("profile", lambda: {"b": 2}, scope="business:1") == {"b": 2}
