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
Credential kinds other than a user's access token (issue 15.1: every credential kind is a role):
  apikey_x        an X-Api-Key of business X (sees and does what X's staff do, on the operations
                  that accept keys; every other operation answers 403 api_key_not_allowed)
  apikey_other    an X-Api-Key of business Y
  apikey_revoked  a revoked X-Api-Key of business X (401 wherever credentials are read)
  web_consumer    the consumer's browser session cookie, with the session's CSRF header
  web_no_csrf     the same cookie without the CSRF header (state-changing calls answer 403 csrf_failed)

Objects: business X (verified, 110105, with an agent who joined by invitation), business Y (verified, 310101),
business P (pending, 110105), business R (registered by the staff role, rejected), a pending invitation from X
to the consumer's phone,
complaint C (consumer -> X, forwarded to X, with a message and an attachment), complaint D
(other_consumer -> Y), complaint U (consumer -> X, still under review) and complaint R (consumer -> X,
rejected by the mediator): X must not see U or R, an API key and a webhook of X (with a delivery row), the consumer's inbox
notification, a published monthly disclosure (2026-10).
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from tests.factories import AuthActions, Login, complaint_body, png_bytes

USER_ROLES = ("anonymous", "consumer", "other_consumer", "staff", "other_staff", "mediator_in", "mediator_out",
              "admin")
API_KEY_ROLES = ("apikey_x", "apikey_other", "apikey_revoked")
COOKIE_ROLES = ("web_consumer", "web_no_csrf")
ROLES = USER_ROLES + API_KEY_ROLES + COOKIE_ROLES
# What each credential kind stands for when it is accepted: a key acts for its business's staff, the
# cookie for the consumer.
STANDS_FOR = {"apikey_x": "staff", "apikey_other": "other_staff", "web_consumer": "consumer",
              "web_no_csrf": "consumer"}

CONSUMER_PHONE = "13812345678"
OTHER_PHONE = "13987654321"


@dataclass
class World:
    logins: dict[str, Login | None]
    business_x: int
    business_y: int
    business_pending: int
    complaint: int
    other_complaint: int
    under_review: int
    rejected: int
    agent_x: int
    business_rejected: int
    invitation: int
    upload: str
    api_key_x: int
    api_key_raw: str
    webhook_x: int
    delivery_ref: str
    notification: int
    industry_name: str = ""
    disclosure_period: str = ""
    index_weights: dict | None = None
    credentials: dict[str, dict[str, str]] | None = None  # headers of the API-key and cookie roles
    report: int = 0  # casefile: the consumer's report (举报) about X, in 110105

    def headers(self, role: str) -> dict[str, str]:
        if self.credentials and role in self.credentials:
            return dict(self.credentials[role])
        login = self.logins[role]
        return {} if login is None else dict(login.headers)

    @property
    def other_consumer_id(self) -> int:  # an account for admin operations on users (sessions helper)
        return self.logins["other_consumer"].user_id


def _ok(r, status=(200, 201, 202, 204)):
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
    under_review = _ok(client.post("/api/v1/complaints", headers=consumer.headers, json=complaint_body(
        biz_x["id"], title="电水壶漏水，客服不回复", description="买的电水壶底部漏水，联系客服三天无人回复。"
                                                   "我的电话13812345678。", order_no="JD20261102002")))
    rejected = _ok(client.post("/api/v1/complaints", headers=consumer.headers, json=complaint_body(
        biz_x["id"], title="想退一件穿过的衣服", description="衣服穿了两个月想退，商家不同意。",
        order_no="JD20261103003")))
    _ok(client.post(f"/api/v1/complaints/{rejected['id']}/transitions", headers=mediator_in.headers,
                    json={"action": "reject", "note": "不属于消费纠纷受理范围"}))

    # The other credential kinds: API keys of X and Y and a revoked one of X; the consumer's browser session.
    key_y = _ok(client.post(f"/api/v1/businesses/{biz_y['id']}/api-keys", headers=other_staff.headers,
                            json={"name": "erp"}))
    gone = _ok(client.post(f"/api/v1/businesses/{biz_x['id']}/api-keys", headers=staff.headers, json={"name": "old"}))
    _ok(client.delete(f"/api/v1/businesses/{biz_x['id']}/api-keys/{gone['id']}", headers=staff.headers))
    # An agent of X who joined by invitation (removable), a rejected registration of the staff role, and a
    # pending invitation from X to the consumer's phone.
    agent = auth.consumer("客服小李", phone="13500001111")
    inv = _ok(client.post(f"/api/v1/businesses/{biz_x['id']}/members", headers=staff.headers,
                          json={"phone": "13500001111", "role": "agent"}))
    _ok(client.post(f"/api/v1/me/invitations/{inv['invitation_id']}/accept", headers=agent.headers))
    from tests.factories import credit_code

    biz_r = _ok(client.post("/api/v1/businesses", headers=staff.headers, json={
        "name": "北京被驳回商贸有限公司", "credit_code": credit_code(), "industry_code": "online_shopping",
        "region_code": "110105", "contact_name": "李经理", "contact_phone": "13900001111"}))
    _ok(client.post(f"/api/v1/businesses/{biz_r['id']}/reject", headers=admin.headers, json={"note": "材料不全"}))
    to_consumer = _ok(client.post(f"/api/v1/businesses/{biz_x['id']}/members", headers=staff.headers,
                                  json={"phone": CONSUMER_PHONE, "role": "agent"}))

    report = _ok(client.post("/api/v1/reports", headers=consumer.headers, json={
        "business_id": biz_x["id"], "region_code": "110105", "description": "该店铺销售假冒品牌充电器，存在安全隐患。"}))

    browser = app.test_client()
    opened = _ok(browser.post("/web/session", json={"access_token": consumer.token}))
    cookie_name = app.config.get("SESSION_COOKIE_NAME", "session")
    cookie = browser.get_cookie(cookie_name)
    assert cookie is not None, "POST /web/session should set the session cookie"
    jar = {"Cookie": f"{cookie_name}={cookie.value}"}
    credentials = {
        "apikey_x": {"X-Api-Key": key["key"]}, "apikey_other": {"X-Api-Key": key_y["key"]},
        "apikey_revoked": {"X-Api-Key": gone["key"]},
        "web_consumer": {**jar, "X-CSRF-Token": opened["csrf_token"]}, "web_no_csrf": dict(jar),
    }

    db = app.extensions["smart315.db"]
    with db.session() as s:
        note = s.execute(select(Notification.id).where(Notification.recipient_id == consumer.user_id,
                                                       Notification.channel == "inbox")
                         .order_by(Notification.id)).scalars().first()
        delivery = s.execute(select(Notification.id).where(Notification.channel == "webhook",
                                                           Notification.business_id == biz_x["id"])
                             .order_by(Notification.id)).scalars().first()
    from server.core.scoring.actions import get_weights
    from server.core.scoring.disclosure import do_publish_disclosure

    with db.session() as s:
        period = do_publish_disclosure(s, app.config["SMART315"], "2026-10").period
        weights = get_weights(s)
        s.commit()
    assert note is not None, "the consumer should have an inbox notification after the complaint was forwarded"
    assert delivery is not None, "business X's webhook should have a delivery row"

    logins: dict[str, Login | None] = {
        "anonymous": None, "consumer": consumer, "other_consumer": other_consumer, "staff": staff,
        "other_staff": other_staff, "mediator_in": mediator_in, "mediator_out": mediator_out, "admin": admin,
        **{role: None for role in API_KEY_ROLES + COOKIE_ROLES},
    }
    return World(logins=logins, business_x=biz_x["id"], business_y=biz_y["id"], business_pending=biz_p["id"],
                 complaint=c["id"], other_complaint=d["id"], under_review=under_review["id"],
                 rejected=rejected["id"], agent_x=agent.user_id, business_rejected=biz_r["id"],
                 invitation=to_consumer["invitation_id"], upload=up["id"], api_key_x=key["id"], credentials=credentials,
                 api_key_raw=key["key"], webhook_x=hook["id"], delivery_ref=str(delivery), notification=note,
                 disclosure_period=period, index_weights=weights, report=report["id"])


def url_args(world: World, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Default object for each URL variable name: the consumer's complaint, business X, ..."""
    args = {
        "complaint_id": world.complaint, "business_id": world.business_x, "key_id": world.api_key_x,
        "upload_id": world.upload, "webhook_id": world.webhook_x, "ref": world.delivery_ref,
        "notification_id": world.notification, "code": "online_shopping", "period": world.disclosure_period,
        "user_id": world.agent_x, "invitation_id": world.invitation, "report_id": world.report,
    }
    for name, value in (overrides or {}).items():
        args[name] = getattr(world, value) if isinstance(value, str) and hasattr(world, value) else value
    return args
