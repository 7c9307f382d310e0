"""The privacy policy and the user agreement: their current versions, and each user's recorded agreement.

The texts are pages (server/web/templates/legal/); a new version is a new date here and a new text
there. Sign-in on every channel links to both; `POST /me/consents` records that this user agreed to
this version, when and on which channel. A consent to an older version is refused: the client must
show the current text."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.errors import Conflict, ValidationFailed
from server.core.models import Consent, User

DOCUMENTS: dict[str, dict[str, str]] = {
    "privacy": {"version": "2026-12-01", "title": "隐私政策", "path": "/legal/privacy"},
    "terms": {"version": "2026-12-01", "title": "用户服务协议", "path": "/legal/terms"},
}
CHANNELS = ("web", "wechat", "alipay", "api")


def documents(base_url: str) -> dict[str, dict[str, str]]:
    base = base_url.rstrip("/")
    return {name: {"version": d["version"], "title": d["title"], "url": base + d["path"]}
            for name, d in DOCUMENTS.items()}


def check_consent(document: str, version: str) -> None:
    if document not in DOCUMENTS:
        raise ValidationFailed([{"field": "document", "message": "只能是 privacy（隐私政策）或 terms（用户服务协议）"}])
    current = DOCUMENTS[document]["version"]
    if version != current:
        raise Conflict(f"《{DOCUMENTS[document]['title']}》已更新为 {current} 版，请阅读新版本后再同意",
                       current_version=current)


def do_record_consent(session: Session, user: User, document: str, version: str, channel: str,
                      now: datetime) -> Consent:
    """Record the agreement (again agreeing to the same version keeps the first record)."""
    existing = session.execute(select(Consent).where(Consent.user_id == user.id, Consent.document == document,
                                                     Consent.version == version)).scalar_one_or_none()
    if existing is not None:
        return existing
    consent = Consent(user_id=user.id, document=document, version=version, channel=channel, agreed_at=now)
    session.add(consent)
    session.flush()
    return consent


def consents_of(session: Session, user: User) -> list[dict[str, Any]]:
    rows = session.execute(select(Consent).where(Consent.user_id == user.id)
                           .order_by(Consent.agreed_at, Consent.id)).scalars()
    return [consent_json(c) for c in rows]


def consent_json(c: Consent) -> dict[str, Any]:
    from server.core.timeutil import to_iso

    current = DOCUMENTS.get(c.document, {}).get("version")
    return {"document": c.document, "version": c.version, "channel": c.channel, "agreed_at": to_iso(c.agreed_at),
            "current": c.version == current}
