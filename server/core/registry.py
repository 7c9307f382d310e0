"""A tiny named registry with the enabled subset taken from configuration (model: Redash's
`redash/destinations/__init__.py` register()/get_destination() and its list of enabled destinations).

Two registries use it: login providers (server/core/identity/providers, setting LOGIN_PROVIDERS) and
notification channels (server/core/notifications/channels, setting NOTIFICATION_CHANNELS). Each entry
registers itself from its own module with ``@registry.register("name")``; the modules are imported once,
on first use, so asking for an entry never depends on who imported what first.
"""
from __future__ import annotations

import importlib
import threading
from collections.abc import Iterable, Mapping
from typing import Any, Generic, TypeVar

T = TypeVar("T")


def _names(value: Any) -> list[str]:
    """A setting written as "a,b" (environment) or ["a", "b"] (overrides) -> ["a", "b"]."""
    if value is None:
        return []
    parts: Iterable[Any] = value.split(",") if isinstance(value, str) else value
    return [str(p).strip().lower() for p in parts if str(p).strip()]


class Registry(Generic[T]):
    def __init__(self, what: str, package: str, modules: tuple[str, ...], setting: str,
                 always: tuple[str, ...] = ()):
        self.what = what  # "login provider", "notification channel": for messages
        self.package = package
        self.modules = modules
        self.setting = setting
        self.always = always  # entries that cannot be switched off (the inbox is the notification record)
        self._entries: dict[str, T] = {}
        self._loaded = threading.Event()
        self._lock = threading.Lock()

    def register(self, name: str):
        """Decorator: ``@REGISTRY.register("wechat")`` on a function, a class or an instance's factory."""

        def deco(entry: T) -> T:
            self._entries[name] = entry
            return entry

        return deco

    def _load(self) -> None:
        if not self._loaded.is_set():
            with self._lock:  # worker threads ask at once: import every module exactly once, first
                if not self._loaded.is_set():
                    for module in self.modules:
                        importlib.import_module(f"{self.package}.{module}")
                    self._loaded.set()

    def names(self) -> tuple[str, ...]:
        """Every registered name, in module order (whatever order the modules happened to be imported in)."""
        self._load()
        rank = {m: i for i, m in enumerate(self.modules)}
        return tuple(sorted(self._entries, key=lambda n: (rank.get(n, len(rank)), n)))

    def get(self, name: str) -> T | None:
        """The entry registered under `name`, enabled or not (None if there is none)."""
        self._load()
        return self._entries.get(name)

    def enabled(self, settings: Mapping[str, Any]) -> tuple[str, ...]:
        """The names the setting lists (all when it is unset), in registry order; an unknown name is a
        configuration error (ValueError), found when the process starts (see check_settings)."""
        known = self.names()
        value = settings.get(self.setting)
        wanted = _names(value) if value not in (None, "") else list(known)
        unknown = sorted(set(wanted) - set(known))
        if unknown:
            raise ValueError(f"unknown {self.what} in {self.setting}: {', '.join(unknown)}; "
                             f"choose from {', '.join(known)}")
        chosen = set(wanted) | set(self.always)
        return tuple(n for n in known if n in chosen)

    def is_enabled(self, settings: Mapping[str, Any], name: str) -> bool:
        return name in self.enabled(settings)

    def get_enabled(self, settings: Mapping[str, Any], name: str) -> T | None:
        """The entry when registered and enabled by the setting, else None."""
        return self.get(name) if self.is_enabled(settings, name) else None


def check_settings(settings: Mapping[str, Any]) -> None:
    """Refuse an unknown name in LOGIN_PROVIDERS or NOTIFICATION_CHANNELS (ValueError) when a process
    starts (create_app, the worker), rather than on the first sign-in or delivery."""
    from server.core.identity.providers import LOGIN_PROVIDERS
    from server.core.notifications.channels import CHANNELS

    LOGIN_PROVIDERS.enabled(settings)
    CHANNELS.enabled(settings)
