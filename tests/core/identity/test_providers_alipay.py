"""Alipay mini-app client (python-alipay-sdk, RSA2) against the gateway simulator."""
from __future__ import annotations

from pathlib import Path

import pytest

from server.config import load_config
from server.core.errors import (
    InvalidCode,
    PermanentDeliveryError,
    TransientDeliveryError,
    UpstreamUnavailable,
)
from server.core.identity.providers.alipay import AlipayMini, generate_dev_keys
from server.simulators.alipay import open_id_for, user_id_for
from tests.simulators import fixtures
from tests.simulators.fixtures import unused_port_url

# pytest finds fixtures by module attribute; these come from the shared simulator fixtures.
alipay_keys = fixtures.alipay_keys
alipay_sim = fixtures.alipay_sim

APPID = "2021000000000000"


def test_oauth_token_returns_user_id_and_open_id(alipay_sim):
    result = AlipayMini(alipay_sim.settings).oauth_token("ok-alice")
    assert result["user_id"] == user_id_for("alice")
    assert result["open_id"] == open_id_for(APPID, "alice")
    assert result["access_token"].startswith("authusr")


def test_open_id_only_apps(alipay_sim):
    result = AlipayMini(alipay_sim.settings).oauth_token("openid-bob")
    assert result["user_id"] is None
    assert result["open_id"] == open_id_for(APPID, "bob")


def test_invalid_and_reused_codes(alipay_sim):
    client = AlipayMini(alipay_sim.settings)
    with pytest.raises(InvalidCode) as info:
        client.oauth_token("garbage")
    assert info.value.extra["upstream_code"] == "isv.code-invalid"
    client.oauth_token("ok-carol")
    with pytest.raises(InvalidCode):
        client.oauth_token("ok-carol")


def test_tampered_answer_is_refused_502(alipay_sim):
    alipay_sim.fault("tamper")
    client = AlipayMini(alipay_sim.settings)
    with pytest.raises(UpstreamUnavailable) as info:
        client.oauth_token("ok-dave")
    assert info.value.status == 502
    # A tampered error envelope is not believed either.
    with pytest.raises(UpstreamUnavailable) as info:
        client.oauth_token("garbage")
    assert info.value.status == 502


def test_answer_signed_by_someone_else_is_refused(alipay_sim, tmp_path):
    """The app checks answers with the Alipay public key it was given, not whatever key signed them."""
    _, _, _, stranger_public = generate_dev_keys(tmp_path)
    settings = dict(alipay_sim.settings, ALIPAY_PUBLIC_KEY_FILE=stranger_public)
    with pytest.raises(UpstreamUnavailable) as info:
        AlipayMini(settings).oauth_token("ok-erin")
    assert info.value.status == 502


def test_request_signed_with_wrong_app_key_is_rejected_by_gateway(alipay_sim, tmp_path):
    stranger_private, _, _, _ = generate_dev_keys(tmp_path)
    settings = dict(alipay_sim.settings, ALIPAY_APP_PRIVATE_KEY_FILE=stranger_private)
    with pytest.raises(UpstreamUnavailable) as info:
        AlipayMini(settings).oauth_token("ok-frank")
    assert info.value.status == 502
    assert info.value.extra["upstream_code"] == "isv.invalid-signature"


@pytest.mark.parametrize("mode", ["busy", "down"])
def test_gateway_busy_or_down_is_503(alipay_sim, mode):
    alipay_sim.fault(mode, count=1)
    client = AlipayMini(alipay_sim.settings)
    with pytest.raises(UpstreamUnavailable) as info:
        client.oauth_token("ok-gina")
    assert info.value.status == 503
    assert client.oauth_token("ok-gina")["user_id"] == user_id_for("gina")


def test_gateway_timeout_unreachable_and_garbage(alipay_sim):
    alipay_sim.fault("slow", delay=1.5, count=1)
    with pytest.raises(UpstreamUnavailable) as info:
        AlipayMini(dict(alipay_sim.settings, ALIPAY_TIMEOUT_SECONDS=0.3)).oauth_token("ok-hal")
    assert info.value.status == 503
    with pytest.raises(UpstreamUnavailable) as info:
        AlipayMini(dict(alipay_sim.settings, ALIPAY_GATEWAY_URL=unused_port_url() + "/gateway.do")).oauth_token("ok-h")
    assert info.value.status == 503
    alipay_sim.fault("garbage", count=1)
    with pytest.raises(UpstreamUnavailable) as info:
        AlipayMini(alipay_sim.settings).oauth_token("ok-hal")
    assert info.value.status == 502


def test_missing_key_files_is_unavailable():
    with pytest.raises(UpstreamUnavailable):
        AlipayMini(load_config(environ={}))


def test_bare_base64_keys_as_alipay_tools_export_them(alipay_sim, alipay_keys, tmp_path):
    def bare(path: str, name: str) -> str:
        lines = [ln for ln in Path(path).read_text().splitlines() if not ln.startswith("-----")]
        out = tmp_path / name
        out.write_text("".join(lines))
        return str(out)

    settings = dict(alipay_sim.settings, ALIPAY_APP_PRIVATE_KEY_FILE=bare(alipay_keys["app_private"], "a"),
                    ALIPAY_PUBLIC_KEY_FILE=bare(alipay_keys["alipay_public"], "b"))
    assert AlipayMini(settings).oauth_token("ok-ivan")["user_id"] == user_id_for("ivan")


def test_send_subscribe_message_by_user_id_and_open_id(alipay_sim):
    client = AlipayMini(alipay_sim.settings)
    client.send_subscribe_message(user_id_for("jill"), "ali-sub-forwarded-dev", {"keyword1": "投诉已转交"},
                                  "pages/complaint/detail?id=3")
    client.send_subscribe_message(open_id_for(APPID, "jill"), "ali-sub-forwarded-dev",
                                  {"keyword1": {"value": "商家已回复"}}, "pages/index/index")
    first, second = alipay_sim.messages()
    assert (first["to_type"], first["to"]) == ("user_id", user_id_for("jill"))
    assert first["data"] == {"keyword1": {"value": "投诉已转交"}}
    assert first["page"] == "pages/complaint/detail?id=3"
    assert (second["to_type"], second["data"]["keyword1"]["value"]) == ("open_id", "商家已回复")


def test_send_permanent_and_transient_failures(alipay_sim):
    client = AlipayMini(alipay_sim.settings)
    with pytest.raises(PermanentDeliveryError):
        client.send_subscribe_message(user_id_for("kim"), "bad-template", {"keyword1": "x"}, "p")
    alipay_sim.post("/_sim/refuse", {"id": user_id_for("kim")})
    with pytest.raises(PermanentDeliveryError) as info:
        client.send_subscribe_message(user_id_for("kim"), "ali-sub-forwarded-dev", {"keyword1": "x"}, "p")
    assert info.value.code == "USER_NOT_SUBSCRIBED"
    for mode in ("busy", "down", "tamper"):
        alipay_sim.fault(mode, count=1)
        with pytest.raises(TransientDeliveryError):
            client.send_subscribe_message(user_id_for("lee"), "ali-sub-forwarded-dev", {"keyword1": "x"}, "p")
    # Busy and down delivered nothing; the tampered answer came after a real delivery, which the
    # client cannot confirm, so it reports a transient failure (a retry may duplicate the message).
    assert [m["to"] for m in alipay_sim.messages()] == [user_id_for("lee")]
