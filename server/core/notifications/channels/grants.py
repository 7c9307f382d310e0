"""Subscribe-message grants: one is used up by each send, given back if the send did not happen."""
from __future__ import annotations

from sqlalchemy import update

from server.core.models import SubscriptionGrant, utcnow


def take_grant(db, user_id: int, channel: str, template_id: str) -> bool:
    """Atomically use one grant; False when none is left."""
    with db.session() as s:
        res = s.execute(update(SubscriptionGrant).where(
            SubscriptionGrant.user_id == user_id, SubscriptionGrant.channel == channel,
            SubscriptionGrant.template_id == template_id, SubscriptionGrant.remaining > 0,
        ).values(remaining=SubscriptionGrant.remaining - 1, updated_at=utcnow()))
        s.commit()
        return res.rowcount == 1


def give_back(db, user_id: int, channel: str, template_id: str) -> None:
    with db.session() as s:
        s.execute(update(SubscriptionGrant).where(
            SubscriptionGrant.user_id == user_id, SubscriptionGrant.channel == channel,
            SubscriptionGrant.template_id == template_id,
        ).values(remaining=SubscriptionGrant.remaining + 1, updated_at=utcnow()))
        s.commit()


def drop_grants(db, user_id: int, channel: str, template_id: str) -> None:
    """The platform said the user has no grant (43101): stop believing we have any."""
    with db.session() as s:
        s.execute(update(SubscriptionGrant).where(
            SubscriptionGrant.user_id == user_id, SubscriptionGrant.channel == channel,
            SubscriptionGrant.template_id == template_id,
        ).values(remaining=0, updated_at=utcnow()))
        s.commit()


def record_msgid(db, row, msgid) -> None:
    """Remember the msgid WeChat answered on the row: its subscribe_msg_sent_event then confirms the grant
    this send used instead of using another (server/core/notifications/push_grants.py)."""
    from server.core.models import Notification
    from server.core.notifications.push_grants import MSGID_KEY

    if msgid in (None, ""):
        return
    with db.session() as s:
        s.execute(update(Notification).where(Notification.id == row.id).values(
            payload={**(row.payload or {}), MSGID_KEY: str(msgid)}))
        s.commit()


def send_with_grant(ctx, row, channel: str, send) -> None:
    """Use one grant, call send(); give it back on a transient failure. Raises Skip without a grant,
    after writing the SMS fallback's row when it applies (server/core/notifications/sms_fallback.py)."""
    from server.core.errors import PermanentDeliveryError, TransientDeliveryError
    from server.core.notifications import sms_fallback
    from server.core.notifications.channels import Skip

    template_id = (row.payload or {}).get("template_id")
    if not template_id:
        raise Skip("no template configured for this event")
    if row.recipient_id is not None and sms_fallback.applies(ctx.settings, row.event_type) \
            and sms_fallback.already_by_sms(ctx.db, row):
        raise Skip("sent by SMS instead (no grant was left)")
    if row.recipient_id is None or not take_grant(ctx.db, row.recipient_id, channel, template_id):
        by_sms = sms_fallback.instead_of(ctx, row)
        raise Skip(f"no subscribe grant left for template {template_id}" + ("; SMS instead" if by_sms else ""))
    try:
        msgid = send(template_id)
    except TransientDeliveryError:
        give_back(ctx.db, row.recipient_id, channel, template_id)
        raise
    except PermanentDeliveryError as exc:
        if str(exc.code) in ("43101", "USER_NOT_SUBSCRIBED"):
            drop_grants(ctx.db, row.recipient_id, channel, template_id)
        raise
    except Exception:
        give_back(ctx.db, row.recipient_id, channel, template_id)
        raise
    if channel == "wechat":
        record_msgid(ctx.db, row, msgid)
