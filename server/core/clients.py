"""One cache of outside-service clients per process, shared by the API, the notification worker
(embedded or not), moderation and the login providers.

A client is built lazily, on first use, and kept under a key made of the settings values it was
built from, so the same settings give the same object everywhere in the process and changed
settings give a new one:

- WeChat mini-program / official account (wechatpy): the settings each class lists in SETTINGS, plus
  REDIS_URL when a Redis client is handed in (its access token then lives in Redis, shared by every
  process) or else the database URL (the token then lives in its shared_value table, shared just the
  same: server/core/shared_values.py) -- a caller that lost its Redis gets its own client.
- Alipay (python-alipay-sdk): its settings plus each key file's modification time and size (a stat,
  not a read): the key files are read once per client, and a rotated key file is picked up without
  a restart.
- SMS: the provider named by SMS_PROVIDER with its settings (AliyunSms keeps one HTTP session).

Building happens under one lock, so concurrent first uses build once; a build that fails (e.g. an
unreadable key file) caches nothing and is tried again next time. At most MAX_CLIENTS are kept (least
recently used dropped first). `reset()` empties the cache (tests; a settings reload).
"""
from __future__ import annotations

import os
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from server.core.identity.providers.alipay import AlipayMini
    from server.core.identity.providers.sms import SmsProvider
    from server.core.identity.providers.wechat import WeChatMini, WeChatOA

MAX_CLIENTS = 32

_lock = threading.Lock()
_clients: OrderedDict[tuple, Any] = OrderedDict()
builds: Counter = Counter()  # kind -> clients built by this process (read by tests and for diagnosis)


def _values(settings: Mapping[str, Any], names: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(str(settings.get(name)) for name in names)


def _file_version(path: Any) -> tuple[int, int] | None:
    if not path:
        return None
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def get(kind: str, key: tuple, build: Callable[[], Any]) -> Any:
    """The client of `kind` built for `key`, building it with `build()` the first time."""
    full = (kind, *key)
    with _lock:
        client = _clients.get(full)
        if client is None:
            client = build()
            builds[kind] += 1
            _clients[full] = client
            while len(_clients) > MAX_CLIENTS:
                _clients.popitem(last=False)
        else:
            _clients.move_to_end(full)
        return client


def reset() -> None:
    """Forget every client (the next use builds anew) and the build counts."""
    with _lock:
        _clients.clear()
        builds.clear()


def _redis_key(settings: Mapping[str, Any], redis: Any) -> str:
    """Where the client keeps its access token: this Redis, or (without) the database's shared values."""
    return str(settings.get("REDIS_URL")) if redis is not None else "db:" + str(settings.get("DATABASE_URL"))


def _state_engine(settings: Mapping[str, Any], redis: Any) -> Any:
    """Without Redis, the engine the process handed in for shared values (server/core/ports.py), or None."""
    if redis is not None:
        return None
    from server.core.ports import state_engine_for

    return state_engine_for(settings.get("DATABASE_URL"))


def wechat_mini(settings: Mapping[str, Any], redis: Any = None) -> WeChatMini:
    """The mini-program client: sign-in, phone numbers, subscribe messages, msg_sec_check."""
    from server.core.identity.providers.wechat import WeChatMini

    key = _values(settings, WeChatMini.SETTINGS) + (_redis_key(settings, redis),)
    return get("wechat_mini", key, lambda: WeChatMini(dict(settings), redis, _state_engine(settings, redis)))


def wechat_oa(settings: Mapping[str, Any], redis: Any = None) -> WeChatOA:
    """The official-account client: binding QR codes, the callback, template messages."""
    from server.core.identity.providers.wechat import WeChatOA

    key = _values(settings, WeChatOA.SETTINGS) + (_redis_key(settings, redis),)
    return get("wechat_oa", key, lambda: WeChatOA(dict(settings), redis, _state_engine(settings, redis)))


def alipay_mini(settings: Mapping[str, Any]) -> AlipayMini:
    """The Alipay mini-app client: sign-in and subscribe messages (key files read when built)."""
    from server.core.identity.providers.alipay import AlipayMini

    key = _values(settings, AlipayMini.SETTINGS) + tuple(
        _file_version(settings.get(name)) for name in AlipayMini.KEY_FILE_SETTINGS)
    return get("alipay_mini", key, lambda: AlipayMini(dict(settings)))


def sms(settings: Mapping[str, Any]) -> SmsProvider:
    """The SMS provider named by SMS_PROVIDER (ValueError for an unknown name, nothing cached)."""
    from server.core.identity.providers.sms import SETTINGS, get_sms_provider

    return get("sms", _values(settings, SETTINGS), lambda: get_sms_provider(dict(settings)))
