"""Notifications: the caller's inbox, subscribe-message grants, the client configuration for the
mini-programs, and business webhooks (create, list, delete, deliveries, redeliver)."""
from __future__ import annotations

from typing import Any, Literal

from flask import Blueprint
from pydantic import BaseModel, Field
from sqlalchemy import select

from server.api.context import db_session, settings
from server.api.operation import operation
from server.api.pagination import paginate
from server.api.schemas import PageQuery, Strict
from server.core.errors import Forbidden
from server.core.models import Notification, utcnow
from server.core.notifications import inbox as inbox_core
from server.core.notifications import subscriptions
from server.core.notifications import webhooks as core
from server.core.notifications.outbox import EVENT_TYPES
from server.core.timeutil import to_iso

bp = Blueprint("notifications", __name__)

EventName = Literal[EVENT_TYPES]  # vocabulary.WEBHOOK_EVENTS: the events a webhook may subscribe to


# ------------------------------------------------------------------ schemas

class InboxQuery(PageQuery):
    unread: bool | None = None


class NotificationOut(BaseModel):
    id: int
    type: str
    title: str
    body: str
    complaint_id: int | None
    data: dict[str, Any]
    read: bool
    read_at: str | None
    created_at: str | None


class NotificationPage(BaseModel):
    items: list[NotificationOut]
    page: int
    per_page: int
    total: int
    unread: int


class SubscriptionsIn(Strict):
    channel: Literal["wechat", "alipay"]
    template_ids: list[str] = Field(default_factory=list, max_length=20)
    accepted: list[str] = Field(default_factory=list, max_length=20)


class TemplatesOut(BaseModel):
    subscribe_templates: dict[str, str]


class ClientConfigOut(BaseModel):
    wechat: TemplatesOut
    alipay: TemplatesOut


class WebhookIn(Strict):
    url: str = Field(min_length=8, max_length=1024)
    events: list[EventName] = Field(default_factory=list, max_length=len(EVENT_TYPES))


class WebhookOut(BaseModel):
    id: int
    url: str
    events: list[str]
    created_at: str | None
    secret: str | None = None


class DeliveryResponseOut(BaseModel):
    attempt: int
    status_code: int | None
    response_excerpt: str | None
    error: str | None
    duration_ms: int | None
    at: str | None


class DeliveryOut(BaseModel):
    notification_id: int
    delivery_id: str | None
    type: str
    state: str
    attempts: int
    next_attempt_at: str | None
    last_error: str | None
    created_at: str | None
    sent_at: str | None
    redelivery_of: int | None
    responses: list[DeliveryResponseOut]


class DeliveryPage(BaseModel):
    items: list[DeliveryOut]
    page: int
    per_page: int
    total: int


class RedeliveryOut(BaseModel):
    notification_id: int
    delivery_id: str | None
    state: str
    redelivery_of: int | None


# ------------------------------------------------------------------ inbox

def _inbox_json(n: Notification) -> dict[str, Any]:
    return {"id": n.id, "type": n.event_type, "title": n.title, "body": n.body, "complaint_id": n.complaint_id,
            "data": n.payload or {}, "read": n.read_at is not None, "read_at": to_iso(n.read_at),
            "created_at": to_iso(n.created_at)}


def _user_id(actor) -> int:
    if actor.user is None:
        raise Forbidden("API 密钥不代表个人账号")
    return actor.user.id


@bp.get("/notifications")
@operation(summary="我的站内消息（最新在前）", query=InboxQuery, response=NotificationPage, tags=("notifications",))
def inbox(query: InboxQuery, actor):
    uid = _user_id(actor)
    s = db_session()
    base = select(Notification).where(Notification.recipient_id == uid, Notification.channel == "inbox")
    unread_stmt = base.where(Notification.read_at.is_(None))
    stmt = unread_stmt if query.unread else (base.where(Notification.read_at.is_not(None))
                                             if query.unread is False else base)
    out = paginate(s, stmt.order_by(Notification.created_at.desc(), Notification.id.desc()), query.page,
                   query.per_page, _inbox_json)
    from sqlalchemy import func

    out["unread"] = s.execute(select(func.count()).select_from(unread_stmt.subquery())).scalar_one()
    return out


@bp.post("/notifications/<int:notification_id>/read")
@operation(summary="标记站内消息为已读", status=204, tags=("notifications",), errors=(404,))
def mark_read(notification_id: int, actor):
    s = db_session()
    n = inbox_core.check_own_inbox_item(s, _user_id(actor), notification_id)
    if inbox_core.do_mark_read(s, n, utcnow()):
        s.commit()
    return "", 204


# ------------------------------------------------------------------ grants and client config

@bp.post("/me/subscriptions")
@operation(summary="上报订阅消息授权结果：仅为提示。配置了微信消息推送（WECHAT_MINI_PUSH_TOKEN）时，微信渠道的"
                   "授权额度只按消息推送事件（subscribe_msg_popup_event 等）增减，本接口不再计数，同一次点击不会重复计算；"
                   "未配置消息推送时及支付宝渠道，每次接受记一次可发送额度", body=SubscriptionsIn, status=204,
           tags=("notifications",))
def report_subscriptions(body: SubscriptionsIn, actor):
    uid = _user_id(actor)
    cfg = settings()
    accepted = subscriptions.check_grants(cfg, body.channel, body.template_ids, body.accepted)
    if subscriptions.hint_only(cfg, body.channel):
        return "", 204  # the push event of the same tap adds the grant (push_grants.py)
    s = db_session()
    subscriptions.do_add_grants(s, uid, body.channel, accepted, utcnow())
    s.commit()
    return "", 204


@bp.get("/client-config")
@operation(summary="小程序配置：可申请订阅的消息模板", response=ClientConfigOut, auth="none", tags=("notifications",))
def client_config():
    cfg = settings()
    from server.core.notifications.templates import ids

    return {"wechat": {"subscribe_templates": ids(cfg, "WECHAT_SUBSCRIBE_TEMPLATES")},
            "alipay": {"subscribe_templates": ids(cfg, "ALIPAY_SUBSCRIBE_TEMPLATES")}}


# ------------------------------------------------------------------ webhooks

@bp.post("/businesses/<int:business_id>/webhooks")
@operation(summary="创建 Webhook（签名密钥只显示这一次）", body=WebhookIn, response=WebhookOut, status=201,
           tags=("webhooks",), errors=(403, 404))
def create_webhook(business_id: int, body: WebhookIn, actor):
    s = db_session()
    hook, secret = core.do_create_webhook(s, settings(), actor, business_id, body.url, list(body.events))
    s.commit()
    return {**core.webhook_json(hook), "secret": secret}, 201


@bp.get("/businesses/<int:business_id>/webhooks")
@operation(summary="Webhook 列表（不含密钥）", response=list[WebhookOut], tags=("webhooks",), errors=(403, 404))
def list_webhooks(business_id: int, actor):
    return [core.webhook_json(h) for h in core.list_webhooks(db_session(), actor, business_id)]


@bp.delete("/businesses/<int:business_id>/webhooks/<int:webhook_id>")
@operation(summary="删除 Webhook", status=204, tags=("webhooks",), errors=(403, 404))
def delete_webhook(business_id: int, webhook_id: int, actor):
    s = db_session()
    core.do_delete_webhook(s, actor, business_id, webhook_id, utcnow())
    s.commit()
    return "", 204


@bp.get("/businesses/<int:business_id>/webhooks/<int:webhook_id>/deliveries")
@operation(summary="Webhook 投递记录与响应", query=PageQuery, response=DeliveryPage, tags=("webhooks",),
           errors=(403, 404))
def deliveries(business_id: int, webhook_id: int, query: PageQuery, actor):
    return core.list_deliveries(db_session(), actor, business_id, webhook_id, query.page, query.per_page)


@bp.post("/businesses/<int:business_id>/webhooks/deliveries/<ref>/redeliver")
@operation(summary="重新投递（同一投递 ID，接收方可据此去重）", response=RedeliveryOut, status=202,
           tags=("webhooks",), errors=(403, 404))
def redeliver(business_id: int, ref: str, actor):
    s = db_session()
    row = core.redeliver(s, settings(), actor, business_id, ref, utcnow())
    s.commit()
    return {"notification_id": row.id, "delivery_id": (row.payload or {}).get("delivery_id"),
            "state": row.send_state, "redelivery_of": (row.payload or {}).get("redelivery_of")}, 202
