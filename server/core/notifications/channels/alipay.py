"""Alipay mini-app subscribe (template) messages to consumers, one grant each."""
from __future__ import annotations

from server.core.notifications.channels import Outcome, register, template_data
from server.core.notifications.channels.grants import send_with_grant
from server.core.notifications.outbox import complaint_page


@register("alipay")
def send(ctx, row) -> Outcome:
    from server.core import clients

    client = clients.alipay_mini(ctx.settings)
    # Alipay names its keywords keyword1..N: configured fields are sent as named, the default mapping
    # in its order.
    data = template_data(row, ctx.settings, "ALIPAY_SUBSCRIBE_TEMPLATES", db=ctx.db)
    if all(not k.startswith("keyword") for k in data):
        data = {f"keyword{i}": v for i, v in enumerate(data.values(), start=1)}
    send_with_grant(ctx, row, "alipay", lambda template_id: client.send_subscribe_message(
        row.target, template_id, data, page=complaint_page(row.complaint_id)))
    return Outcome("sent")
