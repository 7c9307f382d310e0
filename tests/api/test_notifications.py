"""Notifications through the API: the outbox rows a lifecycle writes, delivery to the real SDKs'
simulators and a real signed-webhook receiver, the inbox, grants and the client configuration."""
from __future__ import annotations

from datetime import timedelta

from server.core.models import utcnow
from server.tasks.worker import run_once
from tests.core.notifications.helpers import (
    CONSUMER_ALIPAY,
    CONSUMER_OPENID,
    OWNER_OA_OPENID,
    act,
    add_webhook,
    bind_oa,
    file_and_forward,
    give_identities,
    grant,
    rows,
)
from tests.core.notifications.receiver import running_receiver
from tests.simulators import fixtures

# pytest finds fixtures by module attribute; these come from the shared simulator fixtures.
alipay_keys = fixtures.alipay_keys
alipay_sim = fixtures.alipay_sim
wechat_sim = fixtures.wechat_sim


def _setup(client, auth, db):
    owner, biz = auth.business()
    consumer = auth.consumer()
    mediator = auth.mediator("1101")
    give_identities(db, consumer.user_id)
    bind_oa(db, owner.user_id)
    return owner, biz, consumer, mediator


SIM_KEYS = ("WECHAT_API_BASE_URL", "WECHAT_TIMEOUT_SECONDS", "ALIPAY_GATEWAY_URL", "ALIPAY_APP_PRIVATE_KEY_FILE",
            "ALIPAY_PUBLIC_KEY_FILE", "ALIPAY_TIMEOUT_SECONDS")


def _worker_settings(settings, *sims, **extra):
    """The app's settings pointed at the simulators, with quick retries unless told otherwise."""
    merged = dict(settings)
    for sim in sims:
        merged.update({k: sim.settings[k] for k in SIM_KEYS if sim.settings.get(k) and sim.settings[k] != settings.get(k)})
    merged.update(NOTIFY_BACKOFF_BASE_SECONDS=0.01, NOTIFY_BACKOFF_MAX_SECONDS=0.02)
    merged.update(extra)
    return merged


def test_one_event_writes_one_row_per_recipient_and_channel(client, auth, db, settings):
    with running_receiver() as rec:
        owner, biz, consumer, mediator = _setup(client, auth, db)
        hook = add_webhook(client, owner, biz["id"], rec.hook_url)
        cid = file_and_forward(client, consumer, mediator, biz["id"])
    got = {(r.channel, r.recipient_id, r.target) for r in rows(db, event_type="complaint.forwarded")}
    assert got == {
        ("inbox", consumer.user_id, None), ("inbox", owner.user_id, None),
        ("wechat_subscribe", consumer.user_id, CONSUMER_OPENID), ("alipay", consumer.user_id, CONSUMER_ALIPAY),
        ("wechat_template", owner.user_id, OWNER_OA_OPENID), ("webhook", None, str(hook["id"])),
    }
    forwarded = rows(db, event_type="complaint.forwarded")
    assert len({r.dedupe_key for r in forwarded}) == len(forwarded) == 6
    assert all(r.complaint_id == cid for r in forwarded)
    # The inbox rows are delivered by being written; the others wait for the worker.
    assert {r.channel for r in forwarded if r.send_state == "sent"} == {"inbox"}
    # A message from the consumer reaches the business, not its author.
    r = client.post(f"/api/v1/complaints/{cid}/messages", headers=consumer.headers, json={"body": "请尽快处理"})
    assert r.status_code == 201, r.get_json()
    msg_rows = rows(db, event_type="message.created")
    assert consumer.user_id not in {r.recipient_id for r in msg_rows}
    assert {r.channel for r in msg_rows} == {"inbox", "wechat_template", "webhook"}


def test_lifecycle_reaches_wechat_alipay_oa_webhook_and_inbox(client, auth, db, settings, wechat_sim, alipay_sim):
    owner, biz, consumer, mediator = _setup(client, auth, db)
    wx_sub = settings["WECHAT_SUBSCRIBE_TEMPLATES"]
    ali_sub = settings["ALIPAY_SUBSCRIBE_TEMPLATES"]
    # The consumer granted "forwarded" and "responded" in WeChat, only "responded" in Alipay.
    grant(client, consumer, "wechat", wx_sub["complaint.forwarded"], wx_sub["complaint.responded"])
    grant(client, consumer, "alipay", ali_sub["complaint.responded"])
    with running_receiver() as rec:
        hook = add_webhook(client, owner, biz["id"], rec.hook_url)
        rec.secrets.append(hook["secret"])
        cid = file_and_forward(client, consumer, mediator, biz["id"])
        act(client, owner, cid, "respond", note="同意退货退款")
        wsettings = _worker_settings(settings, wechat_sim, alipay_sim)
        counts = run_once(db, wsettings)
        assert counts["claimed"] == counts.get("sent", 0) + counts.get("skipped", 0), \
            [(r.channel, r.send_state, r.last_error) for r in rows(db) if r.channel != "inbox"]
        # Webhook: both business events (forwarded; responded is not a business event), signed, exact shape.
        [delivery] = rec.verified()
        assert delivery["event"] == "complaint.forwarded"
        assert set(delivery["body"]) == {"id", "type", "created_at", "data"}
        assert delivery["body"]["id"] == delivery["delivery"] and delivery["body"]["data"]["complaint_id"] == cid

    sent = wechat_sim.messages()
    subs = [m for m in sent if m["kind"] == "subscribe"]
    assert sorted((m["touser"], m["template_id"]) for m in subs) == sorted([
        (CONSUMER_OPENID, wx_sub["complaint.forwarded"]), (CONSUMER_OPENID, wx_sub["complaint.responded"])])
    assert all(m["page"] == f"pages/complaint/detail?id={cid}" for m in subs)
    [oa] = [m for m in sent if m["kind"] == "template"]
    assert oa["touser"] == OWNER_OA_OPENID and oa["template_id"] == settings["WECHAT_OA_TEMPLATES"]["complaint.forwarded"]
    assert oa["miniprogram"] == {"appid": settings["WECHAT_MINI_APPID"], "pagepath": f"pages/complaint/detail?id={cid}"}
    [ali] = alipay_sim.messages()
    assert ali["to"] == CONSUMER_ALIPAY and ali["template_id"] == ali_sub["complaint.responded"]
    assert ali["page"] == f"pages/complaint/detail?id={cid}"
    # Alipay "forwarded" had no grant: skipped with the reason, not sent.
    [skipped] = rows(db, channel="alipay", event_type="complaint.forwarded")
    assert skipped.send_state == "skipped" and "grant" in skipped.last_error
    # Grants were used up: another responded-type event would now be skipped.
    again = run_once(db, wsettings)
    assert again["claimed"] == 0
    # Both inboxes.
    mine = client.get("/api/v1/notifications", headers=consumer.headers).get_json()
    assert [n["type"] for n in mine["items"]] == ["complaint.responded", "complaint.forwarded"]
    assert mine["unread"] == 2 and mine["items"][0]["complaint_id"] == cid
    theirs = client.get("/api/v1/notifications", headers=owner.headers).get_json()
    assert [n["type"] for n in theirs["items"]] == ["complaint.forwarded"]


def test_each_send_uses_one_grant(client, auth, db, settings, wechat_sim):
    owner, biz, consumer, mediator = _setup(client, auth, db)
    template = settings["WECHAT_SUBSCRIBE_TEMPLATES"]["message.created"]
    grant(client, consumer, "wechat", template)  # one acceptance = one message
    cid = file_and_forward(client, consumer, mediator, biz["id"])
    for text in ("第一条留言", "第二条留言"):
        r = client.post(f"/api/v1/complaints/{cid}/messages", headers=owner.headers, json={"body": text})
        assert r.status_code == 201, r.get_json()
    run_once(db, _worker_settings(settings, wechat_sim))
    got = [m for m in wechat_sim.messages() if m["kind"] == "subscribe"]
    assert len(got) == 1 and got[0]["template_id"] == template
    states = sorted(r.send_state for r in rows(db, channel="wechat_subscribe", event_type="message.created"))
    assert states == ["sent", "skipped"]


def test_refused_is_final_and_busy_is_retried(client, auth, db, settings, wechat_sim):
    owner, biz, consumer, mediator = _setup(client, auth, db)
    wx_sub = settings["WECHAT_SUBSCRIBE_TEMPLATES"]
    grant(client, consumer, "wechat", wx_sub["complaint.forwarded"], wx_sub["complaint.responded"])
    wechat_sim.post("/_sim/refuse", {"openid": CONSUMER_OPENID, "template_id": wx_sub["complaint.forwarded"]})
    wechat_sim.fault("busy", count=1, paths=["/cgi-bin/message/template"])
    file_and_forward(client, consumer, mediator, biz["id"])
    wsettings = _worker_settings(settings, wechat_sim, NOTIFY_BACKOFF_BASE_SECONDS=60, NOTIFY_BACKOFF_MAX_SECONDS=60)
    run_once(db, wsettings)
    [refused] = rows(db, channel="wechat_subscribe")
    assert refused.send_state == "failed" and "43101" in refused.last_error
    [oa] = rows(db, channel="wechat_template")
    assert oa.send_state == "pending" and oa.attempts == 1 and "-1" in oa.last_error
    assert oa.next_attempt_at > utcnow() + timedelta(seconds=25)  # backoff with jitter: 30..60 s
    # Later the row is due again and goes through; the refused one stays final.
    run_once(db, wsettings, now=utcnow() + timedelta(seconds=61))
    [oa] = rows(db, channel="wechat_template")
    assert oa.send_state == "sent" and oa.attempts == 2
    assert [m["kind"] for m in wechat_sim.messages()] == ["template"]
    assert rows(db, channel="wechat_subscribe")[0].send_state == "failed"


def test_inbox_pages_marks_read_and_hides_others(client, auth, db):
    owner, biz, consumer, mediator = _setup(client, auth, db)
    cid = file_and_forward(client, consumer, mediator, biz["id"])
    act(client, owner, cid, "respond", note="同意退款")
    page = client.get("/api/v1/notifications?per_page=1", headers=consumer.headers).get_json()
    assert page["total"] == 2 and len(page["items"]) == 1 and page["unread"] == 2
    nid = page["items"][0]["id"]
    stranger = auth.consumer(name="路人")
    assert client.post(f"/api/v1/notifications/{nid}/read", headers=stranger.headers).status_code == 404
    assert client.post(f"/api/v1/notifications/{nid}/read", headers=consumer.headers).status_code == 204
    unread = client.get("/api/v1/notifications?unread=true", headers=consumer.headers).get_json()
    assert unread["total"] == 1 and nid not in [n["id"] for n in unread["items"]]
    read = client.get("/api/v1/notifications", headers=consumer.headers).get_json()
    assert [n["read"] for n in read["items"] if n["id"] == nid] == [True]
    assert client.get("/api/v1/notifications").status_code == 401


def test_client_config_hands_out_subscribe_templates_without_auth(client, settings):
    r = client.get("/api/v1/client-config")
    assert r.status_code == 200
    assert r.get_json() == {"wechat": {"subscribe_templates": settings["WECHAT_SUBSCRIBE_TEMPLATES"]},
                            "alipay": {"subscribe_templates": settings["ALIPAY_SUBSCRIBE_TEMPLATES"]}}


def test_subscriptions_validate_and_accumulate(client, auth, db, settings):
    from sqlalchemy import select

    from server.core.models import SubscriptionGrant

    consumer = auth.consumer()
    give_identities(db, consumer.user_id, alipay=None)  # the pop-up's push events name the openid
    t = settings["WECHAT_SUBSCRIBE_TEMPLATES"]["complaint.resolved"]
    grant(client, consumer, "wechat", t)
    grant(client, consumer, "wechat", t, "wx-unknown-template", accepted=[t, "wx-unknown-template"])
    grant(client, consumer, "wechat", t, accepted=[])  # rejected this time: nothing added, nothing taken
    r = client.post("/api/v1/me/subscriptions", headers=consumer.headers,
                    json={"channel": "wechat", "template_ids": [], "accepted": [t]})
    assert r.status_code == 422
    r = client.post("/api/v1/me/subscriptions", headers=consumer.headers,
                    json={"channel": "sms", "template_ids": [t], "accepted": [t]})
    assert r.status_code == 422
    with db.session() as s:
        grants = s.execute(select(SubscriptionGrant.template_id, SubscriptionGrant.remaining)
                           .where(SubscriptionGrant.user_id == consumer.user_id)).all()
    assert grants == [(t, 2)]
