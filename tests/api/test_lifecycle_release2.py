"""The complete case (API.md, issue 17), followed through time: transfer between regions, reopening
once within REOPEN_DAYS, pausing the clock (paused time does not count; the scheduler skips a paused
complaint) and the consumer's notice of a rejection with its reason."""
from __future__ import annotations

from datetime import datetime, timedelta

from server.core.models import Complaint
from server.core.timeutil import SHANGHAI
from server.tasks.deadlines import apply_due_deadlines
from tests.api.test_deadlines import run_scheduler
from tests.factories import act, file_complaint


def inbox(client, who):
    return client.get("/api/v1/notifications", headers=who.headers).get_json()["items"]


def detail(client, who, cid, expect=200):
    r = client.get(f"/api/v1/complaints/{cid}", headers=who.headers)
    assert r.status_code == expect, r.get_json()
    return r.get_json()


def at(iso: str | None) -> datetime:
    return datetime.fromisoformat(iso)


def test_transfer_moves_the_complaint_to_the_other_regions_mediators(client, auth):
    consumer = auth.consumer()
    beijing, shanghai = auth.mediator("1101"), auth.mediator("3101")
    c = file_complaint(client, consumer)  # 110105, no business on the platform
    assert detail(client, shanghai, c["id"], expect=404)
    assert "transfer" in detail(client, beijing, c["id"])["allowed_actions"]
    # A reason and a real county are required; a refusal changes nothing.
    act(client, beijing, c["id"], "transfer", expect=422, region_code="310101")
    act(client, beijing, c["id"], "transfer", expect=422, region_code="310100", note="经营地在上海")
    act(client, beijing, c["id"], "transfer", region_code="310101", note="被投诉人经营地在上海市黄浦区")
    # Visibility follows at once: Beijing no longer sees it, Shanghai does and can accept it.
    detail(client, beijing, c["id"], expect=404)
    assert client.get("/api/v1/complaints", headers=beijing.headers).get_json()["items"] == []
    moved = detail(client, shanghai, c["id"])
    assert moved["region_code"] == "310101" and "上海" in moved["region_name"]
    ev = moved["timeline"][-1]
    assert ev["action"] == "transfer" and ev["data"] == {"from_region": "110105", "to_region": "310101"}
    act(client, beijing, c["id"], "accept", expect=404)
    act(client, shanghai, c["id"], "accept")
    # The consumer is told, in their own words, with the reason.
    [notice] = [n for n in inbox(client, consumer) if n["type"] == "complaint.transferred"]
    assert notice["title"] == "您的投诉已转至其他地区处理" and "黄浦区" in notice["body"]


def test_a_rejection_tells_the_consumer_why(client, auth):
    consumer, mediator = auth.consumer(), auth.mediator("1101")
    c = file_complaint(client, consumer)
    act(client, mediator, c["id"], "reject", note="不能证明与被投诉人之间存在消费关系")
    [notice] = [n for n in inbox(client, consumer) if n["type"] == "complaint.rejected"]
    assert notice["title"] == "您的投诉不予受理"
    assert "不能证明与被投诉人之间存在消费关系" in notice["body"]


def test_forwarded_is_worded_for_each_reader(client, auth):
    owner, biz = auth.business()
    consumer, mediator = auth.consumer(), auth.mediator("1101")
    c = file_complaint(client, consumer, biz["id"])
    act(client, mediator, c["id"], "accept")
    [mine] = [n for n in inbox(client, consumer) if n["type"] == "complaint.forwarded"]
    [theirs] = [n for n in inbox(client, owner) if n["type"] == "complaint.forwarded"]
    assert mine["title"] == "您的投诉已转交商家处理" and theirs["title"] == "收到新的投诉"


def _mediating(client, auth, consumer, mediator):
    c = file_complaint(client, consumer)  # no platform business: accept sends it straight to mediation
    out = act(client, mediator, c["id"], "accept")
    assert out["status"] == "mediating"
    return out


def test_paused_time_does_not_count_and_the_scheduler_skips_a_paused_complaint(client, auth, db, settings):
    consumer, mediator = auth.consumer(), auth.mediator("1101")
    owner, biz = auth.business()
    c = _mediating(client, auth, consumer, mediator)
    deadline = at(c["deadline_at"])
    act(client, mediator, c["id"], "pause", expect=422, note="送检")  # the reason is required
    paused = act(client, mediator, c["id"], "pause", reason="testing", note="手机送第三方检测")
    assert paused["paused"] is True and paused["paused_reason"] == "testing" and paused["status"] == "mediating"
    assert paused["allowed_actions"].count("resume") == 1 and "pause" not in paused["allowed_actions"]
    act(client, mediator, c["id"], "pause", expect=409, reason="materials")
    # The consumer sees the same: paused, with the reason, and is told.
    mine = detail(client, consumer, c["id"])
    assert mine["paused"] is True and mine["paused_reason"] == "testing"
    assert any(n["type"] == "complaint.paused" and "检测" in n["body"] for n in inbox(client, consumer))
    # Long past the deadline, the scheduler leaves the paused complaint alone.
    later = deadline + timedelta(days=30)
    done = apply_due_deadlines(db.Session, settings, later)
    assert "mediation_timeout" not in done
    with db.session() as s:
        row = s.get(Complaint, c["id"])
        assert row.status == "mediating"
        # Resumed 20 days after the pause: the deadline moves by exactly the paused time.
        paused_at = row.paused_at
    resume_at = paused_at + timedelta(days=20)
    with db.session() as s:
        from server.core.actor import Actor
        from server.core.complaints.actions import do_transition
        from server.core.models import User

        user = s.get(User, mediator.user_id)
        do_transition(s, settings, Actor(user=user, kind="mediator", region_code="1101"), s.get(Complaint, c["id"]),
                      "resume", now=resume_at)
        s.commit()
    resumed = detail(client, mediator, c["id"])
    assert resumed["paused"] is False and resumed["paused_reason"] is None
    assert at(resumed["deadline_at"]) - deadline == timedelta(days=20)
    assert resumed["timeline"][-1]["action"] == "resume" and resumed["timeline"][-1]["data"]["paused_seconds"] == 20 * 86400
    # The old deadline passes without effect; the moved one times the mediation out (scheduler --now).
    assert "mediation_timeout" not in apply_due_deadlines(db.Session, settings, deadline + timedelta(days=19))
    done = run_scheduler(settings, (deadline + timedelta(days=20, minutes=1)).astimezone(SHANGHAI).isoformat())
    assert done.get("mediation_timeout") == 1
    assert detail(client, consumer, c["id"])["status"] == "unresolved"
    del owner, biz


def test_a_business_is_told_of_a_pause_only_once_the_complaint_reached_it(client, auth):
    owner, biz = auth.business()
    consumer, mediator = auth.consumer(), auth.mediator("1101")
    c = file_complaint(client, consumer, biz["id"])
    act(client, mediator, c["id"], "pause", reason="materials", note="请补充购买凭证")
    assert not [n for n in inbox(client, owner) if n["type"] == "complaint.paused"]
    act(client, mediator, c["id"], "resume")
    act(client, mediator, c["id"], "accept")  # forwarded to the business
    act(client, mediator, c["id"], "pause", reason="agreed_extension", note="双方同意延长")
    assert [n for n in inbox(client, owner) if n["type"] == "complaint.paused"]
    assert detail(client, owner, c["id"])["paused_reason"] == "agreed_extension"


def _resolved(client, auth, consumer, mediator):
    c = _mediating(client, auth, consumer, mediator)
    act(client, mediator, c["id"], "mediate_success", amount_recovered="200")
    return c


def test_reopen_once_within_the_window(client, auth, db, settings):
    consumer, mediator = auth.consumer(), auth.mediator("1101")
    c = _resolved(client, auth, consumer, mediator)
    assert "reopen" in detail(client, consumer, c["id"])["allowed_actions"]
    act(client, consumer, c["id"], "reopen", expect=422)  # the note is required
    out = act(client, consumer, c["id"], "reopen", note="商家承诺的退款至今未到账")
    assert out["status"] == "mediating" and out["reopened_at"]
    # A new mediation period from the reopening.
    assert at(out["deadline_at"]) > datetime.now(at(out["reopened_at"]).tzinfo) + timedelta(days=50)
    assert out["timeline"][-1]["action"] == "reopen"
    # Once only.
    act(client, mediator, c["id"], "mediate_success")
    again = detail(client, consumer, c["id"])
    assert "reopen" not in again["allowed_actions"]
    r = act(client, consumer, c["id"], "reopen", expect=409, note="还是没有履行")
    assert r["detail"] == "投诉只能重新打开一次"


def test_reopen_after_closing_but_not_after_the_window(client, auth, db, settings):
    consumer, mediator = auth.consumer(), auth.mediator("1101")
    c = _resolved(client, auth, consumer, mediator)
    act(client, consumer, c["id"], "rate", rating=4)
    with db.session() as s:
        ended = s.get(Complaint, c["id"]).ended_at
    # Closed, within the window: it can be reopened (checked as of 29 days after the end).
    from server.core.actor import Actor
    from server.core.complaints.actions import allowed_actions
    from server.core.models import User

    with db.session() as s:
        row, user = s.get(Complaint, c["id"]), s.get(User, consumer.user_id)
        me = Actor(user=user, kind="consumer")
        assert row.status == "closed"
        assert "reopen" in allowed_actions(me, row, ended + timedelta(days=29), settings)
        assert "reopen" not in allowed_actions(me, row, ended + timedelta(days=31), settings)
    # Thirty-one days later (the scheduler's time), the consumer is refused and nothing changes.
    with db.session() as s:
        from server.core.complaints.actions import do_transition
        from server.core.errors import InvalidTransition

        row, user = s.get(Complaint, c["id"]), s.get(User, consumer.user_id)
        try:
            do_transition(s, settings, Actor(user=user, kind="consumer"), row, "reopen", note="未履行",
                          now=ended + timedelta(days=31))
        except InvalidTransition as exc:
            assert "30 日" in exc.detail
        else:
            raise AssertionError("reopened after the window")
        s.rollback()
    assert detail(client, consumer, c["id"])["status"] == "closed"
    # Today (within the window) it works, from closed.
    out = act(client, consumer, c["id"], "reopen", note="商家未按约定退款")
    assert out["status"] == "mediating"
    assert any(n["type"] == "complaint.reopened" for n in inbox(client, consumer)) is False  # their own act


def test_requested_materials_supplemented_resume_the_clock(client, auth, db, settings, monkeypatch):
    from tests.api.test_erasure import _upload

    monkeypatch.setitem(settings, "MATERIALS_DAYS", 30)  # longer than the acceptance deadline, for this test
    consumer, mediator = auth.consumer(), auth.mediator("1101")
    c = file_complaint(client, consumer)  # submitted: the acceptance deadline runs
    deadline = at(c["deadline_at"])
    act(client, consumer, c["id"], "supplement", expect=409, note="发票")  # nothing was requested
    out = act(client, mediator, c["id"], "request_materials", note="请补充购买凭证（发票或订单截图）")
    assert out["paused"] is True and out["paused_reason"] == "materials" and out["materials_due_at"]
    assert at(out["materials_due_at"]) - at(out["paused_at"]) == timedelta(days=30)
    [notice] = [n for n in inbox(client, consumer) if n["type"] == "complaint.materials_requested"]
    assert notice["title"] == "请补正投诉材料" and "购买凭证" in notice["body"]
    mine = detail(client, consumer, c["id"])
    assert "supplement" in mine["allowed_actions"]
    # Past the acceptance deadline, still paused: the scheduler does not auto-accept it.
    assert "auto_accept" not in apply_due_deadlines(db.Session, settings, deadline + timedelta(days=1))
    upload_id = _upload(client, consumer)
    done = act(client, consumer, c["id"], "supplement", note="已补充订单截图", attachment_ids=[upload_id])
    assert done["paused"] is False and done["materials_due_at"] is None
    assert [a["id"] for a in detail(client, mediator, c["id"])["attachments"]] == [upload_id]
    ev = done["timeline"][-1]
    assert ev["action"] == "supplement" and ev["data"]["attachment_ids"] == [upload_id]
    assert at(done["deadline_at"]) - deadline == timedelta(seconds=ev["data"]["paused_seconds"])
    # Someone else's upload, or an unknown one, is refused and changes nothing.
    act(client, mediator, c["id"], "request_materials", note="再补充一张照片")
    other = _upload(client, auth.consumer(name="李四"))
    act(client, consumer, c["id"], "supplement", expect=422, note="照片", attachment_ids=[other])
    assert detail(client, consumer, c["id"])["paused"] is True


def test_materials_never_supplemented_reject_the_complaint(client, auth, db, settings):
    consumer, mediator = auth.consumer(), auth.mediator("1101")
    c = _mediating(client, auth, consumer, mediator)
    out = act(client, mediator, c["id"], "request_materials", note="请提供检测报告")
    due = at(out["materials_due_at"])
    assert apply_due_deadlines(db.Session, settings, due - timedelta(hours=1)).get("materials_timeout") is None
    done = run_scheduler(settings, (due + timedelta(minutes=1)).astimezone(SHANGHAI).isoformat())
    assert done.get("materials_timeout") == 1
    got = detail(client, consumer, c["id"])
    assert got["status"] == "rejected" and got["paused"] is False
    last = got["timeline"][-1]
    assert (last["action"], last["actor_role"], last["to_status"]) == ("materials_timeout", "system", "rejected")
    [notice] = [n for n in inbox(client, consumer) if n["type"] == "complaint.rejected"]
    assert notice["title"] == "您的投诉不予受理" and "未在期限内补正材料" in notice["body"]
