"""WeChat mini-program and OA clients (wechatpy) against the WeChat simulator."""
from __future__ import annotations

import base64
import logging
import os

import pytest

from server.core.errors import (
    BadRequest,
    Forbidden,
    InvalidCode,
    PermanentDeliveryError,
    TransientDeliveryError,
    UpstreamUnavailable,
)
from server.core.identity.providers.wechat import WeChatMini, WeChatOA
from server.simulators.wechat import build_oa_echo, build_oa_event, openid_for, unionid_for
from tests.simulators import fixtures
from tests.simulators.fixtures import unused_port_url

# pytest finds fixtures by module attribute; these come from the shared simulator fixtures.
redis_db15 = fixtures.redis_db15
wechat_sim = fixtures.wechat_sim

MINI = "wx-mini-dev-appid"
OA = "wx-oa-dev-appid"


# --- login ------------------------------------------------------------------------------------
def test_code_to_session_returns_openid_unionid_and_session_key(wechat_sim):
    mini = WeChatMini(wechat_sim.settings)
    result = mini.code_to_session("ok-alice")
    assert result["openid"] == openid_for(MINI, "alice")
    assert result["unionid"] == unionid_for("alice")
    assert result["session_key"]
    # jscode2session authenticates with appid+secret: no access token is fetched for it.
    assert wechat_sim.stats().get("token", 0) == 0


def test_code_without_unionid_and_issued_codes(wechat_sim):
    mini = WeChatMini(wechat_sim.settings)
    assert mini.code_to_session("nounion-bob")["unionid"] is None
    code = wechat_sim.post("/_sim/codes", {"name": "carol"})["code"]
    assert mini.code_to_session(code)["openid"] == openid_for(MINI, "carol")


def test_invalid_code_is_invalid_code(wechat_sim):
    with pytest.raises(InvalidCode) as info:
        WeChatMini(wechat_sim.settings).code_to_session("bad-code")
    assert info.value.extra["upstream_code"] == 40029
    assert info.value.status == 401


def test_reused_code_is_invalid_code(wechat_sim):
    mini = WeChatMini(wechat_sim.settings)
    mini.code_to_session("ok-dave")
    with pytest.raises(InvalidCode) as info:
        mini.code_to_session("ok-dave")
    assert info.value.extra["upstream_code"] == 40163


@pytest.mark.parametrize("mode,code", [("busy", -1), ("rate_limit", 45011)])
def test_busy_and_quota_are_upstream_unavailable_503(wechat_sim, mode, code):
    wechat_sim.fault(mode)
    with pytest.raises(UpstreamUnavailable) as info:
        WeChatMini(wechat_sim.settings).code_to_session("ok-erin")
    assert info.value.status == 503
    assert info.value.extra["upstream_code"] == code


def test_transient_fault_then_the_same_code_works(wechat_sim):
    wechat_sim.fault("busy", count=1)
    mini = WeChatMini(wechat_sim.settings)
    with pytest.raises(UpstreamUnavailable):
        mini.code_to_session("ok-frank")
    assert mini.code_to_session("ok-frank")["openid"] == openid_for(MINI, "frank")


def test_http_error_and_garbage(wechat_sim):
    mini = WeChatMini(wechat_sim.settings)
    wechat_sim.fault("down", count=1)
    with pytest.raises(UpstreamUnavailable) as info:
        mini.code_to_session("ok-gina")
    assert info.value.status == 503
    wechat_sim.fault("garbage", count=1)
    with pytest.raises(UpstreamUnavailable) as info:
        mini.code_to_session("ok-gina")
    assert info.value.status == 502


def test_unreachable_is_503():
    from server.config import load_config

    settings = load_config({"WECHAT_API_BASE_URL": unused_port_url(), "WECHAT_TIMEOUT_SECONDS": 1}, environ={})
    with pytest.raises(UpstreamUnavailable) as info:
        WeChatMini(settings).code_to_session("ok-harry")
    assert info.value.status == 503


def test_timeout_is_503(wechat_sim):
    settings = dict(wechat_sim.settings, WECHAT_TIMEOUT_SECONDS=0.3)
    wechat_sim.fault("slow", delay=1.5, count=1)
    with pytest.raises(UpstreamUnavailable) as info:
        WeChatMini(settings).code_to_session("ok-ivy")
    assert info.value.status == 503


def test_wrong_secret_is_502(wechat_sim):
    settings = dict(wechat_sim.settings, WECHAT_MINI_SECRET="not-the-secret")
    with pytest.raises(UpstreamUnavailable) as info:
        WeChatMini(settings).code_to_session("ok-jack")
    assert info.value.status == 502


def test_nothing_secret_is_logged(wechat_sim, caplog):
    caplog.set_level(logging.DEBUG)
    mini = WeChatMini(wechat_sim.settings)
    result = mini.code_to_session("ok-kate-secretcode")
    mini.get_phone_number("phone-13800138000")
    token = mini.get_access_token()
    with pytest.raises(InvalidCode):
        mini.code_to_session("ok-kate-secretcode")
    text = caplog.text
    assert "ok-kate-secretcode" not in text
    assert result["session_key"] not in text
    assert token not in text
    assert "wx-mini-dev-secret" not in text
    assert "phone-13800138000" not in text


# --- phone number -----------------------------------------------------------------------------
def test_phone_number(wechat_sim):
    mini = WeChatMini(wechat_sim.settings)
    assert mini.get_phone_number("phone-13800138000") == "13800138000"
    with pytest.raises(InvalidCode):
        mini.get_phone_number("phone-13800138000")  # used
    with pytest.raises(InvalidCode):
        mini.get_phone_number("garbage")
    wechat_sim.fault("busy", count=1)
    with pytest.raises(UpstreamUnavailable):
        mini.get_phone_number("phone-13900139000")


# --- access token -----------------------------------------------------------------------------
def test_expired_token_is_refreshed_once_and_call_succeeds(wechat_sim):
    mini = WeChatMini(wechat_sim.settings)
    openid = openid_for(MINI, "liam")
    mini.send_subscribe_message(openid, "tpl-1", {"thing1": "投诉已转交"}, "pages/index/index")
    assert wechat_sim.stats()["token"] == 1
    wechat_sim.post("/_sim/expire_tokens")
    mini.send_subscribe_message(openid, "tpl-1", {"thing1": "商家已回复"}, "pages/index/index")
    assert wechat_sim.stats()["token"] == 2
    assert [m["data"]["thing1"]["value"] for m in wechat_sim.messages()] == ["投诉已转交", "商家已回复"]


def test_token_expiry_reported_by_simulator_as_42001(wechat_sim):
    import requests

    token = WeChatMini(wechat_sim.settings).get_access_token()
    wechat_sim.post("/_sim/expire_tokens")
    body = requests.post(f"{wechat_sim.base_url}/cgi-bin/message/subscribe/send",
                         params={"access_token": token}, json={}, timeout=5).json()
    assert body["errcode"] == 42001
    body = requests.post(f"{wechat_sim.base_url}/cgi-bin/message/subscribe/send",
                         params={"access_token": "forged"}, json={}, timeout=5).json()
    assert body["errcode"] == 40001


def test_token_shared_through_redis_between_instances(wechat_sim, redis_db15):
    first = WeChatMini(wechat_sim.settings, redis=redis_db15)
    second = WeChatMini(wechat_sim.settings, redis=redis_db15)
    openid = openid_for(MINI, "mia")
    first.send_subscribe_message(openid, "tpl-1", {"thing1": "a"}, "pages/index/index")
    second.send_subscribe_message(openid, "tpl-1", {"thing1": "b"}, "pages/index/index")
    assert wechat_sim.stats()["token"] == 1
    assert first.get_access_token() == second.get_access_token()
    assert any(k.startswith(b"smart315:wechat:") for k in redis_db15.keys())
    # When one instance refreshes after expiry, the other picks up the new token from Redis.
    wechat_sim.post("/_sim/expire_tokens")
    first.send_subscribe_message(openid, "tpl-1", {"thing1": "c"}, "pages/index/index")
    second.send_subscribe_message(openid, "tpl-1", {"thing1": "d"}, "pages/index/index")
    assert wechat_sim.stats()["token"] == 2
    assert len(wechat_sim.messages()) == 4


def test_without_redis_each_instance_has_its_own_token(wechat_sim):
    openid = openid_for(MINI, "noah")
    WeChatMini(wechat_sim.settings).send_subscribe_message(openid, "tpl-1", {"thing1": "a"}, "p")
    WeChatMini(wechat_sim.settings).send_subscribe_message(openid, "tpl-1", {"thing1": "b"}, "p")
    assert wechat_sim.stats()["token"] == 2


# --- subscribe messages -----------------------------------------------------------------------
def test_subscribe_message_delivered_with_wechat_data_shape(wechat_sim):
    openid = openid_for(MINI, "olga")
    WeChatMini(wechat_sim.settings).send_subscribe_message(
        openid, "wx-sub-forwarded-dev", {"thing1": "投诉已转交商家", "time2": {"value": "2024-05-01 10:00"}},
        "pages/complaint/detail?id=7")
    [message] = wechat_sim.messages()
    assert message["kind"] == "subscribe"
    assert message["touser"] == openid
    assert message["template_id"] == "wx-sub-forwarded-dev"
    assert message["page"] == "pages/complaint/detail?id=7"
    assert message["data"] == {"thing1": {"value": "投诉已转交商家"}, "time2": {"value": "2024-05-01 10:00"}}


def test_subscribe_refused_is_permanent(wechat_sim):
    openid = openid_for(MINI, "paul")
    wechat_sim.post("/_sim/refuse", {"openid": openid})
    with pytest.raises(PermanentDeliveryError) as info:
        WeChatMini(wechat_sim.settings).send_subscribe_message(openid, "tpl-1", {"thing1": "x"}, "p")
    assert info.value.code == 43101 and info.value.permanent
    assert wechat_sim.messages() == []


def test_invalid_template_and_bad_data_are_permanent(wechat_sim):
    mini = WeChatMini(wechat_sim.settings)
    openid = openid_for(MINI, "quinn")
    with pytest.raises(PermanentDeliveryError) as info:
        mini.send_subscribe_message(openid, "bad-template", {"thing1": "x"}, "p")
    assert info.value.code == 40037
    with pytest.raises(PermanentDeliveryError) as info:
        mini.send_subscribe_message(openid, "tpl-1", {"thing1": ""}, "p")
    assert info.value.code == 47003


@pytest.mark.parametrize("mode", ["busy", "rate_limit", "down", "slow"])
def test_subscribe_transient_failures(wechat_sim, mode):
    mini = WeChatMini(dict(wechat_sim.settings, WECHAT_TIMEOUT_SECONDS=0.5))
    mini.get_access_token()
    wechat_sim.fault(mode, delay=1.5, paths=["/cgi-bin/message"])
    with pytest.raises(TransientDeliveryError) as info:
        mini.send_subscribe_message(openid_for(MINI, "rose"), "tpl-1", {"thing1": "x"}, "p")
    assert not info.value.permanent
    wechat_sim.fault(None)
    mini.send_subscribe_message(openid_for(MINI, "rose"), "tpl-1", {"thing1": "x"}, "p")
    assert len(wechat_sim.messages()) == 1


def test_token_still_rejected_after_one_refresh_is_transient(wechat_sim):
    """If a fresh token is rejected too, give up (transient) instead of looping."""
    mini = WeChatMini(wechat_sim.settings)
    mini.client.session.set(mini.client.access_token_key, "stale-token", 7200)
    wechat_sim.fault("busy", paths=["/cgi-bin/stable_token"])
    with pytest.raises(TransientDeliveryError):
        mini.send_subscribe_message(openid_for(MINI, "sam"), "tpl-1", {"thing1": "x"}, "p")
    assert wechat_sim.messages() == []


# --- official account -------------------------------------------------------------------------
def test_qr_ticket_and_image(wechat_sim):
    import requests

    oa = WeChatOA(wechat_sim.settings)
    ticket = oa.create_qr_ticket("bind:42:abcdef", expire_seconds=600)
    assert ticket["ticket"] and ticket["expire_seconds"] == 600 and ticket["url"]
    assert wechat_sim.get(f"/_sim/tickets/{ticket['ticket']}")["scene"] == "bind:42:abcdef"
    image = requests.get(oa.qr_image_url(ticket["ticket"]), timeout=5)
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")


def test_qr_ticket_when_wechat_busy(wechat_sim):
    wechat_sim.fault("busy")
    with pytest.raises(UpstreamUnavailable):
        WeChatOA(wechat_sim.settings).create_qr_ticket("bind:1:x")


def test_qr_image_url_for_real_api():
    from server.config import load_config

    oa = WeChatOA(load_config(environ={}))
    assert oa.qr_image_url("gQ a/b") == "https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket=gQ%20a%2Fb"


def test_template_message_and_errors(wechat_sim):
    oa = WeChatOA(wechat_sim.settings)
    openid = openid_for(OA, "staff-1")
    oa.send_template_message(openid, "wx-oa-forwarded-dev", {"first": "新投诉", "keyword1": "C-2024-0001"},
                             miniprogram={"appid": MINI, "pagepath": "pages/console/index"},
                             url="https://example.org/console")
    [message] = wechat_sim.messages()
    assert message["kind"] == "template" and message["touser"] == openid
    assert message["miniprogram"] == {"appid": MINI, "pagepath": "pages/console/index"}
    assert message["data"]["keyword1"] == {"value": "C-2024-0001"}
    wechat_sim.post("/_sim/unfollow", {"openid": openid})
    with pytest.raises(PermanentDeliveryError) as info:
        oa.send_template_message(openid, "wx-oa-forwarded-dev", {"first": "x"})
    assert info.value.code == 43004
    wechat_sim.fault("busy", count=1)
    with pytest.raises(TransientDeliveryError):
        oa.send_template_message(openid_for(OA, "staff-2"), "wx-oa-forwarded-dev", {"first": "x"})


def test_oa_echo_and_signature(wechat_sim):
    oa = WeChatOA(wechat_sim.settings)
    args = build_oa_echo("smart315devtoken", "hello-123")
    assert oa.verify_echo(args) == "hello-123"
    with pytest.raises(Forbidden):
        oa.verify_echo(dict(args, signature="0" * 40))
    assert not oa.check_signature(None, args["timestamp"], args["nonce"])


@pytest.mark.parametrize("event,expected", [("subscribe", "subscribe"), ("SCAN", "scan")])
def test_callback_plaintext_scene_is_normalised(wechat_sim, event, expected):
    oa = WeChatOA(wechat_sim.settings)
    openid = openid_for(OA, "staff-3")
    args, body = build_oa_event("smart315devtoken", openid, event=event, scene="bind:9:tok", ticket="gQabc")
    parsed = oa.parse_callback(body, args)
    assert parsed["event"] == expected
    assert parsed["openid"] == openid
    assert parsed["scene"] == "bind:9:tok"
    assert parsed["ticket"] == "gQabc"
    assert parsed["encrypted"] is False
    assert "<Content><![CDATA[绑定成功]]></Content>" in oa.reply_text(parsed, "绑定成功")
    assert oa.success_reply() == "success"


def test_callback_plaintext_bad_signature(wechat_sim):
    oa = WeChatOA(wechat_sim.settings)
    args, body = build_oa_event("wrong-token", openid_for(OA, "x"), scene="bind:1:t")
    with pytest.raises(Forbidden):
        oa.parse_callback(body, args)


def _aes_key() -> str:
    return base64.b64encode(os.urandom(32)).decode().rstrip("=")


def test_callback_aes_mode(wechat_sim):
    key = _aes_key()
    oa = WeChatOA(dict(wechat_sim.settings, WECHAT_OA_AES_KEY=key))
    openid = openid_for(OA, "staff-4")
    args, body = build_oa_event("smart315devtoken", openid, event="subscribe", scene="bind:5:zz",
                                aes_key=key, appid=OA)
    assert b"bind:5:zz" not in body and b"<Encrypt>" in body
    parsed = oa.parse_callback(body, args)
    assert (parsed["event"], parsed["openid"], parsed["scene"], parsed["encrypted"]) == \
        ("subscribe", openid, "bind:5:zz", True)
    reply = oa.reply_text(parsed, "绑定成功")
    assert "<Encrypt>" in reply and "绑定成功" not in reply


def test_callback_aes_bad_msg_signature_and_wrong_key(wechat_sim):
    key = _aes_key()
    oa = WeChatOA(dict(wechat_sim.settings, WECHAT_OA_AES_KEY=key))
    args, body = build_oa_event("smart315devtoken", openid_for(OA, "y"), scene="bind:1:t", aes_key=key, appid=OA)
    with pytest.raises(Forbidden):
        oa.parse_callback(body, dict(args, msg_signature="f" * 40))
    other_args, other_body = build_oa_event("smart315devtoken", openid_for(OA, "y"), scene="bind:1:t",
                                            aes_key=_aes_key(), appid=OA)
    with pytest.raises(BadRequest):
        oa.parse_callback(other_body, other_args)
    # An encrypted event when no key is configured is refused, not guessed at.
    with pytest.raises(BadRequest):
        WeChatOA(wechat_sim.settings).parse_callback(body, args)


def test_token_replaced_by_another_process_is_reused_not_refetched(wechat_sim, redis_db15):
    """Race: our call fails with the old token just after another process stored a new one in Redis."""
    first = WeChatMini(wechat_sim.settings, redis=redis_db15)
    second = WeChatMini(wechat_sim.settings, redis=redis_db15)
    openid = openid_for(MINI, "tess")
    old = first.get_access_token()
    wechat_sim.post("/_sim/expire_tokens")
    attempts = []

    def send():
        if not attempts:
            second.client.fetch_access_token()  # the other process refreshes meanwhile
            token = old  # ... while our request still carries the old token
        else:
            token = first.client.access_token
        attempts.append(token)
        return first.client.wxa._post("cgi-bin/message/subscribe/send", params={"access_token": token}, data={
            "touser": openid, "template_id": "tpl-1", "data": {"thing1": {"value": "x"}}})

    first._invoke(send)
    assert attempts[0] == old and attempts[1] != old
    assert wechat_sim.stats()["token"] == 2  # first fetch + the other process's; none by us
    assert len(wechat_sim.messages()) == 1
