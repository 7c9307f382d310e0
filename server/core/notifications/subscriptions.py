"""Subscribe-message grants reported by the mini-programs: each acceptance is one send we may make.

For WeChat with a message push configured the report is a hint only and the grants follow the push
(server/core/notifications/push_grants.py)."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from server.core.errors import ValidationFailed
from server.core.models import SubscriptionGrant

MAX_GRANTS_PER_TEMPLATE = 50
TEMPLATE_SETTINGS = {"wechat": "WECHAT_SUBSCRIBE_TEMPLATES", "alipay": "ALIPAY_SUBSCRIBE_TEMPLATES"}


def check_grants(settings: Mapping[str, Any], channel: str, template_ids: list[str],
                 accepted: list[str]) -> list[str]:
    """The accepted templates that are ours, once per acceptance (a repeated id counts twice).

    An accepted id not among those asked for is refused; one that is not ours (an old client
    configuration) is skipped: nothing could be sent with it.
    """
    if any(t not in template_ids for t in accepted):
        raise ValidationFailed([{"field": "accepted", "message": "接受的模板必须在 template_ids 之中"}])
    from server.core.notifications.templates import ids

    known = set(ids(settings, TEMPLATE_SETTINGS[channel]).values())
    return [t for t in accepted if t in known]


def hint_only(settings: Mapping[str, Any], channel: str) -> bool:
    """The app's report adds nothing: WeChat with a message push configured, whose events keep the grants
    (server/core/notifications/push_grants.py); Alipay, and WeChat without a push, count the report."""
    return channel == "wechat" and bool(settings.get("WECHAT_MINI_PUSH_TOKEN"))


def do_add_grants(session: Session, user_id: int, channel: str, template_ids: list[str], now: datetime) -> None:
    """One more send per template id (up to MAX_GRANTS_PER_TEMPLATE each)."""
    for template_id in template_ids:
        grant = session.execute(select(SubscriptionGrant).where(
            SubscriptionGrant.user_id == user_id, SubscriptionGrant.channel == channel,
            SubscriptionGrant.template_id == template_id)).scalar_one_or_none()
        if grant is None:
            session.add(SubscriptionGrant(user_id=user_id, channel=channel, template_id=template_id, remaining=1,
                                          updated_at=now))
            session.flush()
        else:
            session.execute(update(SubscriptionGrant).where(
                SubscriptionGrant.id == grant.id, SubscriptionGrant.remaining < MAX_GRANTS_PER_TEMPLATE,
            ).values(remaining=SubscriptionGrant.remaining + 1, updated_at=now))
