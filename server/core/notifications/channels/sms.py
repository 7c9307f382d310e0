"""The SMS fallback's rows (server/core/notifications/sms_fallback.py): a short notice naming the public
number, to the consumer's bound phone, through SMS_PROVIDER."""
from __future__ import annotations

from sqlalchemy import select

from server.core.errors import DomainError, PermanentDeliveryError, TransientDeliveryError
from server.core.models import User
from server.core.notifications.channels import Outcome, Skip, register


@register("sms")
def send(ctx, row) -> Outcome:
    from server.core import clients
    from server.core.identity.accounts import cipher
    from server.core.notifications import sms_fallback

    if not ctx.settings.get("SMS_FALLBACK"):
        raise Skip("SMS_FALLBACK is off")
    if sms_fallback.subscribe_sent(ctx.db, row):
        raise Skip("a subscribe message for this event was sent")
    with ctx.db.session() as s:
        phone_enc = s.execute(select(User.phone_enc).where(User.id == row.recipient_id)).scalar_one_or_none()
    if not phone_enc:
        raise Skip("no bound phone")
    phone = cipher(ctx.settings).decrypt(phone_enc)
    public_no = str((row.payload or {}).get("public_no") or "")
    params = {"public_no": public_no, "event": sms_fallback.SMS_TEXTS.get(row.event_type, "有新进展")}
    try:
        clients.sms(ctx.settings).send_notice(phone, sms_fallback.text_for(public_no, row.event_type), params)
    except DomainError as exc:
        status = getattr(exc, "status", None)
        if status in (429, 503) or type(exc).__name__ == "RateLimited":
            raise TransientDeliveryError(f"sms: {exc}") from None
        raise PermanentDeliveryError(f"sms: {exc}") from None
    return Outcome("sent")
