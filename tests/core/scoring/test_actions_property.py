"""Incremental index updates equal a full recompute, over random complaint lifecycles driven through the real
do_transition / do_system_step on the database (SQLite, or PostgreSQL with TEST_DATABASE_URL)."""
from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import select

from server.core.actor import actor_for_user
from server.core.appeals import do_decide_appeal, do_file_appeal
from server.core.complaints.actions import (
    do_create_complaint,
    do_post_message,
    do_system_step,
    do_transition,
    fulfilment_blocked,
)
from server.core.complaints.fulfilment import do_fulfilment_check
from server.core.models import Appeal, Business, BusinessIndex, BusinessMember, Complaint, IndexHistory, User
from server.core.scoring.actions import recompute_all
from tests.factories import credit_code

BASE = datetime(2026, 3, 9, 2, 0, tzinfo=UTC)
_seq = itertools.count(1)

# Moves available in each state: (who, action); who is consumer | business | mediator | system | message.
MOVES = {
    "submitted": [("mediator", "accept"), ("mediator", "accept"), ("mediator", "reject"), ("system", "auto_accept"),
                  ("consumer", "withdraw")],
    "forwarded": [("business", "respond"), ("business", "respond"), ("system", "response_timeout"),
                  ("consumer", "withdraw"), ("system", "deadline_reminder")],
    "responded": [("consumer", "confirm"), ("consumer", "dispute"), ("system", "confirm_timeout"),
                  ("consumer", "withdraw")],
    "mediating": [("business", "propose"), ("message", "message"), ("mediator", "mediate_success"),
                  ("mediator", "mediate_fail"), ("system", "mediation_timeout"), ("consumer", "withdraw")],
    # The fulfilment check (when the resolution expects it) and its answers (once the check was sent).
    "resolved": [("consumer", "rate"), ("system", "close"), ("fulfil", "check"), ("fulfil", "fulfilled"),
                 ("fulfil", "not_fulfilled"), ("fulfil", "not_fulfilled")],
    "unresolved": [("consumer", "rate"), ("system", "close")],
    "rejected": [("system", "close")],
    "withdrawn": [("system", "close")],
    "closed": [("fulfil", "check"), ("fulfil", "not_fulfilled"), ("fulfil", "fulfilled")],
}
NOTES = {"reject": "不属于受理范围", "respond": "同意退款", "propose": "提出调解方案", "mediate_fail": "双方未达成一致",
         "not_fulfilled": "退款未到账"}


def _world(session, settings):
    """Three businesses (two industries, one not verified), their staff, a consumer and an admin mediator."""
    n = next(_seq)
    admin = User(kind="admin", display_name="管理员", username=f"prop-admin-{n}")
    consumer = User(kind="consumer", display_name="王小明")
    staff = User(kind="business_staff", display_name="客服")
    session.add_all([admin, consumer, staff])
    session.flush()
    businesses = []
    for i, (industry, status) in enumerate((("online_shopping", "verified"), ("online_shopping", "verified"),
                                            ("food", "verified"), ("food", "pending"))):
        b = Business(name=f"测试商家{n}-{i}", credit_code=credit_code(10_000 + n * 10 + i), industry_code=industry,
                     region_code="110105", status=status)
        session.add(b)
        session.flush()
        session.add(BusinessMember(business_id=b.id, user_id=staff.id, role="owner"))
        businesses.append(b)
    session.flush()
    return {"consumer": actor_for_user(session, consumer), "mediator": actor_for_user(session, admin),
            "business": actor_for_user(session, staff)}, businesses


def _snapshot(session):
    rows = session.execute(select(BusinessIndex)).scalars().all()
    out = {r.business_id: (r.score, r.grade, r.insufficient, r.components, r.counts, r.n_complaints,
                           r.industry_code, r.formula_version) for r in rows}
    hist = {(h.business_id, h.period): (h.score, h.grade, h.n_complaints)
            for h in session.execute(select(IndexHistory)).scalars()}
    return out, hist


op = st.tuples(st.integers(0, 7), st.integers(0, 11), st.integers(0, 400))


@hsettings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                    HealthCheck.too_slow])
@given(ops=st.lists(op, min_size=5, max_size=60), complaints=st.lists(st.integers(0, 3), min_size=3, max_size=8),
       snapshot_at=st.integers(0, 60))
def test_incremental_equals_full_recompute(db, settings, complaints, ops, snapshot_at):
    with db.session() as s:
        actors, businesses = _world(s, settings)
        now = BASE
        made: list[Complaint] = []
        for i, target in enumerate(complaints):
            b = businesses[target]
            c = do_create_complaint(s, settings, actors["consumer"], {
                "business_id": b.id, "industry_code": b.industry_code, "region_code": "110105",
                "category": "quality", "title": f"投诉{i}", "description": "商品有质量问题，要求退款。",
                "demands": ["refund"], "public_consent": bool(i % 2)}, now=now).complaint
            made.append(c)
        for step, (which, choice, hours) in enumerate(ops):
            if step == snapshot_at:
                # The daily job retakes the industry-means snapshot; later increments must read it too.
                recompute_all(s, settings, now, refresh_means=True)
            now += timedelta(hours=hours)
            c = made[which % len(made)]
            moves = MOVES[c.status]
            if c.status == "mediating" and not c.went_to_mediation:
                moves = [m for m in moves if m[0] not in ("business", "message")]  # business not party yet
            if (c.forwarded_at is not None or c.went_to_mediation) and not c.index_excluded:
                # The business may appeal, a mediator decide (upheld leaves the index, rejected counts).
                moves = [*moves, ("appeal", "file"), ("appeal", "decide")]
            if not moves:
                continue
            who, action = moves[choice % len(moves)]
            if who == "fulfil":
                if action == "check":
                    if not c.fulfilment_expected or c.fulfilment_checked_at is not None:
                        continue
                    do_fulfilment_check(s, settings, c, now)
                else:
                    if fulfilment_blocked(c) is not None:
                        continue
                    do_transition(s, settings, actors["consumer"], c, action, note=NOTES.get(action), now=now)
            elif who == "appeal":
                pending = s.execute(select(Appeal).where(Appeal.complaint_id == c.id, Appeal.state == "pending")
                                    ).scalar_one_or_none()
                if pending is None:
                    do_file_appeal(s, settings, actors["business"], c, "malicious", None, now=now)
                else:
                    do_decide_appeal(s, settings, actors["mediator"], c, pending.id, bool(hours % 2), None, now=now)
            elif who == "system":
                do_system_step(s, settings, c, action, now)
            elif who == "message":
                do_post_message(s, settings, actors["business"], c, "我们愿意配合调解", now=now)
            else:
                amount = 10000 if action in ("confirm", "mediate_success") else None
                do_transition(s, settings, actors[who], c, action, note=NOTES.get(action),
                              amount_recovered_fen=amount, rating=(choice % 5) + 1 if action == "rate" else None,
                              now=now)
        s.flush()
        incremental = _snapshot(s)
        summary = recompute_all(s, settings, now)
        full = _snapshot(s)
        ids = {b.id for b in businesses}
        touched = {c.business_id for c in made if c.forwarded_at is not None}
        # Every business the lifecycle touched has an incrementally maintained row, equal to the full one.
        for bid in touched:
            assert bid in incremental[0]
            assert incremental[0][bid] == full[0][bid], bid
        for key in incremental[0].keys() & full[0].keys():
            assert incremental[0][key] == full[0][key]
        for key, value in incremental[1].items():
            assert full[1][key] == value
        assert summary["businesses"] >= len(ids)
        # The full recompute only had to write rows that had never been computed (untouched businesses).
        assert summary["changed"] == len(full[0].keys() - incremental[0].keys())
        s.rollback()
