"""WeChat mini-program subscribe messages to consumers, one grant each, opening the complaint page."""
from __future__ import annotations

from server.core.notifications.channels import Outcome, register, template_data
from server.core.notifications.channels.grants import send_with_grant
from server.core.notifications.outbox import complaint_page


@register("wechat_subscribe")
def send(ctx, row) -> Outcome:
    from server.core import clients

    mini = clients.wechat_mini(ctx.settings, ctx.redis)
    data = template_data(row, ctx.settings, "WECHAT_SUBSCRIBE_TEMPLATES", db=ctx.db)
    send_with_grant(ctx, row, "wechat", lambda template_id: mini.send_subscribe_message(
        row.target, template_id, data, page=complaint_page(row.complaint_id)))
    return Outcome("sent")
