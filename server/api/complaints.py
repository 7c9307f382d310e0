"""Complaints: filing (idempotent), listing and detail by visibility, transitions, the message thread."""
from __future__ import annotations

from flask import Blueprint
from sqlalchemy import or_, select

from server.api.context import db_session, settings
from server.api.idempotency import run_idempotent
from server.api.limits import check_complaint_limit, check_message_limit
from server.api.operation import operation
from server.api.pagination import paginate
from server.api.schemas import (
    ComplaintIn,
    ComplaintList,
    ComplaintOut,
    ComplaintQuery,
    ModerationDecisionIn,
    PageQuery,
    TransitionIn,
)
from server.api.schemas_messages import MessageIn, MessageList, MessageOut
from server.api.serializers import attachments_of, complaint_json, flags_json, message_json, sees_flags
from server.core import collective
from server.core.complaints import abuse, actions
from server.core.complaints.states import OPEN_STATES
from server.core.complaints.visibility import get_visible_complaint, visibility_clause
from server.core.errors import DuplicateComplaint, Forbidden
from server.core.models import Complaint, Message, utcnow
from server.core.money import parse_yuan
from server.core.uploads import message_attachments

bp = Blueprint("complaints", __name__)


@bp.post("/complaints")
@operation(summary="提交投诉（支持 Idempotency-Key，弱网重试不会重复提交）", body=ComplaintIn, response=ComplaintOut,
           status=201, tags=("complaints",), errors=(403, 409, 422, 429), idempotent=True)
def create(body: ComplaintIn, actor):
    if actor.user is None or actor.kind != "consumer" and actor.kind != "business_staff":
        raise Forbidden("只有消费者账号可以提交投诉")
    s = db_session()
    now = utcnow()
    actions.validate_purchase_date(body.purchase_date, now)
    data = body.model_dump()
    data["amount_claimed_fen"] = parse_yuan(body.amount_claimed) if body.amount_claimed not in (None, "") else None

    def do():
        # The duplicate check first, so a refused repeat uses none of the consumer's quota; a replayed
        # Idempotency-Key never reaches here and counts nothing either.
        try:
            screening = abuse.screen(s, settings(), actor.user_id, data, now)
        except DuplicateComplaint as exc:  # the warning offers an open collective case to join instead
            exc.extra["collective_suggestion"] = collective.suggestion(s, [b for b in [body.business_id] if b], actor)
            raise
        check_complaint_limit(actor.user_id)
        filed = actions.do_create_complaint(s, settings(), actor, data, now, screening=screening)
        return complaint_json(s, actor, filed.complaint, with_timeline=True, attachments=filed.attachments,
                              timeline=filed.timeline), 201

    return run_idempotent(actor, "POST /complaints", do)


@bp.get("/complaints")
@operation(summary="投诉列表：消费者看自己的，商家看本商家的，调解员看辖区的，管理员看全部", query=ComplaintQuery,
           response=ComplaintList, tags=("complaints",), api_key=True, errors=(403,))
def list_(query: ComplaintQuery, actor):
    s = db_session()
    stmt = select(Complaint).where(visibility_clause(actor))
    if query.status == "open":
        stmt = stmt.where(Complaint.status.in_(OPEN_STATES))
    elif query.status == "overdue":
        # A paused clock is not overdue (pause / request_materials).
        stmt = stmt.where(Complaint.status.in_(OPEN_STATES), Complaint.deadline_at < utcnow(),
                          Complaint.paused.is_(False))
    elif query.status:
        stmt = stmt.where(Complaint.status == query.status)
    if query.business_id:
        stmt = stmt.where(Complaint.business_id == query.business_id)
    if query.region:
        stmt = stmt.where(Complaint.region_code.startswith(query.region))
    if query.appeal:
        from server.core.appeals import appeal_clause

        stmt = stmt.where(appeal_clause(query.appeal))
    if query.moderation:
        stmt = stmt.where(Complaint.moderation == query.moderation)
    if query.publication:
        stmt = stmt.where(Complaint.public_consent.is_(True), Complaint.publication_state == query.publication)
    if query.flag:
        if not sees_flags(actor):
            raise Forbidden("只有调解员和管理员可以按风险提示筛选投诉")
        stmt = stmt.where(abuse.flag_clause(query.flag))
    if query.collective:
        stmt = stmt.where(or_(Complaint.id == query.collective, Complaint.collective_id == query.collective))
    if query.q:
        like = query.q
        stmt = stmt.where(or_(Complaint.title.contains(like, autoescape=True),
                              Complaint.public_no == like,
                              Complaint.business_name.contains(like, autoescape=True)))
    stmt = stmt.order_by(Complaint.created_at.desc(), Complaint.id.desc())
    flags: dict[int, list] = {}
    leads: dict[int, dict] = {}  # the collective leads of the page (the business console's 集体投诉 badge)

    def prefetch(rows):
        leads.update(collective.collectives(s, rows))
        if sees_flags(actor):
            flags.update(flags_json(s, [c.id for c in rows]))

    return paginate(s, stmt, query.page, query.per_page,
                    lambda c: complaint_json(s, actor, c, flags=flags, collectives=leads), prefetch=prefetch)


@bp.get("/complaints/<int:complaint_id>")
@operation(summary="投诉详情，含时间线和当前可执行的操作", response=ComplaintOut, tags=("complaints",), errors=(404,), api_key=True)
def detail(complaint_id: int, actor):
    s = db_session()
    c = get_visible_complaint(s, actor, complaint_id)
    return complaint_json(s, actor, c, with_timeline=True)


@bp.post("/complaints/<int:complaint_id>/transitions")
@operation(summary="推进投诉流程（accept/reject/respond/confirm/dispute/mediate_success/mediate_fail/withdraw/rate/propose/"
                   "transfer/reopen/pause/resume/request_materials/supplement/fulfilled/not_fulfilled）",
           body=TransitionIn, response=ComplaintOut, tags=("complaints",), errors=(403, 404, 409, 422),
           api_key=True, idempotent=True)
def transition(complaint_id: int, body: TransitionIn, actor):
    # Idempotency-Key (issue 15.12): a retry after a lost answer gets the first answer, not 409.
    def do():
        s = db_session()
        # With its business (routing and the index read it): one statement, the complaint row locked.
        c = get_visible_complaint(s, actor, complaint_id, for_update=True, with_business=True)
        amount = parse_yuan(body.amount_recovered) if body.amount_recovered not in (None, "") else None
        moved = actions.do_transition(s, settings(), actor, c, body.action, note=body.note,
                                      amount_recovered_fen=amount, rating=body.rating,
                                      region_code=body.region_code, reason=body.reason,
                                      attachment_ids=body.attachment_ids)
        members = None
        if body.apply_to_members:  # a collective's lead: the same step for each open member, each on its own
            members = collective.do_transition_members(s, settings(), actor, c, body.action, body.note, utcnow())
        # A transition does not touch attachments: read them in this transaction rather than opening another.
        attachments = attachments_of(s, c.id)
        s.flush()
        out = complaint_json(s, actor, c, with_timeline=True, attachments=attachments, timeline=moved.timeline)
        if members is not None:
            out.update(members_applied=members.applied, members_skipped=members.skipped)
        return out, 200

    return run_idempotent(actor, f"POST /complaints/{complaint_id}/transitions", do)


@bp.post("/complaints/<int:complaint_id>/messages")
@operation(summary="在投诉下给对方留言，可附证据（attachment_ids，最多 9 个，投诉双方均可查看）", body=MessageIn, response=MessageOut, status=201, tags=("complaints",),
           errors=(404, 409, 422, 429), idempotent=True, api_key=True)
def post_message(complaint_id: int, body: MessageIn, actor):
    s = db_session()
    c = get_visible_complaint(s, actor, complaint_id)

    def do():
        check_message_limit(actor)
        m = actions.do_post_message(s, settings(), actor, c, body.body, attachment_ids=body.attachment_ids)
        return message_json(actor, c, m, message_attachments(s, [m.id]).get(m.id, [])), 201

    return run_idempotent(actor, f"POST /complaints/{complaint_id}/messages", do)


@bp.get("/complaints/<int:complaint_id>/messages")
@operation(summary="投诉下的留言", query=PageQuery, response=MessageList, tags=("complaints",), errors=(404,), api_key=True)
def list_messages(complaint_id: int, query: PageQuery, actor):
    s = db_session()
    c = get_visible_complaint(s, actor, complaint_id)
    stmt = select(Message).where(Message.complaint_id == c.id).order_by(Message.created_at, Message.id)
    uploads: dict[int, list] = {}
    return paginate(s, stmt, query.page, query.per_page, lambda m: message_json(actor, c, m, uploads.get(m.id, [])),
                    prefetch=lambda rows: uploads.update(message_attachments(s, [m.id for m in rows])))




@bp.post("/complaints/<int:complaint_id>/moderation")
@operation(summary="内容安全审核（投诉所在辖区的调解员、管理员）：clear=true 放行，向商家和公众恢复展示；"
                   "clear=false 不通过，投诉不再向商家和公众展示，理由记入时间线",
           body=ModerationDecisionIn, response=ComplaintOut, tags=("complaints",), errors=(403, 404, 409))
def moderation_decision(complaint_id: int, body: ModerationDecisionIn, actor):
    from server.core.moderation.holds import do_decide_hold

    s = db_session()
    c = get_visible_complaint(s, actor, complaint_id, for_update=True)
    timeline = do_decide_hold(s, settings(), actor, c, body.clear, body.note)
    attachments = attachments_of(s, c.id)
    s.commit()
    return complaint_json(s, actor, c, with_timeline=True, attachments=attachments, timeline=timeline)
