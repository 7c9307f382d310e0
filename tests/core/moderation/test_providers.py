"""The moderation providers: local word list, and WeChat through the real wechatpy client against the simulator."""
from __future__ import annotations

import pytest

from server.core.errors import ContentRejected
from server.core.identity.providers.wechat import WeChatMini
from server.core.moderation import check_text, enforce, provider_name
from server.core.moderation.local import LocalModeration, build_automaton, normalize, parse_words
from server.core.moderation.wechat import ModerationUnavailable, WeChatModeration
from server.simulators.wechat import openid_for
from tests.simulators import fixtures

wechat_sim = fixtures.wechat_sim


def test_local_list_verdicts_and_normalisation():
    local = LocalModeration()
    assert local.check_text("购买的手机屏幕有坏点，商家拒绝退货").verdict == "pass"
    v = local.check_text("店里贴着网络赌博的广告")
    assert (v.verdict, v.label, v.provider) == ("risky", "违法犯罪", "local")
    assert local.check_text("对方疑似传销组织").verdict == "review"
    # Spaces, punctuation and full-width forms do not hide a word; the worst match wins.
    assert normalize("网 络-赌　博") == "网络赌博"
    assert local.check_text("ＳＢ网 络·赌 博").verdict == "risky"
    assert local.check_text("传销，还有网络赌博").verdict == "risky"


def test_a_word_file_of_ones_own():
    auto = build_automaton(parse_words(["# comment", "坏词\trisky\t辱骂", "看看\treview\t其他", "", "坏词\treview"]))
    local = LocalModeration(automaton=auto)
    assert local.check_text("这是坏词").verdict == "risky"  # the stricter entry of a repeated word stays
    assert local.check_text("看 看").verdict == "review"


def test_provider_setting_and_off():
    assert provider_name({}) == "local"
    assert provider_name({"MODERATION_PROVIDER": "nonsense"}) == "local"
    v = check_text("网络赌博", user=None, scene="message", settings={"MODERATION_PROVIDER": "off"})
    assert v.verdict == "pass" and v.provider == "off"
    with pytest.raises(ContentRejected) as exc:
        enforce(check_text("网络赌博", user=None, scene="message", settings={"MODERATION_PROVIDER": "wechat"}))
    assert exc.value.status == 422 and exc.value.extra["provider"] == "local"  # no user, no openid: local


@pytest.fixture
def wx(wechat_sim):
    return WeChatModeration(WeChatMini(wechat_sim.settings))


def test_msg_sec_check_v2_through_wechatpy(wx, wechat_sim):
    openid = openid_for(wechat_sim.settings["WECHAT_MINI_APPID"], "amy")
    assert wx.check_text("商家不给退货", openid, "forum").verdict == "pass"
    v = wx.check_text("他说了违禁词", openid, "comment")
    assert (v.verdict, v.label, v.provider) == ("risky", "违法犯罪", "wechat")
    assert wx.check_text("疑似传销", openid, "comment").verdict == "review"
    calls = wechat_sim.get("/_sim/sec_checks")
    assert [c["scene"] for c in calls] == [3, 2, 2] and {c["version"] for c in calls} == {2}
    assert {c["openid"] for c in calls} == {openid}
    # The access token was fetched once, by wechatpy, and reused.
    assert wechat_sim.stats()["token"] == 1
    # An expired token is refreshed once, transparently.
    wechat_sim.post("/_sim/expire_tokens")
    assert wx.check_text("商家不给退货", openid, "forum").verdict == "pass"
    assert wechat_sim.stats()["token"] == 2


def test_msg_sec_check_failures_are_unavailable_not_errors(wx, wechat_sim):
    openid = openid_for(wechat_sim.settings["WECHAT_MINI_APPID"], "bob")
    wechat_sim.post("/_sim/moderation", {"inactive": [openid]})
    with pytest.raises(ModerationUnavailable) as exc:
        wx.check_text("商家不给退货", openid, "forum")
    assert exc.value.errcode == 61010
    wechat_sim.post("/_sim/moderation", {"inactive": []})
    for mode, code in (("rate_limit", 45011), ("busy", -1), ("down", None), ("garbage", None)):
        wechat_sim.fault(mode, count=1, paths=["/wxa/"])
        with pytest.raises(ModerationUnavailable) as exc:
            wx.check_text("商家不给退货", openid, "forum")
        assert exc.value.errcode == code, mode


def test_media_check_async_answers_a_trace_id(wx, wechat_sim):
    openid = openid_for(wechat_sim.settings["WECHAT_MINI_APPID"], "cat")
    trace_id = wx.check_media_async("https://example.invalid/m/1.png", openid)
    check = wechat_sim.get("/_sim/media_checks")[trace_id]
    assert (check["media_type"], check["scene"], check["openid"]) == (2, 3, openid)
    with pytest.raises(ModerationUnavailable):
        wx.check_media_async("not-a-url", openid)
