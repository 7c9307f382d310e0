"""Each mini-program's API client, run in Node, against the real server and the WeChat/Alipay simulators."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.simulators import fixtures

# make test-fast leaves this out; make test and CI run it: Node runs each mini-program's client against a served app.
pytestmark = pytest.mark.slow

wechat_sim = fixtures.wechat_sim
alipay_sim = fixtures.alipay_sim
alipay_keys = fixtures.alipay_keys

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def served(settings_overrides, wechat_sim, alipay_sim):
    """The platform on a real socket, its WeChat and Alipay calls going to the simulators."""
    from server.app import create_app
    from tests.conftest import reset_database

    overrides = dict(settings_overrides)
    for key in ("WECHAT_API_BASE_URL", "WECHAT_TIMEOUT_SECONDS"):
        overrides[key] = wechat_sim.settings[key]
    for key in ("ALIPAY_GATEWAY_URL", "ALIPAY_APP_PRIVATE_KEY_FILE", "ALIPAY_PUBLIC_KEY_FILE", "ALIPAY_APPID"):
        overrides[key] = alipay_sim.settings[key]
    app = create_app(overrides)
    reset_database(app.extensions["smart315.db"])
    server = make_server("127.0.0.1", 0, app, threaded=True)
    import threading

    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{server.server_port}/api/v1"
    server.shutdown()
    app.extensions["smart315.db"].dispose()


def _npm_ready(folder: Path) -> None:
    assert shutil.which("npm"), "npm is needed for the mini-program tests"
    if not (folder / "node_modules").is_dir():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=folder, check=True,
                       timeout=600)


@pytest.mark.parametrize("folder", ["miniprogram", "alipay_miniapp"])
def test_api_client_files_and_withdraws_a_complaint(served, folder):
    path = ROOT / folder
    _npm_ready(path)
    env = {**os.environ, "SMART315_E2E_BASE_URL": served, "CI": "true"}
    out = subprocess.run(["npm", "run", "--silent", "test:e2e"], cwd=path, env=env, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-4000:]
    assert "passed" in (out.stdout + out.stderr)
