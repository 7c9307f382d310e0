"""A fixture world with one of everything, built through the real API, for the authorization matrix.

Roles (each a signed-in account, or none):
  anonymous       no credentials
  consumer        files the complaint, uploads the evidence, owns the inbox notification
  other_consumer  another consumer, with a complaint of their own against the other business
  staff           owner of business X (the business complained about)
  other_staff     owner of business Y (an unrelated business in another region)
  mediator_in     mediator for region 1101 (X and the complaint are in 110105)
  mediator_out    mediator for region 3101
  admin           platform administrator

Objects: business X (verified, 110105), business Y (verified, 310101), business P (pending, 110105),
complaint C (consumer -> X, forwarded to X, with a message and an attachment), complaint D
(other_consumer -> Y), an API key and a webhook of X (with a delivery row), the consumer's inbox
notification, a published monthly disclosure (2026-10).
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from PIL import Image
from sqlalchemy import select

from tests.factories import AuthActions, Login, complaint_body

ROLES = ("anonymous", "consumer", "other_consumer", "staff", "other_staff", "mediator_in", "mediator_out", "admin")

CONSUMER_PHONE = "13812345678"
OTHER_PHONE = "13987654321"


def png_bytes(size: int = 16) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (size, size), (30, 120, 200)).save(buf, "PNG")
    return buf.getvalue()


@dataclass
class World:
    logins: dict[str, Login | None]
    business_x: int
    business_y: int
    business_pending: int
    complaint: int
    other_complaint: int
    upload: str
    api_key_x: int
    api_key_raw: str
    webhook_x: int
    delivery_ref: str
    notification: int
    industry_name: str = ""
    disclosure_period: str = ""
    index_weights: dict | None = None

    def headers(self, role: str) -> dict[str, str]:
        login = self.logins[role]
        return {} if login is None else dict(login.headers)

    @property
    def other_consumer_id(self) -> int:  # an account for admin operations on users (sessions helper)
        return self.logins["other_consumer"].user_id


def _ok(r, status=(200, 201, 204)):
    assert r.status_code in status, (r.status_code, r.get_json(silent=True))
    return r.get_json(silent=True)


def _staff(auth: AuthActions, kind: str, username: str, region: str | None) -> Login:
    from server.core.models import User

    with auth.db.session() as s:
        user = User(kind=kind, username=username, display_name=username, region_code=region)
        s.add(user)
        s.flush()
        return auth._tokens(user, s)


def _business(auth: AuthActions, admin: Login | None, name: str, region: str) -> tuple[Login, dict]:
    from tests.factories import credit_code

    owner = auth.consumer(name="店主")
    biz = _ok(auth.client.post("/api/v1/businesses", headers=owner.headers, json={
        "name": name, "credit_code": credit_code(), "industry_code": "online_shopping", "region_code": region,
        "contact_name": "李经理", "contact_phone": "13900001111"}))
    if admin is not None:
        biz = _ok(auth.client.post(f"/api/v1/businesses/{biz['id']}/verify", headers=admin.headers))
    owner.kind = "business_staff"
    return owner, biz


def build_world(app, client) -> World:
    from server.core.models import Notification

    auth = AuthActions(app, client)
    # Staff accounts without a password (no Argon2 cost): the matrix is about what a token may do.
    admin = _staff(auth, "admin", "root_admin", None)
    mediator_in = _staff(auth, "mediator", "med_in", "1101")
    mediator_out = _staff(auth, "mediator", "med_out", "3101")
    consumer = auth.consumer("王小明", phone=CONSUMER_PHONE)
    other_consumer = auth.consumer("赵小红", phone=OTHER_PHONE)
    staff, biz_x = _business(auth, admin, "北京优品电器有限公司", "110105")
    other_staff, biz_y = _business(auth, admin, "上海海纳百货有限公司", "310101")
    _pending_owner, biz_p = _business(auth, None, "北京待审商贸有限公司", "110105")

    key = _ok(client.post(f"/api/v1/businesses/{biz_x['id']}/api-keys", headers=staff.headers, json={"name": "erp"}))
    hook = _ok(client.post(f"/api/v1/businesses/{biz_x['id']}/webhooks", headers=staff.headers,
                           json={"url": "http://127.0.0.1:9/hook", "events": []}))

    up = _ok(client.post("/api/v1/uploads", headers=consumer.headers,
                         data={"file": (io.BytesIO(png_bytes()), "receipt.png")}, content_type="multipart/form-data"))
    c = _ok(client.post("/api/v1/complaints", headers=consumer.headers,
                        json=complaint_body(biz_x["id"], attachment_ids=[up["id"]])))
    _ok(client.post(f"/api/v1/complaints/{c['id']}/transitions", headers=mediator_in.headers,
                    json={"action": "accept"}))
    _ok(client.post(f"/api/v1/complaints/{c['id']}/messages", headers=consumer.headers,
                    json={"body": "请尽快处理，谢谢"}))
    d = _ok(client.post("/api/v1/complaints", headers=other_consumer.headers,
                        json=complaint_body(biz_y["id"], region_code="310101")))

    db = app.extensions["smart315.db"]
    with db.session() as s:
        note = s.execute(select(Notification.id).where(Notification.recipient_id == consumer.user_id,
                                                       Notification.channel == "inbox")
                         .order_by(Notification.id)).scalars().first()
        delivery = s.execute(select(Notification.id).where(Notification.channel == "webhook",
                                                           Notification.business_id == biz_x["id"])
                             .order_by(Notification.id)).scalars().first()
    from server.core.scoring.actions import get_weights
    from server.core.scoring.disclosure import publish_disclosure

    with db.session() as s:
        period = publish_disclosure(s, app.config["SMART315"], "2026-10").period
        weights = get_weights(s)
        s.commit()
    assert note is not None, "the consumer should have an inbox notification after the complaint was forwarded"
    assert delivery is not None, "business X's webhook should have a delivery row"

    logins: dict[str, Login | None] = {
        "anonymous": None, "consumer": consumer, "other_consumer": other_consumer, "staff": staff,
        "other_staff": other_staff, "mediator_in": mediator_in, "mediator_out": mediator_out, "admin": admin,
    }
    return World(logins=logins, business_x=biz_x["id"], business_y=biz_y["id"], business_pending=biz_p["id"],
                 complaint=c["id"], other_complaint=d["id"], upload=up["id"], api_key_x=key["id"],
                 api_key_raw=key["key"], webhook_x=hook["id"], delivery_ref=str(delivery), notification=note,
                 disclosure_period=period, index_weights=weights)


def url_args(world: World, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Default object for each URL variable name: the consumer's complaint, business X, ..."""
    args = {
        "complaint_id": world.complaint, "business_id": world.business_x, "key_id": world.api_key_x,
        "upload_id": world.upload, "webhook_id": world.webhook_x, "ref": world.delivery_ref,
        "notification_id": world.notification, "code": "online_shopping", "period": world.disclosure_period,
    }
    for name, value in (overrides or {}).items():
        args[name] = getattr(world, value) if isinstance(value, str) and hasattr(world, value) else value
    return args
