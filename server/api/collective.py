"""Collective complaints (集体投诉): joining an open case with one's own complaint (server/core/collective.py)."""
from __future__ import annotations

from typing import Any

from flask import Blueprint
from pydantic import Field, field_validator

from server.api.context import db_session, settings
from server.api.idempotency import run_idempotent
from server.api.limits import check_complaint_limit
from server.api.operation import operation
from server.api.schemas import ComplaintOut, Strict, yuan_or_none
from server.api.serializers import complaint_json
from server.core import collective
from server.core.complaints import abuse
from server.core.models import utcnow
from server.core.money import parse_yuan

bp = Blueprint("collective", __name__)


class JoinIn(Strict):
    amount_claimed: str | float | int | None = Field(None, description="本人涉及的金额（元），如 199.00")
    description: str | None = Field(None, max_length=5000, description="本人遇到的情况；不填则注明加入的集体投诉")
    attachment_ids: list[str] = Field(default_factory=list, max_length=9, description="先用 POST /uploads 上传的证据")

    @field_validator("amount_claimed", mode="before")  # before: JSON true is not coerced to 1
    @classmethod
    def _amount(cls, v: Any) -> Any:
        return yuan_or_none(v)


@bp.post("/complaints/<int:complaint_id>/join")
@operation(summary="加入集体投诉（黑猫投诉式“我也遇到了”）：以本人名义提交一件关联到发起投诉（collective_id）的投诉，"
                   "商家、地区、标题和适用规则与发起投诉相同，照常经过内容审核、频率限制和受理；加入成员投诉即加入其发起投诉。"
                   "只能加入公开的或本人可见的、尚未结束的投诉；发起人本人和已加入者不能再加入（支持 Idempotency-Key）",
           body=JoinIn, response=ComplaintOut, status=201, tags=("complaints",), errors=(403, 404, 409, 422, 429),
           idempotent=True)
def join(complaint_id: int, body: JoinIn, actor):
    s = db_session()
    now = utcnow()
    data = body.model_dump()
    data["amount_claimed_fen"] = parse_yuan(body.amount_claimed) if body.amount_claimed not in (None, "") else None

    def do():
        joining = collective.check_join(s, actor, complaint_id, data)
        # As POST /complaints: the duplicate check first, so a refused repeat uses none of the quota.
        screening = abuse.screen(s, settings(), actor.user_id, joining.data, now)
        check_complaint_limit(actor.user_id)
        filed = collective.do_join(s, settings(), actor, joining, now, screening=screening)
        return complaint_json(s, actor, filed.complaint, with_timeline=True, attachments=filed.attachments,
                              timeline=filed.timeline), 201

    return run_idempotent(actor, f"POST /complaints/{complaint_id}/join", do)
