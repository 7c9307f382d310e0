"""The business's details and the consumer's contact (issue 18.4): a mediator links a complaint to a platform
business; the business's staff (or a mediator) reveal the consumer's phone, each reveal on the timeline."""
from __future__ import annotations

from flask import Blueprint

from server.api.contact_schemas import ContactRevealOut, LinkBusinessIn
from server.api.context import db_session, settings
from server.api.operation import operation
from server.api.schemas import ComplaintOut
from server.api.serializers import attachments_of, complaint_json
from server.core.complaints import business_details as core
from server.core.complaints.visibility import get_visible_complaint

bp = Blueprint("contact", __name__)


@bp.post("/complaints/<int:complaint_id>/link-business")
@operation(summary="为未关联商家的投诉关联平台商家（投诉所在地区的调解员、管理员）：未受理的投诉受理后转交该商家；"
                   "已在调解中、从未转交商家的投诉立即转交该商家处理；已关联时 409",
           body=LinkBusinessIn, response=ComplaintOut, tags=("complaints",), errors=(403, 404, 409, 422))
def link_business(complaint_id: int, body: LinkBusinessIn, actor):
    s = db_session()
    c = get_visible_complaint(s, actor, complaint_id, for_update=True)
    timeline = core.do_link_business(s, settings(), actor, c, body.business_id)
    attachments = attachments_of(s, c.id)
    s.commit()
    return complaint_json(s, actor, c, with_timeline=True, attachments=attachments, timeline=timeline)


@bp.post("/complaints/<int:complaint_id>/contact/reveal")
@operation(summary="查看消费者的完整手机号（被投诉商家的员工：仅消费者选择电话联系且投诉未办结时；"
                   "投诉所在地区的调解员、管理员）；每次查看记入时间线",
           response=ContactRevealOut, tags=("complaints",), errors=(403, 404, 409))
def reveal_contact(complaint_id: int, actor):
    s = db_session()
    c = get_visible_complaint(s, actor, complaint_id, for_update=True)
    phone = core.do_reveal_contact(s, settings(), actor, c)
    s.commit()
    return {"phone": phone}, 200, {"Cache-Control": "no-store"}
