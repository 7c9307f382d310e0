"""Shared set-up: parties with WeChat/Alipay identities and bound OA openids, a complaint to move, and
webhooks pointed at the test receiver."""
from __future__ import annotations

import time

from sqlalchemy import select, update

from server.core.models import BusinessMember, Identity, Notification
from tests.core.notifications.receiver import Receiver
from tests.factories import complaint_body

CONSUMER_OPENID = "o-consumer-wx-0001"
CONSUMER_ALIPAY = "2088000000000001"
OWNER_OA_OPENID = "o-owner-oa-0001"


def give_identities(db, user_id: int, wechat: str | None = CONSUMER_OPENID, alipay: str | None = CONSUMER_ALIPAY):
    with db.session() as s:
        if wechat:
            s.add(Identity(user_id=user_id, provider="wechat_mini", subject=wechat))
        if alipay:
            s.add(Identity(user_id=user_id, provider="alipay", subject=alipay))
        s.commit()


def bind_oa(db, user_id: int, openid: str = OWNER_OA_OPENID):
    with db.session() as s:
        s.execute(update(BusinessMember).where(BusinessMember.user_id == user_id).values(oa_openid=openid))
        s.commit()


def complaint_parties(auth):
    """Who a forwarded complaint involves: a business owner and the business, a consumer to file and a
    mediator of region 1101 to forward it (created in that order)."""
    owner, biz = auth.business()
    return owner, biz, auth.consumer(), auth.mediator("1101")


def file_and_forward(client, consumer, mediator, business_id):
    r = client.post("/api/v1/complaints", headers=consumer.headers, json=complaint_body(business_id))
    assert r.status_code == 201, r.get_json()
    cid = r.get_json()["id"]
    r = client.post(f"/api/v1/complaints/{cid}/transitions", headers=mediator.headers, json={"action": "accept"})
    assert r.status_code == 200 and r.get_json()["status"] == "forwarded", r.get_json()
    return cid


def act(client, who, cid, action, **fields):
    r = client.post(f"/api/v1/complaints/{cid}/transitions", headers=who.headers, json={"action": action, **fields})
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def rows(db, **where) -> list[Notification]:
    with db.session() as s:
        stmt = select(Notification).order_by(Notification.id)
        for key, value in where.items():
            stmt = stmt.where(getattr(Notification, key) == value)
        return list(s.execute(stmt).scalars())


def grant(client, login, channel: str, *template_ids: str, accepted=None):
    """One tap on the subscribe pop-up: the app's report (POST /me/subscriptions) and, for WeChat with the
    message push configured, the subscribe_msg_popup_event WeChat pushes for the same tap (which is what
    counts; the report is a hint)."""
    accepted = list(template_ids if accepted is None else accepted)
    r = client.post("/api/v1/me/subscriptions", headers=login.headers, json={
        "channel": channel, "template_ids": list(template_ids), "accepted": accepted})
    assert r.status_code == 204, r.get_json()
    settings = client.application.config["SMART315"]
    if channel == "wechat" and settings["WECHAT_MINI_PUSH_TOKEN"]:
        statuses = {t: ("accept" if t in accepted else "reject") for t in template_ids}
        for openid in wechat_openids(client, login.user_id):
            push_event(client, "subscribe_msg_popup_event", openid, [
                {"TemplateId": t, "SubscribeStatusString": st, "PopupScene": "0"} for t, st in statuses.items()])


def wechat_openids(client, user_id: int) -> list[str]:
    db = client.application.extensions["smart315.db"]
    with db.session() as s:
        return list(s.execute(select(Identity.subject).where(
            Identity.user_id == user_id, Identity.provider == "wechat_mini")).scalars())


def push_event(client, event_name: str, openid: str, entries: list[dict], fmt: str = "json",
               aes_key: str | None = None):
    """POST one subscribe_msg_* event to the message-push URL as WeChat sends it (signed with the
    configured token; XML puts the List inside its wrapper)."""
    from server.simulators.wechat import build_mini_push

    settings = client.application.config["SMART315"]
    wrapper = {"subscribe_msg_popup_event": "SubscribeMsgPopupEvent",
               "subscribe_msg_change_event": "SubscribeMsgChangeEvent",
               "subscribe_msg_sent_event": "SubscribeMsgSentEvent"}[event_name]
    event = {"ToUserName": "gh_test", "FromUserName": openid, "CreateTime": int(time.time()), "MsgType": "event",
             "Event": event_name}
    if fmt == "xml":
        event[wrapper] = {"List": entries}
    else:
        event["List"] = entries
    args, body, ctype = build_mini_push(settings["WECHAT_MINI_PUSH_TOKEN"], event, fmt=fmt, aes_key=aes_key,
                                        appid=settings["WECHAT_MINI_APPID"])
    r = client.post("/api/v1/wechat/mini/events", query_string=args, data=body, headers={"Content-Type": ctype})
    assert r.status_code == 200 and r.data == b"success", r.data
    return r


def add_webhook(client, owner, business_id, url, events=None):
    r = client.post(f"/api/v1/businesses/{business_id}/webhooks", headers=owner.headers,
                    json={"url": url, "events": events or []})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def add_receiver_webhook(client, owner, business_id, rec: Receiver, events=None):
    """A webhook of the business pointed at the running receiver `rec`, whose secret `rec` is given so
    that it counts the signed deliveries as verified. Returns the webhook."""
    hook = add_webhook(client, owner, business_id, rec.hook_url, events)
    rec.secrets.append(hook["secret"])
    return hook
