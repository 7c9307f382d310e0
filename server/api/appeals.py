"""Business appeals (申诉) against a complaint, and their decision by the complaint's mediators."""
from __future__ import annotations

from typing import Any, Literal

from flask import Blueprint
from pydantic import BaseModel, Field

from server.api.context import db_session, settings
from server.api.idempotency import run_idempotent
from server.api.operation import operation
from server.api.schemas import Strict
from server.core import appeals as core
from server.core.complaints.visibility import get_visible_complaint

bp = Blueprint("appeals", __name__)

Reason = Literal["not_consumer", "duplicate", "malicious", "wrong_business", "other"]


class AppealIn(Strict):
    reason: Reason = Field(description="not_consumer 非本商家消费者 | duplicate 重复投诉 | malicious 恶意投诉 | "
                                       "wrong_business 投诉对象错误 | other 其他（须填写说明）")
    note: str | None = Field(None, max_length=2000)
    attachment_ids: list[str] = Field(default_factory=list, max_length=core.MAX_ATTACHMENTS,
                                      description="先用 POST /uploads 上传的证据（须由员工本人上传；API 密钥不能附带附件）")


class DecisionIn(Strict):
    upheld: bool = Field(description="true：申诉成立，这件投诉不再计入商家的指数和排名；false：不成立")
    note: str | None = Field(None, max_length=2000)


class AppealOut(BaseModel):
    id: int
    complaint_id: int
    state: Literal["pending", "upheld", "rejected"]
    created_at: str
    decided_at: str | None
    reason: str | None = Field(None, description="商家、调解员、管理员可见")
    reason_label: str | None = None
    note: str | None = None
    attachments: list[dict[str, Any]] = []
    filed_via: Literal["staff", "api_key"] | None = None
    decision_note: str | None = None
    index_excluded: bool = Field(description="这件投诉现在是否被排除在指数之外")


def _out(actor, complaint, appeal, uploads=None) -> dict[str, Any]:
    return core.appeal_view(actor, complaint, appeal, uploads) | {"index_excluded": bool(complaint.index_excluded)}


@bp.post("/complaints/<int:complaint_id>/appeals")
@operation(summary="商家对投诉提出申诉（被投诉商家的员工或其 API 密钥；同一投诉同时只能有一项待处理的申诉）",
           body=AppealIn, response=AppealOut, status=201, tags=("complaints",), errors=(403, 404, 409),
           idempotent=True, api_key=True)
def file_appeal(complaint_id: int, body: AppealIn, actor):
    s = db_session()
    c = get_visible_complaint(s, actor, complaint_id, for_update=True)

    def do():
        appeal, uploads = core.do_file_appeal(s, settings(), actor, c, body.reason, body.note, body.attachment_ids)
        return _out(actor, c, appeal, uploads), 201

    return run_idempotent(actor, f"POST /complaints/{complaint_id}/appeals", do)


@bp.get("/complaints/<int:complaint_id>/appeals")
@operation(summary="投诉的申诉（商家、调解员、管理员看到全部内容；消费者只看到申诉的存在和结果）",
           response=list[AppealOut], tags=("complaints",), errors=(404,), api_key=True)
def list_appeals(complaint_id: int, actor):
    s = db_session()
    c = get_visible_complaint(s, actor, complaint_id)
    rows = core.appeals_of(s, c.id)
    uploads = core.attachments_by_appeal(s, [a.id for a in rows]) if core.sees_appeal_details(actor, c) else {}
    return [_out(actor, c, a, uploads.get(a.id, [])) for a in rows]


@bp.post("/complaints/<int:complaint_id>/appeals/<int:appeal_id>/decision")
@operation(summary="处理申诉（投诉所在地区的调解员、管理员）；申诉成立时这件投诉立即不再计入商家的指数和排名",
           body=DecisionIn, response=AppealOut, tags=("complaints",), errors=(403, 404, 409))
def decide(complaint_id: int, appeal_id: int, body: DecisionIn, actor):
    s = db_session()
    c = get_visible_complaint(s, actor, complaint_id, for_update=True, with_business=True)
    appeal = core.do_decide_appeal(s, settings(), actor, c, appeal_id, body.upheld, body.note)
    uploads = core.attachments_by_appeal(s, [appeal.id])
    s.commit()
    return _out(actor, c, appeal, uploads.get(appeal.id, []))
