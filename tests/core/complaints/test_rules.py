"""Rule sets by the day of acceptance (SAMR Order 121 from 2026-04-15, Shanghai time): the recorded rule
set decides the mediation deadline for good."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from server.core.complaints.rules import BY_CODE, rule_set_for
from server.core.timeutil import add_working_days


def test_the_rule_set_follows_the_day_of_acceptance_in_shanghai():
    assert rule_set_for(datetime(2026, 4, 14, 15, 59, tzinfo=UTC)).code == "samr-2022"  # 23:59 on the 14th
    assert rule_set_for(datetime(2026, 4, 14, 16, 0, tzinfo=UTC)).code == "samr-121"   # 00:00 on the 15th
    assert rule_set_for(datetime(2025, 1, 1, tzinfo=UTC)).code == "samr-2022"


def test_mediation_ends_60_days_after_acceptance_under_order_121_and_after_45_working_days_before():
    accepted = datetime(2026, 9, 1, 2, 0, tzinfo=UTC)
    assert BY_CODE["samr-121"].mediation_deadline(accepted) == accepted + timedelta(days=60)
    old = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    deadline = BY_CODE["samr-2022"].mediation_deadline(old)
    assert deadline == add_working_days(old, 45)
    assert deadline - old > timedelta(days=60)  # 45 working days (with the Qingming and May Day holidays)


def test_a_complaint_records_its_rules_and_the_public_can_read_them(client, auth):
    from tests.factories import act, file_complaint

    owner, biz = auth.business()
    consumer, mediator = auth.consumer(), auth.mediator()
    c = file_complaint(client, consumer, biz["id"])
    assert c["rule_set"] is None
    accepted = act(client, mediator, c["id"], "accept")
    assert accepted["rule_set"] == rule_set_for(datetime.now(UTC)).code
    rules = client.get("/api/v1/public/rules").get_json()["items"]
    assert [r["code"] for r in rules] == ["samr-2022", "samr-121"]
    order121 = rules[1]
    assert order121["effective_from"] == "2026-04-15" and order121["mediation"] == {
        "days": 60, "working_days": False, "text": "调解自受理之日起 60 日内终结"}
