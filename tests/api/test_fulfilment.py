"""The fulfilment check (API.md "The complete case", issue 17 item 4), followed through time with the
scheduler's `--now`: FULFILMENT_CHECK_DAYS after a resolution with an amount or a promise the consumer is
asked once whether the settlement was kept; `fulfilled` keeps the case as it is, `not_fulfilled` sends it
back to mediation and lowers the business's published index. And the notices of the complete case, each
worded for its reader, in the inbox and the business's webhooks."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from server.core.models import Complaint, ComplaintEvent
from server.core.timeutil import SHANGHAI
from server.tasks.jobs import fulfilment_check
from tests.api.test_appeals import published_fresh
from tests.api.test_deadlines import run_scheduler
from tests.core.notifications.helpers import add_webhook, give_identities, rows
from tests.core.notifications.receiver import running_receiver
from tests.factories import act, file_complaint, settle

QUESTION = "商家是否已履行和解承诺？"


def inbox(client, who, event_type=None):
    items = client.get("/api/v1/notifications", headers=who.headers, query_string={"per_page": 100}).get_json()["items"]
    return [n for n in items if event_type is None or n["type"] == event_type]


def detail(client, who, cid):
    r = client.get(f"/api/v1/complaints/{cid}", headers=who.headers)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def ended_at(db, cid) -> datetime:
    with db.session() as s:
        return s.get(Complaint, cid).ended_at


def checks(db, cid) -> int:
    with db.session() as s:
        return len(s.execute(select(ComplaintEvent).where(ComplaintEvent.complaint_id == cid,
                                                          ComplaintEvent.action == "fulfilment_check")).all())


def iso(t: datetime) -> str:
    return t.astimezone(SHANGHAI).isoformat()


def test_a_settlement_is_checked_once_seven_days_after_and_a_kept_one_stays(app, client, auth, db, settings):
    owner, biz = auth.business()
    consumer, mediator = auth.consumer(), auth.mediator("1101")
    c = settle(client, consumer, mediator, owner, biz["id"], rating=None)  # confirmed, 100.50 recovered
    end = ended_at(db, c["id"])
    # Six days on: nothing is asked, and the answer is refused.
    run_scheduler(settings, iso(end + timedelta(days=6)))
    assert inbox(client, consumer, "complaint.fulfilment_check") == []
    assert "fulfilled" not in detail(client, consumer, c["id"])["allowed_actions"]
    r = act(client, consumer, c["id"], "fulfilled", expect=409)
    assert r["detail"] == "尚未询问商家是否履行和解承诺"
    # Seven days on: the consumer is asked, once, in their inbox; the business is not.
    done = run_scheduler(settings, iso(end + timedelta(days=7, minutes=1)))
    assert done.get("job:complaints.fulfilment_check") == 1
    [asked] = inbox(client, consumer, "complaint.fulfilment_check")
    assert asked["title"] == QUESTION and "已履行" in asked["body"] and c["public_no"] in asked["body"]
    assert inbox(client, owner, "complaint.fulfilment_check") == []
    mine = detail(client, consumer, c["id"])
    assert {"fulfilled", "not_fulfilled"} <= set(mine["allowed_actions"]) and mine["fulfilment_checked_at"]
    last = mine["timeline"][-1]
    assert (last["action"], last["actor_role"], last["to_status"]) == ("fulfilment_check", "system", "resolved")
    # A later run (and another scheduler) asks nothing more.
    run_scheduler(settings, iso(end + timedelta(days=8)))
    assert fulfilment_check(db, settings, end + timedelta(days=9)) == 0
    assert len(inbox(client, consumer, "complaint.fulfilment_check")) == 1 and checks(db, c["id"]) == 1
    # Kept: the case stays resolved, the index does not move, the business is told; once only.
    before = published_fresh(app, client, biz["id"])["index"]
    out = act(client, consumer, c["id"], "fulfilled")
    assert out["status"] == "resolved" and out["fulfilment"] == "fulfilled"
    assert not {"fulfilled", "not_fulfilled"} & set(out["allowed_actions"])
    assert published_fresh(app, client, biz["id"])["index"] == before
    [told] = inbox(client, owner, "complaint.fulfilled")
    assert told["title"] == "消费者确认您已履行和解承诺"
    r = act(client, consumer, c["id"], "not_fulfilled", expect=409, note="其实没退")
    assert r["detail"] == "已回答过商家是否履行和解承诺"


def test_an_unkept_settlement_goes_back_to_mediation_and_lowers_the_index(app, client, auth, db, settings):
    owner, biz = auth.business()
    consumer, mediator = auth.consumer(), auth.mediator("1101")
    other_mediator = auth.mediator("1101", username="med-fulfil-2")
    c = settle(client, consumer, mediator, owner, biz["id"])  # confirmed with an amount, rated: closed
    assert detail(client, consumer, c["id"])["status"] == "closed"
    run_scheduler(settings, iso(ended_at(db, c["id"]) + timedelta(days=7, minutes=1)))
    assert len(inbox(client, consumer, "complaint.fulfilment_check")) == 1
    before = published_fresh(app, client, biz["id"])["index"]
    assert before["components"]["settlement"] > 50  # one settlement, shrunk toward the neutral mean
    act(client, consumer, c["id"], "not_fulfilled", expect=422)  # the note is required
    out = act(client, consumer, c["id"], "not_fulfilled", note="承诺的退款至今未到账")
    assert out["status"] == "mediating" and out["fulfilment"] == "not_fulfilled"
    assert out["deadline_at"] and not {"fulfilled", "not_fulfilled"} & set(out["allowed_actions"])
    assert out["timeline"][-1]["action"] == "not_fulfilled"
    # The business and the region's mediators are told, with the consumer's note.
    [theirs] = inbox(client, owner, "complaint.not_fulfilled")
    assert theirs["title"] == "消费者反映您未履行和解承诺，投诉重新进入调解" and "未到账" in theirs["body"]
    for m in (mediator, other_mediator):
        [notice] = inbox(client, m, "complaint.not_fulfilled")
        assert notice["title"] == "消费者反映商家未履行和解承诺，投诉重新进入调解" and "未到账" in notice["body"]
    assert inbox(client, consumer, "complaint.not_fulfilled") == []  # their own answer
    # The unkept settlement counts against the business, at once and after a full recompute alike.
    after = published_fresh(app, client, biz["id"])["index"]
    assert after["score"] < before["score"]
    assert after["components"]["settlement"] < before["components"]["settlement"]
    from server.tasks.jobs import index_recompute

    index_recompute(db, settings, datetime.now(SHANGHAI))
    assert published_fresh(app, client, biz["id"])["index"] == after
    # Settled again in mediation: it still does not count as the settlement that was not kept, and the
    # consumer is not asked a second time.
    act(client, mediator, c["id"], "mediate_success", amount_recovered="100.50")
    assert published_fresh(app, client, biz["id"])["index"]["components"]["settlement"] == \
        after["components"]["settlement"]
    assert fulfilment_check(db, settings, datetime.now(SHANGHAI) + timedelta(days=30)) == 0


def test_no_check_without_an_amount_or_a_promise(client, auth, db, settings):
    consumer, mediator = auth.consumer(), auth.mediator("1101")
    # No business on the platform: straight to mediation, resolved without an amount or a proposal.
    plain = file_complaint(client, consumer)
    act(client, mediator, plain["id"], "accept")
    act(client, mediator, plain["id"], "mediate_success", note="消费者表示问题已解决")
    # The same with an amount: asked.
    paid = file_complaint(client, consumer)
    act(client, mediator, paid["id"], "accept")
    act(client, mediator, paid["id"], "mediate_success", amount_recovered="50")
    later = max(ended_at(db, plain["id"]), ended_at(db, paid["id"])) + timedelta(days=7, minutes=1)
    run_scheduler(settings, iso(later))
    asked = inbox(client, consumer, "complaint.fulfilment_check")
    assert [n["complaint_id"] for n in asked] == [paid["id"]]
    assert checks(db, plain["id"]) == 0
    assert "not_fulfilled" not in detail(client, consumer, plain["id"])["allowed_actions"]


def test_a_proposal_the_mediation_ended_on_is_a_promise(client, auth, db, settings):
    owner, biz = auth.business()
    consumer, mediator = auth.consumer(), auth.mediator("1101")
    c = file_complaint(client, consumer, biz["id"])
    act(client, mediator, c["id"], "accept")
    act(client, owner, c["id"], "respond", note="可以换货")
    act(client, consumer, c["id"], "dispute", note="要求退款")
    act(client, owner, c["id"], "propose", note="七日内全额退款")
    act(client, mediator, c["id"], "mediate_success")
    assert fulfilment_check(db, settings, ended_at(db, c["id"]) + timedelta(days=7)) == 1
    assert len(inbox(client, consumer, "complaint.fulfilment_check")) == 1


def test_each_step_of_the_case_is_told_to_its_reader_and_reaches_subscribed_webhooks(client, auth, db, settings,
                                                                                     monkeypatch):
    monkeypatch.setitem(settings, "WECHAT_SUBSCRIBE_TEMPLATES",
                        {**(settings.get("WECHAT_SUBSCRIBE_TEMPLATES") or {}), "complaint.fulfilment_check": "tpl-ff"})
    from tests.api.test_erasure import _upload

    owner, biz = auth.business()
    consumer, mediator = auth.consumer(), auth.mediator("1101")
    colleague = auth.mediator("1101", username="med-notice-2")
    give_identities(db, consumer.user_id)
    new_events = ["complaint.rejected", "complaint.transferred", "complaint.reopened", "complaint.paused",
                  "complaint.resumed", "complaint.materials_requested", "complaint.supplemented",
                  "complaint.fulfilled", "complaint.not_fulfilled"]
    with running_receiver() as rec:
        hook = add_webhook(client, owner, biz["id"], rec.hook_url, events=new_events)
    assert sorted(hook["events"]) == sorted(new_events)
    c = file_complaint(client, consumer, biz["id"])
    cid = c["id"]
    act(client, mediator, cid, "accept")  # forwarded: the business sees it from now on

    def told(who, event_type):
        [n] = [n for n in inbox(client, who, event_type) if n["complaint_id"] == cid]
        return n

    def none(who, event_type):
        assert [n for n in inbox(client, who, event_type) if n["complaint_id"] == cid] == []

    act(client, mediator, cid, "pause", reason="testing", note="商品送第三方检测")
    assert told(consumer, "complaint.paused")["title"] == "您的投诉处理期限暂停计时"
    assert told(owner, "complaint.paused")["title"] == "投诉处理期限暂停计时"
    act(client, mediator, cid, "resume")
    assert told(consumer, "complaint.resumed")["title"] == "您的投诉处理期限恢复计时"
    assert told(owner, "complaint.resumed")["title"] == "投诉处理期限恢复计时"
    act(client, mediator, cid, "request_materials", note="请补充购买发票")
    n = told(consumer, "complaint.materials_requested")
    assert n["title"] == "请补正投诉材料" and "发票" in n["body"]
    assert told(owner, "complaint.materials_requested")["title"] == "调解员要求消费者补正材料，处理期限暂停计时"
    act(client, consumer, cid, "supplement", note="已上传发票", attachment_ids=[_upload(client, consumer)])
    for m in (mediator, colleague):  # the mediators hear of the supplement
        n = told(m, "complaint.supplemented")
        assert n["title"] == "消费者已补正材料，处理期限恢复计时" and "已上传发票" in n["body"]
    assert told(owner, "complaint.supplemented")["title"] == "消费者已补正材料，处理期限恢复计时"
    none(consumer, "complaint.supplemented")
    act(client, mediator, cid, "transfer", region_code="110108", note="经营地在海淀区")
    n = told(consumer, "complaint.transferred")
    assert n["title"] == "您的投诉已转至其他地区处理" and "海淀区" in n["body"]
    assert told(owner, "complaint.transferred")["title"] == "投诉已转至其他地区处理"
    assert told(colleague, "complaint.transferred")["title"] == "收到转办的投诉"
    none(mediator, "complaint.transferred")  # who did it
    # The business answers, the consumer confirms with an amount: resolved; the question after a week.
    act(client, owner, cid, "respond", note="同意全额退款")
    act(client, consumer, cid, "confirm", amount_recovered="88")
    assert fulfilment_check(db, settings, ended_at(db, cid) + timedelta(days=7)) == 1
    n = told(consumer, "complaint.fulfilment_check")
    assert n["title"] == QUESTION
    none(owner, "complaint.fulfilment_check")
    [sub] = [r for r in rows(db, channel="wechat_subscribe", event_type="complaint.fulfilment_check")
             if r.complaint_id == cid]
    assert sub.recipient_id == consumer.user_id and sub.title == QUESTION
    act(client, consumer, cid, "not_fulfilled", note="退款没有到账")
    assert told(owner, "complaint.not_fulfilled")["title"] == "消费者反映您未履行和解承诺，投诉重新进入调解"
    assert "退款没有到账" in told(colleague, "complaint.not_fulfilled")["body"]
    # Settled again, then reopened by the consumer.
    act(client, mediator, cid, "mediate_success", amount_recovered="88")
    act(client, consumer, cid, "reopen", note="商家再次食言")
    assert told(owner, "complaint.reopened")["title"] == "消费者重新打开了投诉，投诉重新进入调解"
    assert told(colleague, "complaint.reopened")["title"] == "消费者重新打开了投诉，投诉重新进入调解"
    none(consumer, "complaint.reopened")
    # A second complaint, kept: the business is told so; a third rejected at once: the consumer is told why,
    # the business (which never saw it) nothing.
    kept = settle(client, consumer, mediator, owner, biz["id"], rating=None)
    assert fulfilment_check(db, settings, ended_at(db, kept["id"]) + timedelta(days=7)) == 1
    act(client, consumer, kept["id"], "fulfilled")
    assert [n["title"] for n in inbox(client, owner, "complaint.fulfilled")] == ["消费者确认您已履行和解承诺"]
    refused = file_complaint(client, consumer, biz["id"])
    act(client, mediator, refused["id"], "reject", note="不能证明与被投诉人之间存在消费关系")
    [n] = [n for n in inbox(client, consumer, "complaint.rejected") if n["complaint_id"] == refused["id"]]
    assert n["title"] == "您的投诉不予受理" and "消费关系" in n["body"]
    assert [n for n in inbox(client, owner, "complaint.rejected") if n["complaint_id"] == refused["id"]] == []
    # The webhook got exactly the subscribed events of complaints the business had seen, once each.
    got = sorted((r.event_type, r.complaint_id) for r in rows(db, channel="webhook"))
    assert got == sorted([(e, cid) for e in ("complaint.paused", "complaint.resumed", "complaint.materials_requested",
                                              "complaint.supplemented", "complaint.transferred",
                                              "complaint.not_fulfilled", "complaint.reopened")]
                         + [("complaint.fulfilled", kept["id"])])
