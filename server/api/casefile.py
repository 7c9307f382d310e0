"""The complete case (issue 18): reports (举报), the business's public reply, the filing receipt."""
from __future__ import annotations

from typing import Any, Literal

from flask import Blueprint, Response
from pydantic import BaseModel, Field, field_validator, model_validator
from sqlalchemy import select

from server.api.context import db_session, settings
from server.api.idempotency import run_idempotent
from server.api.limits import check_report_limit
from server.api.operation import operation
from server.api.pagination import paginate
from server.api.schemas import PageQuery, Strict, _county
from server.core import casefile as core
from server.core.complaints.visibility import get_visible_complaint
from server.core.models import Report

bp = Blueprint("casefile", __name__)


class ReportIn(Strict):
    business_id: int | None = Field(None, ge=1, description="平台上的商家（与 business_name 二选一）")
    business_name: str | None = Field(None, max_length=128, description="不在平台上的商家名称")
    region_code: str = Field(description="违法行为发生地（区县级行政区划代码），举报交由该地区的调解员处理")
    description: str = Field(min_length=5, max_length=5000, description="违法行为的经过")
    attachment_ids: list[str] = Field(default_factory=list, max_length=core.MAX_ATTACHMENTS,
                                      description="先用 POST /uploads 上传的证据")

    _v_reg = field_validator("region_code")(_county)

    @model_validator(mode="after")
    def _one_business(self):
        if self.business_id is None and not (self.business_name or "").strip():
            raise ValueError("请填写被举报的商家（business_id 或 business_name）")
        return self


class ReportOut(BaseModel):
    id: int
    business_id: int | None
    business_name: str
    region_code: str
    region_name: str
    description: str
    moderation: Literal["pass", "review"]
    mine: bool = Field(description="是否是自己提交的举报")
    created_at: str
    attachments: list[dict[str, Any]] = []


class ReportList(BaseModel):
    items: list[ReportOut]
    page: int
    per_page: int
    total: int


class ReportQuery(PageQuery):
    region: str | None = Field(None, max_length=6, pattern=r"^\d{2,6}$")
    q: str | None = Field(None, max_length=64)


class PublicReplyIn(Strict):
    text: str = Field(min_length=1, max_length=core.REPLY_MAX_LENGTH)


class PublicReplyOut(BaseModel):
    complaint_id: int
    business_reply: dict[str, Any] = Field(description="{text, replied_at}：公开展示在已公开案例旁的商家回复")


@bp.post("/reports")
@operation(summary="提交举报（违法行为线索，不要求个人赔偿；交由该地区的调解员处理，不计入任何指数）",
           body=ReportIn, response=ReportOut, status=201, tags=("reports",), errors=(403, 422, 429), idempotent=True)
def create_report(body: ReportIn, actor):
    s = db_session()

    def do():
        report, uploads = core.do_file_report(s, settings(), actor, body.model_dump(),
                                           gate=lambda: check_report_limit(actor))
        return core.report_view(report, uploads, mine=True), 201

    return run_idempotent(actor, "POST /reports", do)


@bp.get("/reports")
@operation(summary="举报列表：调解员看辖区的，管理员看全部，消费者看自己提交的", query=ReportQuery,
           response=ReportList, tags=("reports",))
def list_reports(query: ReportQuery, actor):
    s = db_session()
    stmt = select(Report).where(core.report_visibility(actor))
    if query.region:
        stmt = stmt.where(Report.region_code.startswith(query.region))
    stmt = core.report_search(stmt, query.q).order_by(Report.created_at.desc(), Report.id.desc())
    uploads: dict[int, list] = {}

    def prefetch(rows):
        uploads.update(core.attachments_by_report(s, [r.id for r in rows]))

    return paginate(s, stmt, query.page, query.per_page,
                    lambda r: core.report_view(r, uploads.get(r.id, []), mine=r.reporter_id == actor.user_id),
                    prefetch=prefetch)


@bp.get("/reports/<int:report_id>")
@operation(summary="举报详情（本地区的调解员、管理员、提交人）", response=ReportOut, tags=("reports",), errors=(404,))
def get_report(report_id: int, actor):
    s = db_session()
    r = core.get_report(s, actor, report_id)
    return core.report_view(r, core.attachments_by_report(s, [r.id])[r.id], mine=r.reporter_id == actor.user_id)


@bp.post("/complaints/<int:complaint_id>/public-reply")
@operation(summary="商家公开回复（被投诉商家的员工或其 API 密钥）：展示在已公开的案例旁；再次提交即修改（替换）",
           body=PublicReplyIn, response=PublicReplyOut, tags=("complaints",), errors=(403, 404, 422),
           api_key=True)
def post_public_reply(complaint_id: int, body: PublicReplyIn, actor):
    s = db_session()
    c = get_visible_complaint(s, actor, complaint_id, for_update=True)
    reply = core.do_set_public_reply(s, settings(), actor, c, body.text)
    s.commit()
    return {"complaint_id": c.id, "business_reply": core.reply_json(reply)}


@bp.get("/complaints/<int:complaint_id>/receipt.pdf")
@operation(summary="投诉受理回执（PDF；投诉人、投诉所在辖区的调解员、管理员），附核验真伪的二维码",
           tags=("complaints",), errors=(403, 404), content_type="application/pdf")
def receipt(complaint_id: int, actor):
    from server.core.complaints.visibility import parties
    from server.core.errors import Forbidden
    from server.core.models import User, utcnow
    from server.core.receipt import render_receipt

    s = db_session()
    c = get_visible_complaint(s, actor, complaint_id)
    if not parties(actor, c) & {"consumer", "mediator"}:
        raise Forbidden("只有投诉人和调解员可以下载投诉受理回执")
    consumer = s.get(User, c.consumer_id) if c.consumer_id else None
    pdf = render_receipt(settings(), c, consumer.display_name if consumer else None, utcnow())
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="receipt-{c.public_no}.pdf"', "Cache-Control": "no-store"})
