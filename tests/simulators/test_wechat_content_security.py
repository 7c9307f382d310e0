"""The WeChat simulator's content-security endpoints, on the wire: msg_sec_check v1/v2, media_check_async and
the signed wxa_media_check push it delivers by itself (auto) to a message-push URL."""
from __future__ import annotations

import threading

import requests
from flask import Flask, request

from server.config import load_config
from server.core.moderation.push import MiniPush
from server.simulators.runner import start_in_thread
from tests.simulators.fixtures import wechat_sim  # noqa: F401


def token(sim) -> str:
    cfg = sim.settings
    return requests.get(sim.base_url + "/cgi-bin/token", params={
        "grant_type": "client_credential", "appid": cfg["WECHAT_MINI_APPID"], "secret": cfg["WECHAT_MINI_SECRET"]},
        timeout=5).json()["access_token"]


def test_msg_sec_check_v1_and_v2_and_argument_errors(wechat_sim):  # noqa: F811
    url = wechat_sim.base_url + "/wxa/msg_sec_check"
    t = token(wechat_sim)
    assert requests.post(url, params={"access_token": t}, json={"content": "违禁词"}, timeout=5).json()["errcode"] == 87014
    v2 = requests.post(url, params={"access_token": t}, timeout=5,
                       json={"content": "有违禁词", "version": 2, "scene": 2, "openid": "oabc"}).json()
    assert v2["errcode"] == 0 and v2["result"]["suggest"] == "risky" and v2["detail"][-1]["keyword"] == "违禁词"
    assert requests.post(url, params={"access_token": t}, timeout=5,
                         json={"content": "x", "version": 2, "scene": 2}).json()["errcode"] == 40003
    assert requests.post(url, params={"access_token": "bad"}, timeout=5,
                         json={"content": "x", "version": 2, "scene": 2, "openid": "o1"}).json()["errcode"] == 40001
    wechat_sim.post("/_sim/moderation", {"risky_words": ["新词"], "review_words": []})
    v2 = requests.post(url, params={"access_token": t}, timeout=5,
                       json={"content": "新词和违禁词", "version": 2, "scene": 1, "openid": "oabc"}).json()
    assert v2["result"]["suggest"] == "risky" and v2["detail"][-1]["keyword"] == "新词"


def test_media_check_async_pushes_a_signed_event_by_itself(wechat_sim):  # noqa: F811
    got: list[dict] = []
    arrived = threading.Event()
    receiver = Flask("receiver")
    push = MiniPush(load_config({"WECHAT_MINI_PUSH_TOKEN": "tok", "WECHAT_MINI_APPID": "wx-mini-dev-appid",
                                 "WECHAT_MINI_PUSH_AES_KEY": "a" * 43}, environ={}))

    @receiver.post("/events")
    def events():
        got.append(push.parse(request.get_data(), request.args.to_dict()))
        arrived.set()
        return "success"

    base, stop = start_in_thread(receiver)
    try:
        wechat_sim.post("/_sim/moderation", {"media_verdict": {"suggest": "risky", "label": 20002}, "push": {
            "url": base + "/events", "token": "tok", "aes_key": "a" * 43, "format": "xml", "auto": True,
            "delay": 0.05}})
        res = requests.post(wechat_sim.base_url + "/wxa/media_check_async", params={"access_token": token(wechat_sim)},
                            json={"media_url": "https://x.invalid/1.png", "media_type": 2, "version": 2, "scene": 3,
                                  "openid": "oabc"}, timeout=5).json()
        assert res["errcode"] == 0 and res["trace_id"]
        assert arrived.wait(10)
        event = got[0]
        assert event["Event"] == "wxa_media_check" and event["trace_id"] == res["trace_id"]
        assert event["result"]["suggest"] == "risky"
    finally:
        stop()
