"""WeChat official-account template messages to bound business staff, opening the mini-program."""
from __future__ import annotations

from server.core.notifications.channels import Outcome, Skip, register, template_data
from server.core.notifications.outbox import complaint_page


@register("wechat_template")
def send(ctx, row) -> Outcome:
    from server.core import clients

    template_id = (row.payload or {}).get("template_id")
    if not template_id or not row.target:
        raise Skip("no template or no bound openid")
    oa = clients.wechat_oa(ctx.settings, ctx.redis)
    miniprogram = {"appid": ctx.settings["WECHAT_MINI_APPID"], "pagepath": complaint_page(row.complaint_id)}
    # 2023 rules: no first line, no remark, at most 20 characters a field.
    data = template_data(row, ctx.settings, "WECHAT_OA_TEMPLATES", oa=True, db=ctx.db)
    oa.send_template_message(row.target, template_id, data, miniprogram=miniprogram)
    return Outcome("sent")
