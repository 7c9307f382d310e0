"""Subscribe grants follow WeChat's message push (POST /api/v1/wechat/mini/events): the pop-up's accept
adds a grant, a reject in the settings page removes them, each sent event confirms or uses one; the
app's POST /me/subscriptions is a hint only and never counts a tap twice."""
from __future__ import annotations

import base64
import os

import pytest
from sqlalchemy import select

from server.core.models import SubscriptionGrant
from server.tasks.worker import run_once
from tests.core.notifications.helpers import (
    CONSUMER_OPENID,
    file_and_forward,
    give_identities,
    push_event,
    rows,
)
from tests.simulators import fixtures

wechat_sim = fixtures.wechat_sim

AES_KEY = base64.b64encode(os.urandom(32)).decode().rstrip("=")
FORWARDED = "wx-sub-forwarded-dev"


@pytest.fixture
def settings_overrides(settings_overrides):
    return {**settings_overrides, "WECHAT_MINI_PUSH_TOKEN": "push-token-grants", "WECHAT_MINI_PUSH_AES_KEY": AES_KEY}


def remaining(db, user_id, template_id=FORWARDED):
    with db.session() as s:
        return s.execute(select(SubscriptionGrant.remaining).where(
            SubscriptionGrant.user_id == user_id, SubscriptionGrant.channel == "wechat",
            SubscriptionGrant.template_id == template_id)).scalar_one_or_none() or 0


def popup(client, status="accept", template_id=FORWARDED, **kw):
    return push_event(client, "subscribe_msg_popup_event", CONSUMER_OPENID,
                      [{"TemplateId": template_id, "SubscribeStatusString": status, "PopupScene": "0"}], **kw)


def hint(client, consumer, accepted=(FORWARDED,)):
    r = client.post("/api/v1/me/subscriptions", headers=consumer.headers, json={
        "channel": "wechat", "template_ids": [FORWARDED], "accepted": list(accepted)})
    assert r.status_code == 204


@pytest.fixture
def live_server_url(app):
    from server.simulators.runner import start_in_thread

    base_url, shutdown = start_in_thread(app)
    yield base_url
    shutdown()


@pytest.fixture
def consumer(auth, db):
    login = auth.consumer()
    give_identities(db, login.user_id, alipay=None)
    return login


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("safe", [False, True])
def test_popup_accept_adds_a_grant_in_every_format(client, db, consumer, fmt, safe):
    popup(client, fmt=fmt, aes_key=AES_KEY if safe else None)
    assert remaining(db, consumer.user_id) == 1
    popup(client, status="reject", fmt=fmt, aes_key=AES_KEY if safe else None)
    assert remaining(db, consumer.user_id) == 1  # a reject in the pop-up takes nothing back
    popup(client, template_id="not-our-template", fmt=fmt)
    assert remaining(db, consumer.user_id, "not-our-template") == 0


def test_the_hint_does_not_count_twice(client, db, consumer):
    hint(client, consumer)  # the app reports the tap ...
    assert remaining(db, consumer.user_id) == 0
    popup(client)  # ... and WeChat pushes the same tap: one grant
    hint(client, consumer)
    assert remaining(db, consumer.user_id) == 1


def test_change_event_reject_removes_the_grants(client, db, consumer):
    popup(client)
    popup(client)
    assert remaining(db, consumer.user_id) == 2
    push_event(client, "subscribe_msg_change_event", CONSUMER_OPENID,
               [{"TemplateId": FORWARDED, "SubscribeStatusString": "reject"}], fmt="xml")
    assert remaining(db, consumer.user_id) == 0


def test_our_send_uses_the_grant_and_its_sent_event_confirms_it(client, auth, db, settings, consumer, wechat_sim):
    owner, biz = auth.business()
    mediator = auth.mediator("1101")
    popup(client)
    popup(client)
    file_and_forward(client, consumer, mediator, biz["id"])
    run_once(db, {**settings, "WECHAT_API_BASE_URL": wechat_sim.base_url})
    [sent] = [m for m in wechat_sim.messages() if m["kind"] == "subscribe"]
    assert remaining(db, consumer.user_id) == 1  # the send used one
    # WeChat's result of that send (its msgid is on our row): confirmed, not used a second time.
    push_event(client, "subscribe_msg_sent_event", CONSUMER_OPENID, [
        {"TemplateId": FORWARDED, "MsgID": str(sent["msgid"]), "ErrorCode": "0", "ErrorStatus": "success"}])
    assert remaining(db, consumer.user_id) == 1
    # A message we did not send (another system on the same app) used one of the user's grants.
    push_event(client, "subscribe_msg_sent_event", CONSUMER_OPENID, [
        {"TemplateId": FORWARDED, "MsgID": "987654321", "ErrorCode": "0", "ErrorStatus": "success"}], fmt="xml")
    assert remaining(db, consumer.user_id) == 0


def test_a_failed_sent_event_leaves_no_grant(client, db, consumer):
    popup(client)
    popup(client)
    push_event(client, "subscribe_msg_sent_event", CONSUMER_OPENID, [
        {"TemplateId": FORWARDED, "MsgID": "1", "ErrorCode": "43101", "ErrorStatus": "fail:user refuse to accept"}])
    assert remaining(db, consumer.user_id) == 0


def test_simulated_tap_and_sent_events_through_the_simulator(client, auth, db, settings, consumer, wechat_sim,
                                                             live_server_url):
    """The simulator plays the pop-up and, after the send, the sent event, to the app's push URL."""
    owner, biz = auth.business()
    mediator = auth.mediator("1101")
    push = {"url": live_server_url + "/api/v1/wechat/mini/events", "token": "push-token-grants",
            "aes_key": AES_KEY, "appid": settings["WECHAT_MINI_APPID"], "format": "xml", "sent_events": True}
    wechat_sim.post("/_sim/moderation", {"push": push})
    wechat_sim.post("/_sim/subscribe", {"openid": CONSUMER_OPENID, "templates": {FORWARDED: "accept"}})
    assert remaining(db, consumer.user_id) == 1
    file_and_forward(client, consumer, mediator, biz["id"])
    run_once(db, {**settings, "WECHAT_API_BASE_URL": wechat_sim.base_url})
    assert [r.send_state for r in rows(db, channel="wechat_subscribe")] == ["sent"]
    import time

    for _ in range(100):
        if any(p["event"] == "subscribe_msg_sent_event" for p in wechat_sim.get("/_sim/pushes")):
            break
        time.sleep(0.05)
    assert [p["status"] for p in wechat_sim.get("/_sim/pushes")] == [200, 200]
    assert remaining(db, consumer.user_id) == 0  # used once by the send, not again by its sent event
