"""Serve simulators in background threads (tests) or in the foreground (`smart315 simulators`)."""
from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from werkzeug.serving import WSGIRequestHandler, make_server

DEFAULT_PORTS = {"wechat": 9101, "alipay": 9102, "sms": 9103}


class _QuietHandler(WSGIRequestHandler):
    """No access log: a simulator's request lines hold the codes and tokens the client sent."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


def start_in_thread(app: Any, host: str = "127.0.0.1", port: int = 0,
                    quiet: bool = True) -> tuple[str, Callable[[], None]]:
    """Serve a WSGI app on a threaded werkzeug server; returns (base_url, shutdown)."""
    server = make_server(host, port, app, threaded=True, request_handler=_QuietHandler if quiet else None)
    # A short poll interval keeps shutdown (once per test) fast.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, name=f"simulator-{server.server_port}", daemon=True)
    thread.start()
    stopped = False

    def shutdown() -> None:
        nonlocal stopped
        if stopped:
            return
        stopped = True
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    return f"http://{host}:{server.server_port}", shutdown


def build_all(keys_dir: str | Path, sms_access_keys: dict[str, str] | None = None,
              settings: Mapping[str, Any] | None = None) -> tuple[dict[str, Any], dict[str, str]]:
    """The three simulator apps and the settings that point the app at them (keys generated once)."""
    from server.core.identity.providers.alipay import generate_dev_keys
    from server.simulators.alipay import create_alipay_simulator
    from server.simulators.sms import create_sms_simulator
    from server.simulators.wechat import create_wechat_simulator

    if settings is None:
        from server.config import load_config

        settings = load_config()
    keys_dir = Path(keys_dir)
    names = ("app_private_key.pem", "app_public_key.pem", "alipay_private_key.pem", "alipay_public_key.pem")
    paths = [keys_dir / n for n in names]
    if not all(p.exists() for p in paths):
        paths = [Path(p) for p in generate_dev_keys(keys_dir)]
    app_priv, app_pub, ali_priv, ali_pub = paths
    mini = (settings["WECHAT_MINI_APPID"], settings["WECHAT_MINI_SECRET"])
    oa = (settings["WECHAT_OA_APPID"], settings["WECHAT_OA_SECRET"])
    alipay_appid = settings["ALIPAY_APPID"]
    sms_keys = sms_access_keys or {"sim-access-key-id": "sim-access-key-secret"}
    apps = {
        "wechat": create_wechat_simulator({mini[0]: mini[1], oa[0]: oa[1]}),
        "alipay": create_alipay_simulator(ali_priv.read_text(), {alipay_appid: app_pub.read_text()}),
        "sms": create_sms_simulator(sms_keys),
    }
    key_id, key_secret = next(iter(sms_keys.items()))
    env = {
        "ALIPAY_APP_PRIVATE_KEY_FILE": str(app_priv),
        "ALIPAY_PUBLIC_KEY_FILE": str(ali_pub),
        "SMS_PROVIDER": "aliyun",
        "SMS_ACCESS_KEY_ID": key_id,
        "SMS_ACCESS_KEY_SECRET": key_secret,
    }
    return apps, env


# Which settings each simulator's exports set. By default `smart315 simulators` prints (and writes) only
# WeChat's and Alipay's: both have no working local default, while SMS has one (the console provider,
# codes in the server log) and the assistant has its local answers, which the user may rely on.
GROUPS = {
    "wechat": ("WECHAT_API_BASE_URL",),
    "alipay": ("ALIPAY_GATEWAY_URL", "ALIPAY_APP_PRIVATE_KEY_FILE", "ALIPAY_PUBLIC_KEY_FILE"),
    "sms": ("SMS_PROVIDER", "SMS_ACCESS_KEY_ID", "SMS_ACCESS_KEY_SECRET", "SMS_ENDPOINT"),
    "llm": ("LLM_BASE_URL", "LLM_API_KEY"),
}
DEFAULT_GROUPS = ("wechat", "alipay")


def exports_for(env: Mapping[str, str], groups: tuple[str, ...] | list[str]) -> dict[str, str]:
    """The part of `env` that points the named groups at the simulators, in GROUPS order."""
    return {name: env[name] for group in GROUPS if group in groups for name in GROUPS[group] if name in env}


def write_env_file(path: str | Path, exports: Mapping[str, str]) -> Path:
    """`KEY=value` lines a shell can source (`set -a; . FILE`), written whole or not at all."""
    import os
    import shlex

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("".join(f"{k}={shlex.quote(str(v))}\n" for k, v in exports.items()), encoding="utf-8")
    os.replace(tmp, path)
    return path


def main(host: str = "127.0.0.1", ports: dict[str, int] | None = None, keys_dir: str | Path | None = None,
         extra: dict[str, tuple[Any, int]] | None = None, block: bool = True,
         groups: tuple[str, ...] | list[str] = DEFAULT_GROUPS, extra_env: Mapping[str, str] | None = None,
         env_file: str | Path | None = None) -> dict[str, Any]:
    """Serve the WeChat, Alipay and SMS simulators (plus any `extra` name -> (app, port)) and print the
    exports of `groups` (default WeChat and Alipay; "sms", "llm" on request) that point Smart315 at them,
    also written to `env_file` when given. Nothing else is printed as an export, so a configured SMS
    provider or model is never replaced unless asked. `env` in the result holds every group's settings.
    Blocks until Ctrl-C unless block=False."""
    from server.config import load_config

    cfg = load_config()
    ports = {**DEFAULT_PORTS, **(ports or {})}
    keys_dir = Path(keys_dir or Path(cfg["INSTANCE_DIR"]) / "dev-keys")
    apps, env = build_all(keys_dir, settings=cfg)
    for name, (app, port) in (extra or {}).items():
        apps[name] = app
        ports[name] = port
    urls: dict[str, str] = {}
    shutdowns: list[Callable[[], None]] = []
    for name, app in apps.items():
        url, stop = start_in_thread(app, host, ports.get(name, 0))
        urls[name] = url
        shutdowns.append(stop)
    env.update({"WECHAT_API_BASE_URL": urls["wechat"], "ALIPAY_GATEWAY_URL": urls["alipay"] + "/gateway.do",
                "SMS_ENDPOINT": urls["sms"], **(extra_env or {})})
    if "llm" in urls:
        env["LLM_BASE_URL"] = urls["llm"] + "/v1"
    exports = exports_for(env, groups)
    print("Simulators running:")
    for name, url in urls.items():
        print(f"  {name:8s} {url}")
    print("Point Smart315 at them with:")
    for key, value in exports.items():
        print(f"  export {key}={value}")
    left = [g for g in GROUPS if g not in groups]
    if left:
        print("Not exported (your own settings stay): " + ", ".join(left)
              + "; add " + " ".join(f"--{g}" for g in left) + " to use those simulators too.")
    if env_file:
        print(f"Written to {write_env_file(env_file, exports)}")
    sys.stdout.flush()

    def stop_all() -> None:
        for stop in shutdowns:
            stop()

    result = {"urls": urls, "env": env, "exports": exports, "shutdown": stop_all}
    if not block:
        return result
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        stop_all()
    return result
