"""Issue 18 item 4: the business's details, linking to platform businesses, and how the business reaches the consumer.

Through the real API: a complaint against a business not on the platform keeps its address, phone and credit
code for the parties; one naming a platform business exactly (up to full-width forms and spaces) or by its credit
code is linked to it when filed, so the business is told and its index counts it; a mediator of the complaint's
region links the rest; the business sees the consumer's phone masked and reveals it only when the consumer chose
phone contact, each reveal a timeline event without the number; public pages show none of it.
"""
from __future__ import annotations

from sqlalchemy import select

from tests.factories import act, complaint_body, credit_code, file_complaint

PHONE = "13812345678"
ADDRESS = "北京市朝阳区建国路88号SOHO现代城3号楼1205室"
BIZ_PHONE = "010-65001234"


def _file(client, who, expect=201, **over):
    r = client.post("/api/v1/complaints", headers=who.headers, json=complaint_body(None, **over))
    assert r.status_code == expect, r.get_json()
    return r.get_json()


def _types(client, who) -> list[str]:
    return [n["type"] for n in client.get("/api/v1/notifications", headers=who.headers).get_json()["items"]]


def _index_count(client, business_id) -> int:
    idx = client.get(f"/api/v1/businesses/{business_id}").get_json()["index"]
    return 0 if idx is None else idx["n_complaints"]


def _detail(client, who, cid):
    r = client.get(f"/api/v1/complaints/{cid}", headers=who.headers)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def test_off_platform_details_are_kept_for_the_parties_and_checked(client, auth):
    consumer, mediator = auth.consumer("李雷"), auth.mediator("1101")
    code = credit_code(4242)
    wrong = code[:17] + ("1" if code[17] != "1" else "2")  # the check character does not match
    c = _file(client, consumer, business_name="朝阳某某手机店", business_address=f"  {ADDRESS} ",
              business_phone=BIZ_PHONE, business_credit_code=code.lower())
    assert c["business_id"] is None
    assert (c["business_address"], c["business_phone"], c["business_credit_code"]) == (ADDRESS, BIZ_PHONE, code)
    assert c["contact_preference"] == "message"
    assert _detail(client, mediator, c["id"])["business_address"] == ADDRESS

    bad = client.post("/api/v1/complaints", headers=consumer.headers, json=complaint_body(
        None, business_name="朝阳某某手机店", business_credit_code=wrong, business_phone="12345"))
    assert bad.status_code == 422
    problem = bad.get_json()
    assert {e["field"] for e in problem["errors"]} == {"business_credit_code", "business_phone"}
    assert "统一社会信用代码无效" in problem["detail"] and "商家电话格式不正确" in problem["detail"]
    mine = client.get("/api/v1/complaints", headers=consumer.headers).get_json()
    assert mine["total"] == 1  # the refused filing changed nothing


def test_an_exact_name_links_the_complaint_so_the_business_is_told_and_counts_it(client, auth):
    owner, biz = auth.business("北京优品(电器)有限公司")
    consumer, mediator = auth.consumer("韩梅梅"), auth.mediator("1101")
    # Full-width brackets and letters, surrounding and inner spaces: the same name.
    c = _file(client, consumer, business_name=" 北京优品（电器） 有限公司 ")
    assert c["business_id"] == biz["id"] and c["business_name"] == "北京优品(电器)有限公司"
    assert _index_count(client, biz["id"]) == 0
    moved = act(client, mediator, c["id"], "accept")
    assert moved["status"] == "forwarded"
    assert "complaint.forwarded" in _types(client, owner)
    assert _index_count(client, biz["id"]) == 1
    assert _detail(client, owner, c["id"])["id"] == c["id"]

    # A name that only resembles it is not linked.
    other = _file(client, consumer, business_name="北京优品电器有限公司", title="另一件商品质量问题投诉")
    assert other["business_id"] is None


def test_a_credit_code_links_the_complaint_whatever_the_name(client, auth):
    owner, biz = auth.business("上海海纳百货有限公司", region="310101")
    consumer, mediator = auth.consumer("张伟"), auth.mediator("31")
    c = _file(client, consumer, business_name="海纳超市（徐汇店）", region_code="310101",
              business_credit_code=biz["credit_code"])
    assert c["business_id"] == biz["id"] and c["business_credit_code"] == biz["credit_code"]
    act(client, mediator, c["id"], "accept")
    assert "complaint.forwarded" in _types(client, owner)
    assert _index_count(client, biz["id"]) == 1


def test_a_pending_registration_is_never_linked_by_name(client, auth):
    _owner, pending = auth.business("北京待审商贸有限公司", verify=False)
    consumer = auth.consumer()
    c = _file(client, consumer, business_name="北京待审商贸有限公司")
    assert c["business_id"] is None


def test_a_mediator_links_a_complaint_in_mediation_and_the_business_gets_it_as_new(client, auth, db):
    from server.core.models import ComplaintEvent

    owner, biz = auth.business("北京鑫达家电维修中心")
    consumer, mediator = auth.consumer("刘洋"), auth.mediator("1101")
    c = _file(client, consumer, business_name="鑫达维修")
    moved = act(client, mediator, c["id"], "accept")
    assert moved["status"] == "mediating" and moved["business_id"] is None
    assert _types(client, owner) == []

    r = client.post(f"/api/v1/complaints/{c['id']}/link-business", headers=mediator.headers,
                    json={"business_id": biz["id"]})
    assert r.status_code == 200, r.get_json()
    linked = r.get_json()
    assert linked["business_id"] == biz["id"] and linked["business_name"] == "北京鑫达家电维修中心"
    assert linked["status"] == "forwarded"
    link = [e for e in linked["timeline"] if e["action"] == "link_business"]
    assert link and link[0]["data"] == {"business_id": biz["id"], "filed_name": "鑫达维修"}
    assert link[0]["actor_role"] == "mediator"
    assert linked["timeline"][-1]["action"] == "forward"
    assert "complaint.forwarded" in _types(client, owner)
    assert "complaint.forwarded" in _types(client, consumer)
    assert _index_count(client, biz["id"]) == 1
    assert "respond" in _detail(client, owner, c["id"])["allowed_actions"]

    again = client.post(f"/api/v1/complaints/{c['id']}/link-business", headers=mediator.headers,
                        json={"business_id": biz["id"]})
    assert again.status_code == 409
    assert again.get_json()["code"] == "already_linked" and "已关联" in again.get_json()["detail"]
    with db.session() as s:
        n = len(s.execute(select(ComplaintEvent).where(ComplaintEvent.complaint_id == c["id"],
                                                       ComplaintEvent.action == "link_business")).all())
    assert n == 1


def test_linking_before_acceptance_forwards_it_when_accepted(client, auth):
    owner, biz = auth.business("北京鑫达家电维修中心")
    consumer, mediator = auth.consumer(), auth.mediator("1101")
    c = _file(client, consumer, business_name="鑫达维修")
    r = client.post(f"/api/v1/complaints/{c['id']}/link-business", headers=mediator.headers,
                    json={"business_id": biz["id"]})
    assert r.status_code == 200 and r.get_json()["status"] == "submitted"
    assert _types(client, owner) == []  # like a new complaint: the business hears of it once accepted
    assert act(client, mediator, c["id"], "accept")["status"] == "forwarded"
    assert "complaint.forwarded" in _types(client, owner)


def test_only_the_complaints_mediators_may_link(client, auth):
    _owner, biz = auth.business("北京鑫达家电维修中心")
    consumer, mediator = auth.consumer(), auth.mediator("1101")
    outsider = auth.mediator("3101")
    c = _file(client, consumer, business_name="鑫达维修")
    r = client.post(f"/api/v1/complaints/{c['id']}/link-business", headers=outsider.headers,
                    json={"business_id": biz["id"]})
    # A mediator of another region does not see the complaint at all.
    assert r.status_code in (403, 404) and r.get_json()["detail"]
    mine = client.post(f"/api/v1/complaints/{c['id']}/link-business", headers=consumer.headers,
                       json={"business_id": biz["id"]})
    assert mine.status_code == 403 and "调解员" in mine.get_json()["detail"]
    missing = client.post(f"/api/v1/complaints/{c['id']}/link-business", headers=mediator.headers,
                          json={"business_id": 999999})
    assert missing.status_code == 422 and missing.get_json()["errors"][0]["field"] == "business_id"
    assert _detail(client, mediator, c["id"])["business_id"] is None


def _phone_case(client, auth, preference="phone", phone=PHONE):
    owner, biz = auth.business("北京优品电器有限公司")
    consumer, mediator = auth.consumer("王小明", phone=phone), auth.mediator("1101")
    c = file_complaint(client, consumer, biz["id"], contact_preference=preference)
    act(client, mediator, c["id"], "accept")
    return owner, biz, consumer, mediator, c


def test_the_business_sees_the_phone_masked_and_a_reveal_is_audited(client, auth, db):
    from server.core.models import ComplaintEvent

    owner, biz, consumer, mediator, c = _phone_case(client, auth)
    seen = _detail(client, owner, c["id"])
    assert seen["consumer_contact"] == {"preference": "phone", "phone_masked": "138****5678"}
    assert PHONE not in str(seen)
    assert "consumer_contact" not in _detail(client, consumer, c["id"])

    r = client.post(f"/api/v1/complaints/{c['id']}/contact/reveal", headers=owner.headers)
    assert r.status_code == 200, r.get_json()
    assert r.get_json() == {"phone": PHONE}
    assert r.headers["Cache-Control"] == "no-store"
    with db.session() as s:
        [ev] = s.execute(select(ComplaintEvent).where(ComplaintEvent.complaint_id == c["id"],
                                                      ComplaintEvent.action == "contact_reveal")).scalars().all()
        assert ev.actor_id == owner.user_id and ev.actor_role == "business_staff" and ev.created_at is not None
        assert PHONE not in f"{ev.note} {ev.data}" and "5678" not in f"{ev.note} {ev.data}"
    # The consumer sees on the timeline that the business looked at their number.
    timeline = _detail(client, consumer, c["id"])["timeline"]
    assert [e["actor_role"] for e in timeline if e["action"] == "contact_reveal"] == ["business_staff"]
    assert PHONE not in str(timeline)
    # The chain still verifies with the reveal in it.
    from server.core.audit import verify_all

    with db.session() as s:
        report = verify_all(s, client.application.config["SMART315"])
    assert report["broken"] == [], report


def test_reveal_is_refused_when_the_consumer_chose_messages(client, auth, db):
    from server.core.models import ComplaintEvent

    owner, biz, consumer, mediator, c = _phone_case(client, auth, preference="message")
    assert _detail(client, owner, c["id"])["consumer_contact"] == {"preference": "message", "phone_masked": None}
    r = client.post(f"/api/v1/complaints/{c['id']}/contact/reveal", headers=owner.headers)
    assert r.status_code == 403 and "留言" in r.get_json()["detail"]
    # Mediators may reach the consumer whatever the choice; that too is on the record.
    m = client.post(f"/api/v1/complaints/{c['id']}/contact/reveal", headers=mediator.headers)
    assert m.status_code == 200 and m.get_json() == {"phone": PHONE}
    with db.session() as s:
        roles = s.execute(select(ComplaintEvent.actor_role).where(
            ComplaintEvent.complaint_id == c["id"], ComplaintEvent.action == "contact_reveal")).scalars().all()
    assert roles == ["mediator"]
    mine = client.post(f"/api/v1/complaints/{c['id']}/contact/reveal", headers=consumer.headers)
    assert mine.status_code == 403 and mine.get_json()["detail"]


def test_reveal_is_refused_once_ended_or_without_a_phone(client, auth):
    owner, biz, consumer, mediator, c = _phone_case(client, auth)
    act(client, consumer, c["id"], "withdraw")
    r = client.post(f"/api/v1/complaints/{c['id']}/contact/reveal", headers=owner.headers)
    assert r.status_code == 409 and "办结" in r.get_json()["detail"]

    nophone = auth.consumer("无手机")
    c2 = file_complaint(client, nophone, biz["id"], contact_preference="phone", title="另一件投诉：耳机无声")
    act(client, mediator, c2["id"], "accept")
    assert _detail(client, owner, c2["id"])["consumer_contact"] == {"preference": "phone", "phone_masked": None}
    r2 = client.post(f"/api/v1/complaints/{c2['id']}/contact/reveal", headers=owner.headers)
    assert r2.status_code == 409 and "未绑定手机号" in r2.get_json()["detail"]


def test_public_pages_never_show_the_phone_or_the_address(client, auth):
    owner, biz = auth.business("北京优品电器有限公司")
    consumer, mediator = auth.consumer("王小明", phone=PHONE), auth.mediator("1101")
    c = file_complaint(client, consumer, biz["id"], contact_preference="phone", public_consent=True,
                       business_address=ADDRESS, business_phone=BIZ_PHONE)
    act(client, mediator, c["id"], "accept")
    r = client.post(f"/api/v1/complaints/{c['id']}/publication", headers=mediator.headers, json={"approve": True})
    assert r.status_code == 200, r.get_json()
    public = client.get("/api/v1/public/complaints", query_string={"business_id": biz["id"]})
    assert public.status_code == 200 and public.get_json()["items"]
    pages = [public.get_data(as_text=True)]
    for url in (f"/cases/{c['id']}", "/cases", f"/verify/{c['public_no']}", f"/business/{biz['id']}",
                f"/api/v1/businesses/{biz['id']}"):
        page = client.get(url)
        if page.status_code == 200:
            pages.append(page.get_data(as_text=True))
    assert len(pages) >= 3
    for text in pages:
        for secret in (PHONE, "138****5678", "5678", ADDRESS, "建国路88号", BIZ_PHONE, "65001234"):
            assert secret not in text
