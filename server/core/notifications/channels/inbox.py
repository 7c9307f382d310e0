"""The in-app inbox: the row itself is the message, written as "sent"; nothing to deliver."""
from __future__ import annotations

from server.core.notifications.channels import Outcome, register


@register("inbox")
def send(ctx, row) -> Outcome:
    return Outcome("sent")
