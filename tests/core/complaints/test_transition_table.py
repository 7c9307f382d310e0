"""The transition table of API.md, checked in core without HTTP: every action from every state by every
party. The expected table below is written out from API.md's lifecycle section, not derived from
`server.core.complaints.states`, so a changed source state, party or target shows up here."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from server.core.actor import Actor
from server.core.complaints.actions import allowed_actions, check_transition
from server.core.complaints.states import ALL_STATES, SYSTEM_TRANSITIONS, USER_TRANSITIONS
from server.core.errors import Forbidden, InvalidTransition, NotFound, ValidationFailed
from server.core.models import Complaint

OPEN = ("submitted", "accepted", "forwarded", "responded", "mediating")

# action: (who, from states, to state or None when the state stays, a note is required)
EXPECTED = {
    "accept": ("mediator", ("submitted",), "accepted", False),
    "reject": ("mediator", ("submitted",), "rejected", True),
    "respond": ("business", ("forwarded",), "responded", True),
    "propose": ("business", ("mediating",), None, True),
    "confirm": ("consumer", ("responded",), "resolved", False),
    "dispute": ("consumer", ("responded",), "mediating", False),
    "mediate_success": ("mediator", ("mediating",), "resolved", False),
    "mediate_fail": ("mediator", ("mediating",), "unresolved", True),
    "withdraw": ("consumer", OPEN, "withdrawn", False),
    "rate": ("consumer", ("resolved", "unresolved"), "closed", False),
    # "The complete case": transfer to another region's association, reopen once within REOPEN_DAYS,
    # pause the clock with a reason and resume it.
    "transfer": ("mediator", OPEN, None, True),
    "reopen": ("consumer", ("resolved", "closed"), "mediating", True),
    "pause": ("mediator", OPEN, None, False),
    "resume": ("mediator", OPEN, None, False),
    # A request for materials pauses the clock for MATERIALS_DAYS; the consumer's supplement resumes it.
    "request_materials": ("mediator", OPEN, None, True),
    "supplement": ("consumer", OPEN, None, True),
    # The answer to the fulfilment check, once, only after it was sent: kept (the state stays) or not kept
    # (with a note: back to mediation).
    "fulfilled": ("consumer", ("resolved", "closed"), None, False),
    "not_fulfilled": ("consumer", ("resolved", "closed"), "mediating", True),
}
EXPECTED_SYSTEM = {
    "forward": (("accepted",), "forwarded"),
    "to_mediation": (("accepted",), "mediating"),
    "auto_accept": (("submitted",), "accepted"),
    "response_timeout": (("forwarded",), "mediating"),
    "confirm_timeout": (("responded",), "resolved"),
    "mediation_timeout": (("mediating",), "unresolved"),
    "close": (("resolved", "unresolved", "rejected", "withdrawn"), "closed"),
    "deadline_reminder": (("forwarded",), None),
    # the consumer erased the account (server/core/erasure.py; docs/security.md, "Privacy")
    "withdraw": (OPEN, "withdrawn"),
    # requested materials never came (MATERIALS_DAYS)
    "materials_timeout": (OPEN, "rejected"),
    # FULFILMENT_CHECK_DAYS after a resolution with an amount or a promise: the consumer is asked, once
    "fulfilment_check": (("resolved", "closed"), None),
}

CONSUMER = Actor(user=SimpleNamespace(id=1), kind="consumer")
STAFF = Actor(user=SimpleNamespace(id=2), kind="business_staff", business_ids=frozenset({7}))
OTHER_STAFF = Actor(user=SimpleNamespace(id=3), kind="business_staff", business_ids=frozenset({8}))
MEDIATOR = Actor(user=SimpleNamespace(id=4), kind="mediator", region_code="1101")
FAR_MEDIATOR = Actor(user=SimpleNamespace(id=5), kind="mediator", region_code="3101")
ADMIN = Actor(user=SimpleNamespace(id=6), kind="admin")
PARTY_OF = {"consumer": CONSUMER, "business": STAFF, "mediator": MEDIATOR}


def complaint(status: str, paused: bool = False, materials: bool = False, checked: bool = False) -> Complaint:
    # Ended (resolved) yesterday, so that reopen's window is open for resolved and closed.
    return Complaint(id=1, consumer_id=1, business_id=7, region_code="110105", status=status,
                     forwarded_at=datetime(2026, 10, 1, tzinfo=UTC), went_to_mediation=False,
                     ended_at=datetime.now(UTC) - timedelta(days=1), outcome="resolved", paused=paused,
                     paused_at=datetime.now(UTC) if paused else None, paused_seconds=0,
                     materials_due_at=datetime.now(UTC) + timedelta(days=10) if materials else None,
                     fulfilment_checked_at=datetime.now(UTC) if checked else None, fulfilment=None)


def test_the_table_names_exactly_the_documented_actions():
    assert set(USER_TRANSITIONS) == set(EXPECTED)
    assert set(SYSTEM_TRANSITIONS) == set(EXPECTED_SYSTEM)
    for action, (sources, target) in EXPECTED_SYSTEM.items():
        t = SYSTEM_TRANSITIONS[action]
        assert (set(t.sources), t.target) == (set(sources), target), action


@pytest.mark.parametrize("action", sorted(EXPECTED))
@pytest.mark.parametrize("status", ALL_STATES)
@pytest.mark.parametrize("party", ["consumer", "business", "mediator"])
def test_each_action_from_each_state_by_each_party(action, status, party):
    who, sources, target, note_required = EXPECTED[action]
    actor, c = PARTY_OF[party], complaint(status, paused=action in ("resume", "supplement"),
                                          materials=action == "supplement",
                                          checked=action in ("fulfilled", "not_fulfilled"))
    kwargs = {"note": "理由", "amount_recovered_fen": None, "rating": 5, "region_code": "310101",
              "reason": "testing"}
    if party == who and status in sources:
        t = check_transition(actor, c, action, **kwargs)
        assert t.target == target
        assert action in allowed_actions(actor, c)
        if note_required:
            with pytest.raises(ValidationFailed):
                check_transition(actor, c, action, **{**kwargs, "note": "  "})
    else:
        error = Forbidden if party != who else InvalidTransition
        with pytest.raises(error) as exc:
            check_transition(actor, c, action, **kwargs)
        assert action not in allowed_actions(actor, c)
        # The refusal tells the caller what they can do instead.
        assert exc.value.extra["allowed_actions"] == allowed_actions(actor, c)


@pytest.mark.parametrize("actor", [OTHER_STAFF, FAR_MEDIATOR, Actor(user=SimpleNamespace(id=9), kind="consumer")],
                         ids=["staff of another business", "mediator of another region", "another consumer"])
def test_outsiders_are_told_the_complaint_does_not_exist(actor):
    for action in EXPECTED:
        with pytest.raises(NotFound):
            check_transition(actor, complaint("mediating"), action, note="x", amount_recovered_fen=None, rating=5)


def test_admin_acts_as_mediator_anywhere():
    c = complaint("submitted")
    assert check_transition(ADMIN, c, "accept", note=None, amount_recovered_fen=None, rating=None).target == "accepted"
    with pytest.raises(Forbidden):
        check_transition(ADMIN, complaint("responded"), "confirm", note=None, amount_recovered_fen=None, rating=None)


def test_a_business_does_not_act_before_the_complaint_reaches_it():
    c = complaint("submitted")
    c.forwarded_at = None
    with pytest.raises(NotFound):
        check_transition(STAFF, c, "respond", note="x", amount_recovered_fen=None, rating=None)


def test_rating_is_required_and_unknown_actions_are_named():
    with pytest.raises(ValidationFailed):
        check_transition(CONSUMER, complaint("resolved"), "rate", note=None, amount_recovered_fen=None, rating=None)
    with pytest.raises(ValidationFailed) as exc:
        check_transition(CONSUMER, complaint("resolved"), "explode", note=None, amount_recovered_fen=None, rating=1)
    assert "未知操作：explode" in exc.value.extra["errors"][0]["message"]


@pytest.mark.parametrize("status", OPEN)
def test_pause_and_resume_follow_the_clock(status):
    running, paused = complaint(status), complaint(status, paused=True)
    assert "pause" in allowed_actions(MEDIATOR, running) and "resume" not in allowed_actions(MEDIATOR, running)
    assert "resume" in allowed_actions(MEDIATOR, paused) and "pause" not in allowed_actions(MEDIATOR, paused)
    with pytest.raises(InvalidTransition):
        check_transition(MEDIATOR, paused, "pause", note=None, amount_recovered_fen=None, rating=None,
                         reason="testing")
    with pytest.raises(InvalidTransition):
        check_transition(MEDIATOR, running, "resume", note=None, amount_recovered_fen=None, rating=None)
    with pytest.raises(ValidationFailed):  # a pause needs its reason
        check_transition(MEDIATOR, running, "pause", note=None, amount_recovered_fen=None, rating=None)


def test_materials_are_supplemented_only_when_requested():
    running, requested = complaint("mediating"), complaint("mediating", paused=True, materials=True)
    assert "supplement" not in allowed_actions(CONSUMER, running)
    assert "supplement" in allowed_actions(CONSUMER, requested)
    assert "request_materials" not in allowed_actions(MEDIATOR, requested)
    assert "resume" in allowed_actions(MEDIATOR, requested)
    with pytest.raises(InvalidTransition):
        check_transition(CONSUMER, running, "supplement", note="发票", amount_recovered_fen=None, rating=None)


def test_transfer_needs_another_county():
    for code in (None, "110105", "1101", "999999"):
        with pytest.raises(ValidationFailed):
            check_transition(MEDIATOR, complaint("mediating"), "transfer", note="辖区错误", amount_recovered_fen=None,
                             rating=None, region_code=code)


def test_reopen_once_within_the_window_and_only_after_a_resolution():
    now = datetime.now(UTC)
    c = complaint("closed")
    c.ended_at = now - timedelta(days=31)
    assert "reopen" not in allowed_actions(CONSUMER, c)
    with pytest.raises(InvalidTransition) as exc:
        check_transition(CONSUMER, c, "reopen", note="未履行", amount_recovered_fen=None, rating=None)
    assert "30 日" in exc.value.detail
    assert "reopen" in allowed_actions(CONSUMER, c, settings={"REOPEN_DAYS": 40})
    c = complaint("resolved")
    c.reopened_at = now
    with pytest.raises(InvalidTransition):
        check_transition(CONSUMER, c, "reopen", note="又没履行", amount_recovered_fen=None, rating=None)
    for outcome in ("rejected", "withdrawn", "unresolved"):
        c = complaint("closed")
        c.outcome = outcome
        assert "reopen" not in allowed_actions(CONSUMER, c)


def test_a_refusal_names_status_and_action_in_chinese():
    with pytest.raises(InvalidTransition) as exc:
        check_transition(CONSUMER, complaint("forwarded"), "confirm", note=None, amount_recovered_fen=None, rating=None)
    assert exc.value.detail == "投诉当前状态为“待商家处理”，不能执行“确认解决”"


def test_the_fulfilment_question_is_answered_once_and_only_after_it_was_asked():
    for status in ("resolved", "closed"):
        not_asked, asked = complaint(status), complaint(status, checked=True)
        assert {"fulfilled", "not_fulfilled"} & set(allowed_actions(CONSUMER, not_asked)) == set()
        with pytest.raises(InvalidTransition) as exc:
            check_transition(CONSUMER, not_asked, "not_fulfilled", note="未退款", amount_recovered_fen=None, rating=None)
        assert exc.value.detail == "尚未询问商家是否履行和解承诺"
        assert {"fulfilled", "not_fulfilled"} <= set(allowed_actions(CONSUMER, asked))
        with pytest.raises(ValidationFailed):  # not kept: the note is required
            check_transition(CONSUMER, asked, "not_fulfilled", note=" ", amount_recovered_fen=None, rating=None)
        asked.fulfilment = "fulfilled"
        assert {"fulfilled", "not_fulfilled"} & set(allowed_actions(CONSUMER, asked)) == set()
        with pytest.raises(InvalidTransition) as exc:
            check_transition(CONSUMER, asked, "not_fulfilled", note="又没退", amount_recovered_fen=None, rating=None)
        assert exc.value.detail == "已回答过商家是否履行和解承诺"
    # Asked about a resolution that was reopened and resolved again since: that question is over.
    later = complaint("resolved", checked=True)
    later.ended_at = later.fulfilment_checked_at + timedelta(hours=1)
    assert "fulfilled" not in allowed_actions(CONSUMER, later)
    # The business and the mediator never answer it.
    for who in (STAFF, MEDIATOR):
        with pytest.raises(Forbidden):
            check_transition(who, complaint("resolved", checked=True), "fulfilled", note=None,
                             amount_recovered_fen=None, rating=None)
