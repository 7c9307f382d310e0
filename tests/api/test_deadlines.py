"""Deadlines on working days, applied by `smart315 scheduler --once --now`, once, as events by `system`."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import select

from server.core.models import Complaint, ComplaintEvent
from server.core.timeutil import SHANGHAI, add_working_days
from tests.factories import act, file_complaint

ROOT = Path(__file__).resolve().parents[2]


def run_scheduler(settings, now: str) -> dict:
    env = {**os.environ, "DATABASE_URL": settings["DATABASE_URL"], "SECRET_KEY": settings["SECRET_KEY"],
           "FIELD_ENCRYPTION_KEY": settings["FIELD_ENCRYPTION_KEY"]}
    env.pop("REDIS_URL", None)
    out = subprocess.run([sys.executable, "-m", "server.cli", "scheduler", "--once", "--now", now], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_working_days_skip_national_day_and_count_adjusted_saturday():
    # 2026 National Day: Oct 1-7 off; Saturday Oct 10 is an adjusted working day.
    start = datetime(2026, 9, 30, 10, 0, tzinfo=SHANGHAI)
    assert add_working_days(start, 1).astimezone(SHANGHAI).date() == date(2026, 10, 8)
    assert add_working_days(start, 3).astimezone(SHANGHAI).date() == date(2026, 10, 10)
    # Beyond the calendar's years: Monday to Friday.
    fri = datetime(2027, 3, 5, 9, 0, tzinfo=SHANGHAI)
    assert add_working_days(fri, 1).astimezone(SHANGHAI).date() == date(2027, 3, 8)


def events(session, cid):
    return [(e.action, e.actor_role) for e in session.execute(
        select(ComplaintEvent).where(ComplaintEvent.complaint_id == cid).order_by(ComplaintEvent.seq)).scalars()]


def test_every_deadline_applied_by_the_scheduler(client, auth, settings, db):
    owner, biz = auth.business()
    consumer = auth.consumer()
    mediator = auth.mediator("1101")
    untouched = file_complaint(client, consumer, biz["id"])                 # submitted: auto-accept after 7 wd
    silent = file_complaint(client, consumer, biz["id"])                    # forwarded: business never answers
    act(client, mediator, silent["id"], "accept")
    answered = file_complaint(client, consumer, biz["id"])                  # responded: consumer never answers
    act(client, mediator, answered["id"], "accept")
    act(client, owner, answered["id"], "respond", note="退款")

    far = datetime.now(UTC).replace(microsecond=0)
    far = far.replace(year=far.year + 1).astimezone(SHANGHAI).isoformat()
    done = run_scheduler(settings, far)
    assert done["auto_accept"] == 1 and done["response_timeout"] >= 2 and done["confirm_timeout"] == 1
    with db.session() as s:
        by_id = {c.id: c for c in s.execute(select(Complaint)).scalars()}
        # A year later every complaint has run its course: mediation timed out, then closed.
        assert by_id[untouched["id"]].status == "closed"
        assert [a for a, r in events(s, untouched["id"]) if r == "system"] == [
            "auto_accept", "forward", "response_timeout", "mediation_timeout", "close"]
        # The business's answer stood (视为解决): a promise, so the consumer is asked once whether it was kept.
        assert [a for a, r in events(s, answered["id"]) if r == "system"] == [
            "forward", "confirm_timeout", "close", "fulfilment_check"]
        assert by_id[answered["id"]].outcome == "resolved"
        assert by_id[silent["id"]].outcome == "unresolved"
    # Running again at the same time applies nothing twice.
    again = run_scheduler(settings, far)
    assert {k: v for k, v in again.items() if not k.startswith("job:")} == {}


def test_two_schedulers_at_once_apply_each_step_once(client, auth, settings, db):
    owner, biz = auth.business()
    mediator = auth.mediator("1101")
    consumers = [auth.consumer(name=f"用户{i}") for i in range(4)]
    ids = []
    for i in range(24):
        c = file_complaint(client, consumers[i % 4], biz["id"])
        act(client, mediator, c["id"], "accept")
        ids.append(c["id"])
    env = {**os.environ, "DATABASE_URL": settings["DATABASE_URL"], "SECRET_KEY": "test-secret",
           "FIELD_ENCRYPTION_KEY": "test-field-key"}
    env.pop("REDIS_URL", None)
    far = datetime.now(UTC).astimezone(SHANGHAI).replace(microsecond=0)
    far = far.replace(year=far.year + 1).isoformat()
    procs = [subprocess.Popen([sys.executable, "-m", "server.cli", "scheduler", "--once", "--now", far], cwd=ROOT,
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    for p in procs:
        _out, err = p.communicate(timeout=180)
        assert p.returncode == 0, err
    with db.session() as s:
        for cid in ids:
            system = [a for a, r in events(s, cid) if r == "system"]
            assert system == ["forward", "response_timeout", "mediation_timeout", "close"], (cid, system)
