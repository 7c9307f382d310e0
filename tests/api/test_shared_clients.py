"""One client cache (server.core.clients) shared by sign-in, moderation and the notification worker,
through HTTP and the worker against the WeChat and Alipay simulators."""
from __future__ import annotations

import os
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from server.core import clients
from server.simulators.wechat import openid_for
from server.tasks.worker import make_context, run_once
from tests.core.notifications.helpers import file_and_forward, grant, rows
from tests.simulators import fixtures

alipay_keys = fixtures.alipay_keys
alipay_sim = fixtures.alipay_sim
wechat_sim = fixtures.wechat_sim

WECHAT_KEYS = ("WECHAT_API_BASE_URL", "WECHAT_TIMEOUT_SECONDS")
ALIPAY_KEYS = ("ALIPAY_GATEWAY_URL", "ALIPAY_TIMEOUT_SECONDS")


@pytest.fixture
def key_files(alipay_keys, tmp_path):
    """Copies of the app's Alipay key files this test may rotate."""
    private, public = tmp_path / "app_private.pem", tmp_path / "alipay_public.pem"
    shutil.copy(alipay_keys["app_private"], private)
    shutil.copy(alipay_keys["alipay_public"], public)
    return private, public


@pytest.fixture
def settings_overrides(settings_overrides, wechat_sim, alipay_sim, key_files):
    return {**settings_overrides, **{k: wechat_sim.settings[k] for k in WECHAT_KEYS},
            **{k: alipay_sim.settings[k] for k in ALIPAY_KEYS},
            "ALIPAY_APP_PRIVATE_KEY_FILE": str(key_files[0]), "ALIPAY_PUBLIC_KEY_FILE": str(key_files[1]),
            "MODERATION_PROVIDER": "wechat", "NOTIFY_BACKOFF_BASE_SECONDS": 0.01}


@pytest.fixture
def key_reads(monkeypatch, key_files):
    """How often each Alipay key file is read."""
    reads = {str(p): 0 for p in key_files}
    original = Path.read_text

    def counting(self, *args, **kwargs):
        if str(self) in reads:
            reads[str(self)] += 1
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", counting)
    return reads


def ali(client, code):
    return client.post("/api/v1/auth/alipay", json={"auth_code": code})


def test_alipay_key_files_are_read_once_for_many_logins_and_again_after_rotation(client, key_reads, key_files):
    for name in ("alice", "bob", "carol"):
        r = ali(client, f"ok-{name}")
        assert r.status_code == 200, r.get_json()
    assert list(key_reads.values()) == [1, 1]
    assert clients.builds["alipay_mini"] == 1
    # A rotated key file (same path, new contents) is picked up without a restart.
    private = key_files[0]
    private.write_bytes(private.read_bytes())
    stat = private.stat()
    os.utime(private, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert ali(client, "ok-dave").status_code == 200
    assert list(key_reads.values()) == [2, 2]
    assert ali(client, "ok-erin").status_code == 200
    assert list(key_reads.values()) == [2, 2]


def test_a_missing_key_file_is_503_and_is_retried_once_present(client, key_files, tmp_path):
    private = key_files[0]
    moved = tmp_path / "elsewhere.pem"
    private.rename(moved)
    r = ali(client, "ok-frank")
    assert r.status_code == 503 and r.get_json()["detail"] == "支付宝服务未配置"
    moved.rename(private)
    assert ali(client, "ok-frank").status_code == 200


def test_sign_in_moderation_and_worker_share_one_wechat_client(app, client, auth, db, settings, wechat_sim):
    # API: WeChat sign-in builds the mini-program client.
    r = client.post("/api/v1/auth/wechat", json={"code": "ok-gina"})
    assert r.status_code == 200, r.get_json()
    consumer = SimpleNamespace(headers={"Authorization": f"Bearer {r.get_json()['access_token']}"},
                               user_id=r.get_json()["user"]["id"])
    template = settings["WECHAT_SUBSCRIBE_TEMPLATES"]["complaint.forwarded"]
    grant(client, consumer, "wechat", template)
    owner, biz = auth.business()
    mediator = auth.mediator("1101")
    # API: filing goes through moderation (msg_sec_check for a user with an openid).
    cid = file_and_forward(client, consumer, mediator, biz["id"])
    assert wechat_sim.stats().get("msg_sec_check", 0) >= 1
    # Worker: the subscribe message goes out through the same client.
    ctx = make_context(db, settings)
    run_once(db, settings, ctx=ctx)
    [row] = rows(db, channel="wechat_subscribe", event_type="complaint.forwarded")
    assert row.send_state == "sent", row.last_error
    [sent] = [m for m in wechat_sim.messages() if m["kind"] == "subscribe"]
    assert sent["touser"] == openid_for(settings["WECHAT_MINI_APPID"], "gina")
    assert sent["page"] == f"pages/complaint/detail?id={cid}"
    # One client built, so one access token fetched for moderation and delivery together.
    assert clients.builds["wechat_mini"] == 1
    assert wechat_sim.stats()["token"] == 1
    with app.app_context():
        from server.api.identity import wechat_mini

        api_client = wechat_mini()
    assert api_client is clients.wechat_mini(ctx.settings, ctx.redis)
    # Changed settings: another client.
    changed = clients.wechat_mini(dict(settings, WECHAT_TIMEOUT_SECONDS=3), ctx.redis)
    assert changed is not api_client and changed.timeout == 3
    assert clients.builds["wechat_mini"] == 2


def test_alipay_login_and_alipay_delivery_share_one_client(client, auth, db, settings, alipay_sim, key_reads):
    r = ali(client, "ok-hana")
    assert r.status_code == 200
    consumer = SimpleNamespace(headers={"Authorization": f"Bearer {r.get_json()['access_token']}"})
    grant(client, consumer, "alipay", settings["ALIPAY_SUBSCRIBE_TEMPLATES"]["complaint.forwarded"])
    owner, biz = auth.business()
    cid = file_and_forward(client, consumer, auth.mediator("1101"), biz["id"])
    ctx = make_context(db, settings)
    run_once(db, settings, ctx=ctx)
    [row] = rows(db, channel="alipay", event_type="complaint.forwarded")
    assert row.send_state == "sent", row.last_error
    [sent] = alipay_sim.messages()
    assert sent["page"] == f"pages/complaint/detail?id={cid}"
    # The worker used the client the login built: the key files were read once in all.
    assert clients.builds["alipay_mini"] == 1 and list(key_reads.values()) == [1, 1]
    api_client = clients.alipay_mini(ctx.settings)
    other = clients.alipay_mini(dict(settings, ALIPAY_TIMEOUT_SECONDS=4))
    assert other is not api_client and clients.builds["alipay_mini"] == 2
