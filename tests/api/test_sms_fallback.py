"""SMS_FALLBACK: a consumer with no subscribe grant left and a bound phone hears of the outcome events
by SMS, once per event however many mini-program channels found no grant, and never by both."""
from __future__ import annotations

import itertools

from server.tasks.worker import run_once
from tests.core.notifications.helpers import act, file_and_forward, give_identities, grant, rows
from tests.simulators import fixtures

wechat_sim = fixtures.wechat_sim
alipay_keys = fixtures.alipay_keys
alipay_sim = fixtures.alipay_sim
sms_sim = fixtures.sms_sim

PHONE = "13800138000"


def _worker(settings, *sims):
    from server.config import defaults

    plain, merged = defaults(), dict(settings)
    for sim in sims:  # what each simulator's settings change: its URL, keys and provider
        merged.update({k: v for k, v in sim.settings.items() if v != plain[k]})
    merged.update(NOTIFY_BACKOFF_BASE_SECONDS=0.01, NOTIFY_BACKOFF_MAX_SECONDS=0.02)
    return merged


_MEDIATORS = itertools.count(1)


def _respond(client, auth, db, consumer):
    owner, biz = auth.business()
    mediator = auth.mediator("1101", username=f"mediator1101x{next(_MEDIATORS)}")
    cid = file_and_forward(client, consumer, mediator, biz["id"])
    act(client, owner, cid, "respond", note="同意退款")
    return cid


def test_no_grant_left_sends_one_sms_naming_the_public_number(client, auth, db, settings, wechat_sim, alipay_sim,
                                                               sms_sim):
    consumer = auth.consumer(phone=PHONE)
    give_identities(db, consumer.user_id)  # WeChat and Alipay: neither has a grant
    cid = _respond(client, auth, db, consumer)
    worker = _worker(settings, wechat_sim, alipay_sim, sms_sim)
    run_once(db, worker)
    run_once(db, worker)  # the sms row written by the senders that found no grant
    public_no = client.get(f"/api/v1/complaints/{cid}", headers=consumer.headers).get_json()["public_no"]
    sent = sms_sim.get(f"/_sim/sms?phone={PHONE}")
    assert len(sent) == 1, sent
    assert sent[0]["template_code"] == settings["SMS_NOTIFY_TEMPLATE_CODE"]
    assert sent[0]["params"] == {"public_no": public_no, "event": "商家已回复"}
    [sms_row] = rows(db, channel="sms")
    assert sms_row.event_type == "complaint.responded" and sms_row.send_state == "sent"
    assert wechat_sim.messages() == [] and alipay_sim.get("/_sim/messages") == []
    # complaint.forwarded is not an SMS event.
    assert {r.event_type for r in rows(db, channel="sms")} == {"complaint.responded"}


def test_a_grant_means_a_subscribe_message_and_no_sms(client, auth, db, settings, wechat_sim, sms_sim):
    consumer = auth.consumer(phone=PHONE)
    give_identities(db, consumer.user_id, alipay=None)
    grant(client, consumer, "wechat", settings["WECHAT_SUBSCRIBE_TEMPLATES"]["complaint.responded"])
    _respond(client, auth, db, consumer)
    worker = _worker(settings, wechat_sim, sms_sim)
    run_once(db, worker)
    run_once(db, worker)
    assert [m["template_id"] for m in wechat_sim.messages() if m["kind"] == "subscribe"] == [
        settings["WECHAT_SUBSCRIBE_TEMPLATES"]["complaint.responded"]]
    assert sms_sim.get(f"/_sim/sms?phone={PHONE}") == [] and rows(db, channel="sms") == []


def test_a_consumer_signed_in_on_the_web_gets_the_sms_at_once(client, auth, db, settings, sms_sim):
    consumer = auth.consumer(phone=PHONE)  # no mini-program identity
    _respond(client, auth, db, consumer)
    [row] = rows(db, channel="sms")
    assert row.recipient_id == consumer.user_id and row.event_type == "complaint.responded"
    run_once(db, _worker(settings, sms_sim))
    assert len(sms_sim.get(f"/_sim/sms?phone={PHONE}")) == 1


def test_no_phone_or_fallback_off_means_no_sms(client, auth, db, settings, wechat_sim, sms_sim):
    consumer = auth.consumer()  # no phone
    give_identities(db, consumer.user_id, alipay=None)
    _respond(client, auth, db, consumer)
    run_once(db, _worker(settings, wechat_sim, sms_sim))
    assert rows(db, channel="sms") == []
    settings["SMS_FALLBACK"] = False
    other = auth.consumer("李四", phone="13900139000")
    _respond(client, auth, db, other)
    assert rows(db, channel="sms") == []

