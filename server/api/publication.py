"""Publication needs a person: the mediator's decision and the public preview of a complaint."""
from __future__ import annotations

from flask import Blueprint
from pydantic import BaseModel, Field

from server.api.context import db_session, settings
from server.api.operation import operation
from server.api.schemas import ComplaintOut, PublicationOut, Strict
from server.api.serializers import complaint_json
from server.core import publication as core
from server.core.complaints.visibility import get_visible_complaint

bp = Blueprint("publication", __name__)


class PublicationIn(Strict):
    approve: bool = Field(description="true：同意公开（公开的是脱敏后的标题和描述）；false：不公开")
    note: str | None = Field(None, max_length=500, description="说明（记入时间线，投诉人可见）")


class PreviewOut(BaseModel):
    title: str = Field(description="公开时显示的标题（已脱敏）")
    description: str = Field(description="公开时显示的描述（已脱敏）")
    public_consent: bool
    publication: PublicationOut


@bp.post("/complaints/<int:complaint_id>/publication")
@operation(summary="审核是否公开投诉（投诉所在地区的调解员、管理员；消费者须已同意公开）", body=PublicationIn,
           response=ComplaintOut, tags=("complaints",), errors=(403, 404, 409))
def decide(complaint_id: int, body: PublicationIn, actor):
    s = db_session()
    c = get_visible_complaint(s, actor, complaint_id, for_update=True)
    core.do_decide_publication(s, settings(), actor, c, body.approve, body.note)
    s.commit()
    return complaint_json(s, actor, c, with_timeline=True)


@bp.get("/complaints/<int:complaint_id>/public-preview")
@operation(summary="公开预览：公众将看到的标题和描述（已脱敏；投诉人和投诉所在地区的调解员、管理员）",
           response=PreviewOut, tags=("complaints",), errors=(403, 404))
def preview(complaint_id: int, actor):
    s = db_session()
    c = get_visible_complaint(s, actor, complaint_id)
    return core.preview(s, actor, c)
