"""The stored index follows each complaint change; weights, the means snapshot, history and jobs."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from server.core.actor import actor_for_user
from server.core.complaints.actions import do_create_complaint, do_post_message, do_system_step, do_transition
from server.core.errors import ValidationFailed
from server.core.models import (
    Business,
    BusinessIndex,
    BusinessMember,
    Disclosure,
    IndexHistory,
    IndustryMean,
    User,
)
from server.core.scoring.actions import do_set_weights, get_weights, recompute_all
from server.core.scoring.formula import DEFAULT_WEIGHTS, NEUTRAL_PRIOR
from tests.factories import credit_code

NOW = datetime(2026, 3, 9, 2, 0, tzinfo=UTC)


class World:
    def __init__(self, session, settings, industry="online_shopping", n=0):
        self.s, self.settings = session, settings
        admin = User(kind="admin", display_name="管理员", username=f"unit-admin-{n}")
        consumer = User(kind="consumer", display_name="李四")
        staff = User(kind="business_staff", display_name="客服")
        session.add_all([admin, consumer, staff])
        session.flush()
        self.business = Business(name=f"单元测试商家{n}", credit_code=credit_code(50_000 + n), industry_code=industry,
                                 region_code="110105", status="verified")
        session.add(self.business)
        session.flush()
        session.add(BusinessMember(business_id=self.business.id, user_id=staff.id, role="owner"))
        session.flush()
        self.consumer = actor_for_user(session, consumer)
        self.mediator = actor_for_user(session, admin)
        self.staff = actor_for_user(session, staff)

    def forwarded(self, now=NOW):
        c = do_create_complaint(self.s, self.settings, self.consumer, {
            "business_id": self.business.id, "industry_code": self.business.industry_code, "region_code": "110105",
            "category": "quality", "title": "手机坏了", "description": "要求退款", "demands": ["refund"]}, now=now).complaint
        do_transition(self.s, self.settings, self.mediator, c, "accept", now=now)
        assert c.status == "forwarded"
        return c

    def settled(self, now=NOW, rating=5, hours=2):
        c = self.forwarded(now)
        do_transition(self.s, self.settings, self.staff, c, "respond", note="同意退款", now=now + timedelta(hours=hours))
        do_transition(self.s, self.settings, self.consumer, c, "confirm", amount_recovered_fen=100,
                      now=now + timedelta(hours=hours + 1))
        if rating:
            do_transition(self.s, self.settings, self.consumer, c, "rate", rating=rating,
                          now=now + timedelta(hours=hours + 2))
        return c

    @property
    def index(self) -> BusinessIndex:
        return self.s.get(BusinessIndex, self.business.id)


def test_index_moves_with_each_transition(session, settings):
    w = World(session, settings)
    assert w.index is None  # nothing forwarded yet
    c = w.forwarded()
    idx = w.index
    assert idx.n_complaints == 1 and idx.insufficient and idx.grade is None
    assert idx.counts["pending"] == 1 and idx.counts["due"] == 0
    before = idx.score
    do_transition(session, settings, w.staff, c, "respond", note="同意退款", now=NOW + timedelta(hours=3))
    assert w.index.counts["answered_on_time"] == 1 and w.index.counts["median_response_hours"] == 3.0
    assert w.index.score > before
    for i in range(4):
        w.settled(NOW + timedelta(days=i + 1))
    idx = w.index
    assert idx.n_complaints == 5 and not idx.insufficient and idx.grade in "ABCDE"
    assert set(idx.components) == set(DEFAULT_WEIGHTS)
    assert idx.counts["settlement"] == 5 and idx.counts["settled_direct"] == 4
    assert idx.counts["raw"]["response"] == 100.0
    hist = session.get(IndexHistory, (w.business.id, "2026-03"))
    assert hist.score == idx.score and hist.grade == idx.grade and hist.n_complaints == 5


def test_ignoring_complaints_lowers_the_index(session, settings):
    good, bad = World(session, settings, n=1), World(session, settings, n=2)
    for i in range(6):
        good.settled(NOW + timedelta(hours=i))
        c = bad.forwarded(NOW + timedelta(hours=i))
        do_system_step(session, settings, c, "response_timeout", NOW + timedelta(days=15))
        do_system_step(session, settings, c, "mediation_timeout", NOW + timedelta(days=80))
    assert good.index.score > bad.index.score
    assert bad.index.counts["raw"]["response"] == 0.0 and bad.index.counts["raw"]["cooperation"] == 0.0
    assert bad.index.counts["median_response_hours"] == 336.0


def test_business_message_in_mediation_counts_as_cooperation_at_once(session, settings):
    w = World(session, settings, n=3)
    c = w.forwarded()
    do_system_step(session, settings, c, "response_timeout", NOW + timedelta(days=15))
    assert w.index.counts["mediation_cooperated"] == 0
    do_post_message(session, settings, w.staff, c, "我们愿意配合调解", now=NOW + timedelta(days=16))
    assert w.index.counts["mediation_cooperated"] == 1
    before = dict(w.index.components)
    recompute_all(session, settings, NOW + timedelta(days=16))
    assert session.get(BusinessIndex, w.business.id).components == before


def test_an_unkept_settlement_counts_as_not_settled_in_both_paths(session, settings):
    from server.core.complaints.fulfilment import do_fulfilment_check

    w = World(session, settings, n=4)
    settled = [w.settled(NOW + timedelta(hours=i), rating=None) for i in range(5)]
    mediated = w.forwarded(NOW + timedelta(hours=6))
    do_system_step(session, settings, mediated, "response_timeout", NOW + timedelta(days=15))
    do_transition(session, settings, w.mediator, mediated, "mediate_success", amount_recovered_fen=500,
                  now=NOW + timedelta(days=16))
    before = w.index
    score, counts = before.score, dict(before.counts)
    assert counts["settled_direct"] == 5 and counts["mediation_resolved"] == 1
    later = NOW + timedelta(days=30)
    for c in (settled[0], mediated):
        do_fulfilment_check(session, settings, c, later)
        do_transition(session, settings, w.consumer, c, "not_fulfilled", note="退款未到账", now=later)
        assert c.status == "mediating"
    idx = w.index
    assert idx.counts["settled_direct"] == 4
    assert idx.counts["mediation_ended"] == 1 and idx.counts["mediation_resolved"] == 0
    assert idx.score < score
    # Mediated to success again: still not the settlement it was.
    do_transition(session, settings, w.mediator, mediated, "mediate_success", now=later + timedelta(days=1))
    assert w.index.counts["mediation_resolved"] == 0
    incremental = (w.index.score, dict(w.index.components), dict(w.index.counts))
    recompute_all(session, settings, later + timedelta(days=1))
    again = session.get(BusinessIndex, w.business.id)
    assert (again.score, again.components, again.counts) == incremental


def test_means_snapshot_is_shared_until_refreshed(session, settings):
    w = World(session, settings, n=4)
    for i in range(3):
        w.settled(NOW + timedelta(hours=i), rating=1)
    # No snapshot yet: components without data of its own take the neutral prior on both paths.
    assert session.get(IndustryMean, "online_shopping") is None
    assert w.index.components["mediation"] == NEUTRAL_PRIOR
    summary = recompute_all(session, settings, NOW + timedelta(hours=5))
    assert summary["changed"] == 0 and not summary["means_refreshed"]
    summary = recompute_all(session, settings, NOW + timedelta(hours=5), refresh_means=True)
    mean = session.get(IndustryMean, "online_shopping").components
    assert mean["satisfaction"] == 0.0 and mean["settlement"] == 100.0
    assert summary["changed"] >= 1
    assert session.get(BusinessIndex, w.business.id).components["satisfaction"] == 0.0
    # The next incremental update reads the new snapshot: it agrees with a full recompute again.
    w.settled(NOW + timedelta(hours=6), rating=5)
    assert recompute_all(session, settings, NOW + timedelta(hours=9))["changed"] == 0


def test_weights_are_validated_and_recompute_everyone(session, settings):
    w = World(session, settings, n=5)
    for i in range(5):
        w.settled(NOW + timedelta(hours=i), rating=1)
    before = w.index.score
    with pytest.raises(ValidationFailed):
        do_set_weights(session, settings, {"response": 1})
    with pytest.raises(ValidationFailed):
        do_set_weights(session, settings, {**DEFAULT_WEIGHTS, "bogus": 3})
    with pytest.raises(ValidationFailed):
        do_set_weights(session, settings, {name: 0 for name in DEFAULT_WEIGHTS})
    only_satisfaction = {name: 0 for name in DEFAULT_WEIGHTS} | {"satisfaction": 1}
    summary = do_set_weights(session, settings, only_satisfaction, now=NOW + timedelta(hours=6))
    assert get_weights(session)["satisfaction"] == 1.0
    assert summary["changed"] >= 1
    idx = session.get(BusinessIndex, w.business.id)
    assert idx.score == idx.components["satisfaction"] < before


def test_scheduler_runs_index_and_disclosure_jobs(db, settings):
    from server.tasks.scheduler import tick

    with db.session() as s:
        w = World(s, settings, n=6)
        for i in range(5):
            w.settled(NOW + timedelta(hours=i))
        bid = w.business.id
        s.commit()
    done = tick(db, settings, now=datetime(2026, 4, 1, 1, 0, tzinfo=UTC))
    assert done["job:index.recompute"] == 1 and done["job:index.refresh_means"] == 1
    assert done["job:disclosure.monthly"] == 1
    with db.session() as s:
        d = s.get(Disclosure, "2026-03")
        assert d is not None and d.csv_bytes.startswith("\ufeff".encode())
        assert "单元测试商家6" in d.csv_bytes.decode("utf-8-sig")
        periods = set(s.execute(select(IndexHistory.period).where(IndexHistory.business_id == bid)).scalars())
        assert {"2026-03", "2026-04"} <= periods
