"""The simulators as a whole: the demo runner, the OA scan flow into an app callback, wire formats."""
from __future__ import annotations

import base64
import json
import os

import requests
from flask import Flask, request

from server.config import load_config
from server.core.identity.providers.alipay import AlipayMini
from server.core.identity.providers.sms import get_sms_provider
from server.core.identity.providers.wechat import WeChatMini, WeChatOA
from server.simulators.runner import main, start_in_thread
from server.simulators.wechat import openid_for


def test_runner_serves_all_three_and_prints_the_environment(tmp_path, capsys):
    running = main(ports={"wechat": 0, "alipay": 0, "sms": 0}, keys_dir=tmp_path / "keys", block=False)
    try:
        env = running["env"]
        printed = capsys.readouterr().out
        assert f"export WECHAT_API_BASE_URL={env['WECHAT_API_BASE_URL']}" in printed
        settings = load_config({k: v for k, v in env.items()}, environ={})
        assert WeChatMini(settings).code_to_session("ok-demo")["openid"] == openid_for("wx-mini-dev-appid", "demo")
        assert AlipayMini(settings).oauth_token("ok-demo")["user_id"].startswith("2088")
        get_sms_provider(settings).send_code("13800000000", "123456")
        sent = requests.get(running["urls"]["sms"] + "/_sim/sms", timeout=5).json()
        assert sent[0]["code"] == "123456"
    finally:
        running["shutdown"]()
    # Keys are kept for the next start, so an already configured app keeps working.
    again = main(ports={"wechat": 0, "alipay": 0, "sms": 0}, keys_dir=tmp_path / "keys", block=False)
    try:
        assert again["env"]["ALIPAY_PUBLIC_KEY_FILE"] == env["ALIPAY_PUBLIC_KEY_FILE"]
        assert AlipayMini(load_config(again["env"], environ={})).oauth_token("ok-demo2")["user_id"]
    finally:
        again["shutdown"]()


def test_shutdown_frees_the_port():
    app = Flask("x")
    app.add_url_rule("/", "i", lambda: "hi")
    url, shutdown = start_in_thread(app)
    assert requests.get(url, timeout=5).text == "hi"
    shutdown()
    try:
        requests.get(url, timeout=1)
        raised = False
    except requests.ConnectionError:
        raised = True
    assert raised


def _callback_app(oa: WeChatOA, seen: list) -> Flask:
    """A stand-in for the app's OA callback endpoint, using the provider the way the API will."""
    app = Flask("callback")

    @app.route("/wechat/oa/callback", methods=["GET", "POST"])
    def callback():
        args = request.args.to_dict()
        if request.method == "GET":
            return oa.verify_echo(args)
        parsed = oa.parse_callback(request.get_data(), args)
        seen.append(parsed)
        return oa.reply_text(parsed, "绑定成功")

    return app


def _scan_flow(wechat_sim, settings, aes_key=None):
    oa = WeChatOA(settings)
    seen: list = []
    url, shutdown = start_in_thread(_callback_app(oa, seen))
    try:
        ticket = oa.create_qr_ticket("bind:17:s3cr3t")
        result = wechat_sim.post("/_sim/scan", {
            "ticket": ticket["ticket"], "callback_url": url + "/wechat/oa/callback", "name": "staff-zhang",
            "event": "subscribe", "token": settings["WECHAT_OA_TOKEN"], "aes_key": aes_key})
    finally:
        shutdown()
    return result, seen


def test_scan_delivers_plaintext_event_to_callback(wechat_sim):
    result, seen = _scan_flow(wechat_sim, wechat_sim.settings)
    assert result["status"] == 200 and "绑定成功" in result["body"]
    [event] = seen
    assert event["event"] == "subscribe" and event["scene"] == "bind:17:s3cr3t"
    assert event["openid"] == openid_for("wx-oa-dev-appid", "staff-zhang") == result["openid"]


def test_scan_delivers_encrypted_event_to_callback(wechat_sim):
    key = base64.b64encode(os.urandom(32)).decode().rstrip("=")
    result, seen = _scan_flow(wechat_sim, dict(wechat_sim.settings, WECHAT_OA_AES_KEY=key), aes_key=key)
    assert result["status"] == 200 and "<Encrypt>" in result["body"]
    assert seen[0]["encrypted"] is True and seen[0]["scene"] == "bind:17:s3cr3t"


def test_alipay_answers_use_alipay_envelope(alipay_sim):
    """The raw answer is what Alipay sends: the response object, then its signature."""

    client = AlipayMini(alipay_sim.settings).client
    data = client.build_body("alipay.system.oauth.token", grant_type="authorization_code", code="ok-raw")
    data.pop("biz_content")
    raw = requests.get(alipay_sim.base_url + "/gateway.do?" + client.sign_data(data), timeout=5).text
    doc = json.loads(raw)
    assert list(doc) == ["alipay_system_oauth_token_response", "sign"]
    assert client._verify(client._get_string_to_be_signed(raw, "alipay_system_oauth_token_response"), doc["sign"])
    bad = json.loads(requests.get(alipay_sim.base_url + "/gateway.do?" + client.sign_data(
        {**client.build_body("alipay.system.oauth.token", grant_type="authorization_code", code="nope")}),
        timeout=5).text)
    assert bad["error_response"]["code"] == "40002"
    assert bad["error_response"]["sub_code"] == "isv.code-invalid"


def test_wechat_simulator_error_shapes(wechat_sim):
    base = wechat_sim.base_url
    assert requests.get(base + "/cgi-bin/token", params={"grant_type": "client_credential", "appid": "nope",
                                                          "secret": "x"}, timeout=5).json()["errcode"] == 40013
    args = {"appid": "wx-mini-dev-appid", "secret": "wx-mini-dev-secret", "grant_type": "authorization_code"}
    assert requests.get(base + "/sns/jscode2session", params={**args, "js_code": "ok-w"}, timeout=5).json()["openid"]
    assert requests.get(base + "/sns/jscode2session", params={**args, "js_code": "ok-w"},
                        timeout=5).json() == {"errcode": 40163, "errmsg": "code been used"}
    assert requests.get(base + "/sns/jscode2session", params={**args, "js_code": "bad"},
                        timeout=5).json() == {"errcode": 40029, "errmsg": "invalid code"}
    wechat_sim.fault("rate_limit", count=1)
    assert requests.get(base + "/sns/jscode2session", params={**args, "js_code": "ok-v"},
                        timeout=5).json()["errcode"] == 45011
