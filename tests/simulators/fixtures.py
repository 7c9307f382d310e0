"""Simulator fixtures anyone can import: `from tests.simulators.fixtures import wechat_sim, ...`.

Each fixture starts a fresh simulator on a free port in a background thread and stops it after
the test; `SimHandle` drives its /_sim/ controls over HTTP.
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from server.config import load_config
from server.simulators.runner import start_in_thread

SMS_KEY_ID = "sim-access-key-id"
SMS_KEY_SECRET = "sim-access-key-secret"
REDIS_TEST_URL = "redis://127.0.0.1:6379/15"


class SimHandle:
    """A running simulator: its base URL, its app and helpers for its /_sim/ controls."""

    def __init__(self, base_url: str, app: Any, settings: dict[str, Any]):
        self.base_url = base_url
        self.app = app
        self.settings = settings  # settings that point the providers at this simulator

    def post(self, path: str, json: dict | None = None) -> Any:
        res = requests.post(self.base_url + path, json=json or {}, timeout=15)
        res.raise_for_status()
        return res.json()

    def get(self, path: str) -> Any:
        res = requests.get(self.base_url + path, timeout=15)
        res.raise_for_status()
        return res.json()

    def fault(self, mode: str | None, **options: Any) -> None:
        self.post("/_sim/fault", {"mode": mode, **options})

    def messages(self) -> list[dict]:
        return self.get("/_sim/messages")

    def stats(self) -> dict[str, int]:
        return self.get("/_sim/stats")

    def reset(self) -> None:
        self.post("/_sim/reset")


@contextlib.contextmanager
def running_simulator(app: Any, settings: dict[str, Any] | None = None) -> Iterator[SimHandle]:
    """Serve `app` on a free port for the duration of the block."""
    base_url, shutdown = start_in_thread(app)
    try:
        yield SimHandle(base_url, app, dict(settings or {}))
    finally:
        shutdown()


def dev_keys(directory: Path) -> dict[str, str]:
    """RSA2 key files for Alipay: app pair and the simulator's ("alipay") pair."""
    from server.core.identity.providers.alipay import generate_dev_keys

    app_priv, app_pub, ali_priv, ali_pub = generate_dev_keys(directory)
    return {"app_private": app_priv, "app_public": app_pub, "alipay_private": ali_priv, "alipay_public": ali_pub}


@pytest.fixture(scope="session")
def alipay_keys(tmp_path_factory) -> dict[str, str]:
    # Generating RSA-2048 keys takes a moment: once per test session.
    return dev_keys(tmp_path_factory.mktemp("alipay-keys"))


@pytest.fixture
def wechat_sim() -> Iterator[SimHandle]:
    """A WeChat simulator accepting the default dev mini and OA apps; .settings point WeChat at it."""
    from server.simulators.wechat import create_wechat_simulator

    cfg = load_config(environ={})
    app = create_wechat_simulator({cfg["WECHAT_MINI_APPID"]: cfg["WECHAT_MINI_SECRET"],
                                   cfg["WECHAT_OA_APPID"]: cfg["WECHAT_OA_SECRET"]})
    with running_simulator(app) as sim:
        sim.settings = load_config({"WECHAT_API_BASE_URL": sim.base_url, "WECHAT_TIMEOUT_SECONDS": 2},
                                   environ={})
        yield sim


@pytest.fixture
def alipay_sim(alipay_keys) -> Iterator[SimHandle]:
    """An Alipay gateway simulator; .settings carry the gateway URL and the dev key files."""
    from server.simulators.alipay import create_alipay_simulator

    cfg = load_config(environ={})
    app = create_alipay_simulator(Path(alipay_keys["alipay_private"]).read_text(),
                                  {cfg["ALIPAY_APPID"]: Path(alipay_keys["app_public"]).read_text()})
    with running_simulator(app) as sim:
        sim.settings = load_config({
            "ALIPAY_GATEWAY_URL": sim.base_url + "/gateway.do",
            "ALIPAY_APP_PRIVATE_KEY_FILE": alipay_keys["app_private"],
            "ALIPAY_PUBLIC_KEY_FILE": alipay_keys["alipay_public"],
            "ALIPAY_TIMEOUT_SECONDS": 2,
        }, environ={})
        yield sim


@pytest.fixture
def sms_sim() -> Iterator[SimHandle]:
    """An Aliyun SMS simulator; .settings select the aliyun provider with matching keys."""
    from server.simulators.sms import create_sms_simulator

    with running_simulator(create_sms_simulator({SMS_KEY_ID: SMS_KEY_SECRET})) as sim:
        sim.settings = load_config({
            "SMS_PROVIDER": "aliyun", "SMS_ENDPOINT": sim.base_url, "SMS_ACCESS_KEY_ID": SMS_KEY_ID,
            "SMS_ACCESS_KEY_SECRET": SMS_KEY_SECRET, "SMS_TIMEOUT_SECONDS": 2,
        }, environ={})
        yield sim


@pytest.fixture
def redis_db15():
    """A real Redis client on db 15 (14, ... under parallel workers), flushed before and after the test."""
    import redis

    from tests.conftest import worker_redis_db

    client = redis.Redis.from_url(REDIS_TEST_URL.rsplit("/", 1)[0] + f"/{worker_redis_db('own')}")
    client.flushdb()
    try:
        yield client
    finally:
        client.flushdb()
        client.close()


def unused_port_url() -> str:
    """A URL on which nothing listens (connection refused)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"
