"""The demo a new user runs (issue 23.9): `smart315 simulators` prints only what points WeChat and Alipay
at the simulators (nothing that replaces the console SMS provider the README relies on, unless --sms),
writes it to --env-file for `make run-sim`, and under those settings WeChat and Alipay sign-in answer."""
from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.security.procs import ROOT, free_port

SMART315 = str(Path(sys.executable).with_name("smart315"))


class Simulators:
    def __init__(self, folder: Path, *flags: str):
        self.env_file = folder / "simulators.env"
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("SMS_", "LLM_", "WECHAT_", "ALIPAY_", "TEST_"))}
        env.update({"SMART315_ENV": "development", "SMART315_INSTANCE_DIR": str(folder)})
        ports = [str(free_port()) for _ in range(4)]
        self.proc = subprocess.Popen(
            [SMART315, "simulators", "--wechat-port", ports[0], "--alipay-port", ports[1], "--llm-port", ports[2],
             "--sms-port", ports[3], "--env-file", str(self.env_file), *flags],
            cwd=str(ROOT), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        lines = []
        assert self.proc.stdout is not None
        for line in self.proc.stdout:  # the command prints its exports, then "Written to …", then serves
            lines.append(line)
            if line.startswith("Written to"):
                break
        self.output = "".join(lines)
        assert self.env_file.exists(), self.output

    @property
    def exports(self) -> dict[str, str]:
        found = {}
        for line in self.output.splitlines():
            if line.strip().startswith("export "):
                key, _, value = line.strip()[len("export "):].partition("=")
                found[key] = value
        return found

    def file_values(self) -> dict[str, str]:
        out = {}
        for line in self.env_file.read_text(encoding="utf-8").splitlines():
            key, _, value = line.partition("=")
            out[key] = shlex.split(value)[0] if value else ""
        return out

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@pytest.fixture
def sims(tmp_path):
    running = Simulators(tmp_path)
    yield running
    running.stop()


def test_simulators_print_only_wechat_and_alipay_by_default(sims, tmp_path):
    exports = sims.exports
    assert exports["WECHAT_API_BASE_URL"].startswith("http://127.0.0.1:")
    assert exports["ALIPAY_GATEWAY_URL"].endswith("/gateway.do")
    assert Path(exports["ALIPAY_APP_PRIVATE_KEY_FILE"]).exists()
    # Nothing replaces the console SMS provider (codes in the server log) nor a configured model.
    assert "SMS_PROVIDER" not in sims.output and "LLM_" not in "".join(exports)
    assert "--sms" in sims.output  # and the output says how to include them
    assert sims.file_values() == exports


def test_sms_and_llm_only_when_asked(tmp_path):
    running = Simulators(tmp_path, "--sms", "--llm")
    try:
        exports = running.exports
        assert exports["SMS_PROVIDER"] == "aliyun" and exports["SMS_ENDPOINT"].startswith("http://127.0.0.1:")
        assert exports["LLM_BASE_URL"].endswith("/v1") and exports["LLM_API_KEY"]
        assert running.file_values() == exports
    finally:
        running.stop()


@pytest.fixture
def plain_app(settings_overrides):
    """`make run` without the simulators: WeChat points at api.weixin.qq.com, unreachable from here."""
    from server.app import create_app

    application = create_app({**settings_overrides, "WECHAT_API_BASE_URL": f"http://127.0.0.1:{free_port()}"})
    yield application
    application.extensions["smart315.db"].dispose()


def test_wechat_and_alipay_sign_in_answer_under_the_run_sim_settings(sims, settings_overrides, plain_app):
    from server.app import create_app

    without = plain_app.test_client().post("/api/v1/auth/wechat", json={"code": "ok-demo"})
    assert without.status_code == 503  # what a new user saw under plain `make run`

    app = create_app({**settings_overrides, **sims.file_values()})  # what `make run-sim` sources
    try:
        client = app.test_client()
        r = client.post("/api/v1/auth/wechat", json={"code": "ok-demo"})
        assert r.status_code == 200, r.get_json()
        assert r.get_json()["access_token"]
        r = client.post("/api/v1/auth/alipay", json={"auth_code": "ok-demo"})
        assert r.status_code == 200, r.get_json()
        # The console SMS provider is still the one in use: a code is "sent" to the log, not to Aliyun.
        assert app.config["SMART315"]["SMS_PROVIDER"] == "console"
    finally:
        app.extensions["smart315.db"].dispose()
