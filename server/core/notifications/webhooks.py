"""Business webhooks: creation (secret shown once, stored encrypted), URL safety, signing, listing
deliveries and redelivery.

Signature (API.md): X-Smart315-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">.
Receivers dedupe on X-Smart315-Delivery, which is fixed when the notification is written and is
the same on every retry *and on a manual redelivery* (a redelivery is a new outbox row with a new
dedupe key "redeliver:<row id>:<n>" but the original payload and delivery id: it is the same
event delivered again, so a receiver that already processed it may ignore it).

URL safety and DNS rebinding: `resolve_checked` resolves the host once, refuses private, loopback,
link-local and reserved addresses (unless WEBHOOK_ALLOW_PRIVATE_NETWORKS) and returns the address it
checked; the sender (channels/webhook.py) connects to exactly that address, so a DNS server cannot
answer a public address to the check and an internal one to the request.
"""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import secrets
import socket
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import SplitResult, urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.core.actor import Actor
from server.core.errors import NotFound, PermanentDeliveryError, TransientDeliveryError, ValidationFailed
from server.core.models import Business, Notification, Webhook, WebhookDelivery, utcnow
from server.core.notifications.outbox import EVENT_TYPES, wake_after_commit, with_request_id
from server.core.timeutil import to_iso

SECRET_CONTEXT = "webhook.secret"
MAX_WEBHOOKS_PER_BUSINESS = 10


class UnsafeUrl(ValueError):
    """The URL is not http(s) or points at a private, loopback, link-local or reserved address."""


class UnresolvableHost(UnsafeUrl):
    """The host name did not resolve: at send time this may be temporary (DNS down), so it is retried."""


_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses an IPv6 address leads to (issue 15.12): IPv4-mapped, IPv4-compatible, 6to4, Teredo
    (server and client) and NAT64 (well-known and local-use prefixes) all reach an IPv4 host."""
    found = []
    if ip.ipv4_mapped is not None:
        found.append(ip.ipv4_mapped)
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found.extend(ip.teredo)
    if any(ip in net for net in _NAT64) or (ip in _IPV4_COMPATIBLE and int(ip) > 1):
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return found


def _is_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return not (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved
                or ip.is_unspecified or not ip.is_global)


def _address_is_public(addr: str) -> bool:
    ip = ipaddress.ip_address(addr.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded:
            return all(_is_public(v4) for v4 in embedded) and (ip.ipv4_mapped is not None or _is_public(ip))
    return _is_public(ip)


def resolve_checked(url: str, allow_private: bool) -> tuple[SplitResult, str]:
    """Resolve the URL's host once and return (parts, address): the address to connect to.

    Every address the name resolves to must be public unless `allow_private`; the first one
    getaddrinfo returned is used (no fallback to the others: one checked address, one attempt).
    With `allow_private` the host is still resolved here, once, and that address is used.
    Raises UnsafeUrl (reason in Chinese); UnresolvableHost (a subclass) when the name did not
    resolve, which may be temporary."""
    parts = _check_shape(url)
    host = parts.hostname or ""  # _check_shape refused a URL without one
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except UnicodeError as exc:
        raise UnsafeUrl("无法解析该主机名") from exc
    except socket.gaierror as exc:
        raise UnresolvableHost("无法解析该主机名") from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos
                                   if info[0] in (socket.AF_INET, socket.AF_INET6)))
    if not addresses:
        raise UnresolvableHost("无法解析该主机名")
    if not allow_private:
        for addr in addresses:
            if not _address_is_public(addr):
                raise UnsafeUrl("不允许指向内网、本机、链路本地或保留地址")
    return parts, addresses[0]


def _check_shape(url: str) -> SplitResult:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as exc:
        raise UnsafeUrl("URL 格式不正确") from exc
    if parts.scheme not in ("http", "https"):
        raise UnsafeUrl("只支持 http 或 https 地址")
    if not parts.hostname:
        raise UnsafeUrl("URL 缺少主机名")
    if parts.username or parts.password:
        raise UnsafeUrl("URL 不能包含用户名或密码")
    return parts


def check_url(url: str, allow_private: bool, resolve: bool = True) -> str:
    """Return the URL if it may be called, else raise UnsafeUrl with the reason (in Chinese).

    Used when a webhook is created; the sender checks again with `resolve_checked` and connects to
    the address it checked. With `allow_private` (or `resolve=False`) only the URL's shape is checked."""
    _check_shape(url)
    if allow_private or not resolve:
        return url
    resolve_checked(url, allow_private=False)
    return url


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode("utf-8"), str(timestamp).encode("ascii") + b"." + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify_signature(secret: str, header: str, body: bytes, tolerance: int = 300, now: float | None = None) -> bool:
    """What a receiver does: check v1 with the secret and that t is recent."""
    try:
        fields = dict(part.split("=", 1) for part in header.split(","))
        t = int(fields["t"])
    except (ValueError, KeyError):
        return False
    if abs((now or time.time()) - t) > tolerance:
        return False
    expected = sign(secret, t, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, fields.get("v1", ""))


def body_for(row: Notification) -> bytes:
    """The exact JSON body sent for a webhook row: the same bytes on every attempt."""
    payload = row.payload or {}
    doc = {"id": payload.get("delivery_id"), "type": row.event_type,
           "created_at": payload.get("created_at") or to_iso(row.created_at),
           "data": payload.get("data") or {}}
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"), sort_keys=False).encode("utf-8")


def decrypt_secret(settings: Mapping[str, Any], hook: Webhook) -> str:
    from server.core.identity.accounts import cipher

    return cipher(settings).decrypt(hook.secret_enc, context=SECRET_CONTEXT)


# ------------------------------------------------------------------ CRUD

def _require_owner(session: Session, actor: Actor, business_id: int) -> Business:
    from server.core.businesses import get_business, require_owner

    business = get_business(session, business_id)
    require_owner(actor, business)
    return business


def do_create_webhook(session: Session, settings: Mapping[str, Any], actor: Actor, business_id: int, url: str,
                   events: list[str]) -> tuple[Webhook, str]:
    """Returns (webhook, secret); the secret is shown this once and stored encrypted."""
    from server.core.identity.accounts import cipher

    business = _require_owner(session, actor, business_id)
    bad = [e for e in events if e not in EVENT_TYPES]
    if bad:
        raise ValidationFailed([{"field": "events", "message": f"未知事件：{', '.join(bad)}"}])
    try:
        check_url(url, bool(settings.get("WEBHOOK_ALLOW_PRIVATE_NETWORKS")))
    except UnsafeUrl as exc:
        raise ValidationFailed([{"field": "url", "message": str(exc)}]) from None
    live = session.execute(select(func.count()).select_from(Webhook).where(
        Webhook.business_id == business.id, Webhook.deleted_at.is_(None))).scalar_one()
    if live >= MAX_WEBHOOKS_PER_BUSINESS:
        raise ValidationFailed([{"field": "url", "message": f"每个商家最多 {MAX_WEBHOOKS_PER_BUSINESS} 个 Webhook"}])
    secret = "whsec_" + secrets.token_urlsafe(32)
    hook = Webhook(business_id=business.id, url=url, events=sorted(set(events)),
                   secret_enc=cipher(settings).encrypt(secret, context=SECRET_CONTEXT), created_at=utcnow())
    session.add(hook)
    session.flush()
    return hook, secret


def list_webhooks(session: Session, actor: Actor, business_id: int) -> list[Webhook]:
    business = _require_owner(session, actor, business_id)
    return list(session.execute(select(Webhook).where(Webhook.business_id == business.id,
                                                      Webhook.deleted_at.is_(None)).order_by(Webhook.id)).scalars())


def get_webhook(session: Session, actor: Actor, business_id: int, webhook_id: int,
                include_deleted: bool = False) -> Webhook:
    business = _require_owner(session, actor, business_id)
    hook = session.get(Webhook, webhook_id)
    if hook is None or hook.business_id != business.id or (hook.deleted_at is not None and not include_deleted):
        raise NotFound("Webhook 不存在")
    return hook


def do_delete_webhook(session: Session, actor: Actor, business_id: int, webhook_id: int, now: datetime) -> None:
    """Soft delete: no new rows; pending rows for it end as "failed" when the worker sees them."""
    hook = get_webhook(session, actor, business_id, webhook_id)
    hook.deleted_at = now


def webhook_json(hook: Webhook) -> dict[str, Any]:
    return {"id": hook.id, "url": hook.url, "events": list(hook.events or []) or list(EVENT_TYPES),
            "created_at": to_iso(hook.created_at)}


def list_deliveries(session: Session, actor: Actor, business_id: int, webhook_id: int, page: int,
                    per_page: int) -> dict[str, Any]:
    """The webhook's notifications, newest first, each with its attempts (status, excerpt, duration)."""
    hook = get_webhook(session, actor, business_id, webhook_id, include_deleted=True)
    base = select(Notification).where(Notification.channel == "webhook", Notification.target == str(hook.id),
                                      Notification.business_id == hook.business_id)
    total = session.execute(select(func.count()).select_from(base.subquery())).scalar_one()
    rows = session.execute(base.order_by(Notification.id.desc()).limit(per_page)
                           .offset((page - 1) * per_page)).scalars().all()
    attempts: dict[int, list[WebhookDelivery]] = {r.id: [] for r in rows}
    if rows:
        for a in session.execute(select(WebhookDelivery).where(WebhookDelivery.notification_id.in_(attempts))
                                 .order_by(WebhookDelivery.id)).scalars():
            attempts[a.notification_id].append(a)
    return {"items": [delivery_json(r, attempts[r.id]) for r in rows], "page": page, "per_page": per_page,
            "total": total}


def delivery_json(row: Notification, attempts: list[WebhookDelivery]) -> dict[str, Any]:
    return {
        "notification_id": row.id, "delivery_id": (row.payload or {}).get("delivery_id"), "type": row.event_type,
        "state": row.send_state, "attempts": row.attempts, "next_attempt_at": to_iso(row.next_attempt_at),
        "last_error": row.last_error, "created_at": to_iso(row.created_at), "sent_at": to_iso(row.sent_at),
        "redelivery_of": (row.payload or {}).get("redelivery_of"),
        "responses": [{"attempt": a.attempt, "status_code": a.status_code, "response_excerpt": a.response_excerpt,
                       "error": a.error, "duration_ms": a.duration_ms, "at": to_iso(a.created_at)}
                      for a in attempts],
    }


def redeliver(session: Session, settings: Mapping[str, Any], actor: Actor, business_id: int, ref: str,
              now: datetime) -> Notification:
    """Queue one delivery again: `ref` is a notification id or a delivery id ("dlv_...").

    A new outbox row (new dedupe key) with the same event, payload and delivery id."""
    business = _require_owner(session, actor, business_id)
    stmt = select(Notification).where(Notification.channel == "webhook", Notification.business_id == business.id)
    if ref.isascii() and ref.isdigit():  # "²" is a digit to str.isdigit() but not to int() (issue 15.8)
        if int(ref) > 2**31 - 1:
            raise NotFound("投递记录不存在")
        stmt = stmt.where(Notification.id == int(ref))
        original = session.execute(stmt).scalar_one_or_none()
    else:
        candidates = session.execute(stmt.where(Notification.payload.is_not(None))
                                     .order_by(Notification.id)).scalars()
        original = next((r for r in candidates if (r.payload or {}).get("delivery_id") == ref), None)
    if original is None:
        raise NotFound("投递记录不存在")
    target = original.target or ""
    hook = session.get(Webhook, int(target)) if target.isascii() and target.isdigit() else None
    if hook is None or hook.deleted_at is not None:
        raise NotFound("Webhook 已删除，无法重新投递")
    root_id = (original.payload or {}).get("redelivery_of") or original.id
    count = session.execute(select(func.count()).select_from(Notification).where(
        Notification.dedupe_key.like(f"redeliver:{root_id}:%"))).scalar_one()
    payload = dict(original.payload or {})
    payload["redelivery_of"] = root_id
    payload.setdefault("created_at", to_iso(original.created_at))  # the event's time, as first sent
    row = Notification(
        event_type=original.event_type, complaint_id=original.complaint_id, recipient_id=None,
        business_id=original.business_id, channel="webhook", target=original.target,
        dedupe_key=f"redeliver:{root_id}:{count + 1}", title=original.title, body=original.body,
        payload=with_request_id(payload),
        send_state="pending", attempts=0, next_attempt_at=now, created_at=now,
    )
    session.add(row)
    session.flush()
    wake_after_commit(session, settings)
    return row


# ------------------------------------------------------------------ sending

def ensure_sendable(settings: Mapping[str, Any], url: str) -> tuple[SplitResult, str]:
    """Resolve and check the URL at send time: (parts, address to connect to).

    An unsafe URL or address raises PermanentDeliveryError; a name that does not resolve now raises
    TransientDeliveryError (DNS may be down for a while)."""
    try:
        return resolve_checked(url, bool(settings.get("WEBHOOK_ALLOW_PRIVATE_NETWORKS")))
    except UnresolvableHost as exc:
        raise TransientDeliveryError(f"webhook host did not resolve: {exc}") from None
    except UnsafeUrl as exc:
        raise PermanentDeliveryError(f"unsafe webhook url: {exc}") from None
