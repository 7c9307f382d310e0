"""Staff by invitation, removal, registration rejection with a notice, reapplication, reserved names
(issues 15.3 and 14.6)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from server.core.models import BusinessEvent, BusinessInvitation, BusinessMember, utcnow
from tests.factories import credit_code

PHONE = "13600136000"


def invite(client, owner, biz_id, phone=PHONE, role="agent"):
    return client.post(f"/api/v1/businesses/{biz_id}/members", headers=owner.headers,
                       json={"phone": phone, "role": role})


def members(client, owner, biz_id):
    r = client.get(f"/api/v1/businesses/{biz_id}/members", headers=owner.headers)
    assert r.status_code == 200, r.get_json()
    return {m["user_id"]: m["role"] for m in r.get_json()}


def events(db, biz_id):
    with db.session() as s:
        return [e.action for e in s.execute(select(BusinessEvent).where(BusinessEvent.business_id == biz_id)
                                            .order_by(BusinessEvent.id)).scalars()]


def register(client, who, name, **over):
    return client.post("/api/v1/businesses", headers=who.headers, json={
        "name": name, "credit_code": credit_code(), "industry_code": "online_shopping", "region_code": "110105",
        "contact_name": "李经理", "contact_phone": "13900001111", **over})


def test_an_invited_person_becomes_staff_only_after_accepting(client, auth, db):
    owner, biz = auth.business()
    person = auth.consumer("钱七", phone=PHONE)
    r = invite(client, owner, biz["id"])
    assert r.status_code == 202, r.get_json()
    assert set(r.get_json()) == {"invitation_id"}
    inv_id = r.get_json()["invitation_id"]
    assert person.user_id not in members(client, owner, biz["id"])  # not staff yet
    assert client.get("/api/v1/complaints", headers=person.headers).get_json()["total"] == 0

    mine = client.get("/api/v1/me/invitations", headers=person.headers).get_json()
    assert [(i["id"], i["business"]["name"], i["role"]) for i in mine] == [(inv_id, biz["name"], "agent")]
    inbox = client.get("/api/v1/notifications", headers=person.headers).get_json()["items"]
    assert any(n["type"] == "business.invited" and biz["name"] in n["body"] for n in inbox)
    # Someone else cannot see or accept it.
    stranger = auth.consumer("路人", phone="13600136001")
    assert client.get("/api/v1/me/invitations", headers=stranger.headers).get_json() == []
    assert client.post(f"/api/v1/me/invitations/{inv_id}/accept", headers=stranger.headers).status_code == 404

    r = client.post(f"/api/v1/me/invitations/{inv_id}/accept", headers=person.headers)
    assert r.status_code == 200, r.get_json()
    assert r.get_json() == {"business_id": biz["id"], "business_name": biz["name"], "role": "agent"}
    assert members(client, owner, biz["id"])[person.user_id] == "agent"
    me = client.get("/api/v1/me", headers=person.headers).get_json()
    assert me["kind"] == "business_staff" and [b["id"] for b in me["businesses"]] == [biz["id"]]
    assert client.get("/api/v1/me/invitations", headers=person.headers).get_json() == []
    again = client.post(f"/api/v1/me/invitations/{inv_id}/accept", headers=person.headers)
    assert again.status_code == 409 and again.get_json()["detail"]
    listed = client.get(f"/api/v1/businesses/{biz['id']}/invitations", headers=owner.headers).get_json()
    assert [(i["id"], i["state"], i["phone_masked"]) for i in listed] == [(inv_id, "accepted", "136****6000")]
    assert events(db, biz["id"])[-2:] == ["invited", "invitation_accepted"]


def test_the_answer_is_the_same_whether_or_not_the_phone_has_an_account(client, auth):
    owner, biz = auth.business()
    auth.consumer("有账号的人", phone="13600136002")
    mediator_phone = "13600136003"
    with_account = invite(client, owner, biz["id"], phone="13600136002")
    without = invite(client, owner, biz["id"], phone="13600136004")
    assert with_account.status_code == without.status_code == 202
    assert set(with_account.get_json()) == set(without.get_json()) == {"invitation_id"}
    for r in (with_account, without):
        text = r.get_data(as_text=True)
        assert "有账号的人" not in text and "user_id" not in text and "display_name" not in text
    assert invite(client, owner, biz["id"], phone=mediator_phone).status_code == 202
    # The owner's list shows the same for both: masked phone, pending.
    listed = client.get(f"/api/v1/businesses/{biz['id']}/invitations", headers=owner.headers).get_json()
    assert {i["state"] for i in listed} == {"pending"} and len(listed) == 3
    assert all(set(i) == {"id", "phone_masked", "role", "state", "created_at", "expires_at", "decided_at"}
               for i in listed)


def test_an_invitation_to_a_phone_without_an_account_is_matched_when_it_registers(client, auth):
    owner, biz = auth.business()
    assert invite(client, owner, biz["id"], role="owner").status_code == 202
    newcomer = auth.consumer("新用户", phone=PHONE)  # registers (or binds the phone) after the invitation
    mine = client.get("/api/v1/me/invitations", headers=newcomer.headers).get_json()
    assert len(mine) == 1 and mine[0]["role"] == "owner"
    assert client.post(f"/api/v1/me/invitations/{mine[0]['id']}/accept", headers=newcomer.headers).status_code == 200
    assert members(client, owner, biz["id"])[newcomer.user_id] == "owner"


def test_declined_and_expired_invitations_make_nobody_staff(client, auth, db):
    owner, biz = auth.business()
    person = auth.consumer("钱七", phone=PHONE)
    first = invite(client, owner, biz["id"]).get_json()["invitation_id"]
    assert client.post(f"/api/v1/me/invitations/{first}/decline", headers=person.headers).status_code == 204
    assert person.user_id not in members(client, owner, biz["id"])
    assert client.post(f"/api/v1/me/invitations/{first}/accept", headers=person.headers).status_code == 409

    second = invite(client, owner, biz["id"]).get_json()["invitation_id"]
    assert second != first
    with db.session() as s:  # seven days later (INVITATION_DAYS)
        s.execute(update(BusinessInvitation).where(BusinessInvitation.id == second)
                  .values(expires_at=utcnow() - timedelta(minutes=1)))
        s.commit()
    assert client.get("/api/v1/me/invitations", headers=person.headers).get_json() == []
    r = client.post(f"/api/v1/me/invitations/{second}/accept", headers=person.headers)
    assert r.status_code == 409 and r.get_json()["code"] == "invitation_expired" and "过期" in r.get_json()["detail"]
    assert person.user_id not in members(client, owner, biz["id"])
    states = {i["id"]: i["state"] for i in
              client.get(f"/api/v1/businesses/{biz['id']}/invitations", headers=owner.headers).get_json()}
    assert states == {first: "declined", second: "expired"}


def test_invitations_expire_after_invitation_days(client, auth, db, settings):
    owner, biz = auth.business()
    invite(client, owner, biz["id"])
    with db.session() as s:
        inv = s.execute(select(BusinessInvitation)).scalar_one()
        assert abs((inv.expires_at - inv.created_at) - timedelta(days=settings["INVITATION_DAYS"])) < timedelta(
            seconds=1)
    assert settings["INVITATION_DAYS"] == 7


def test_only_a_verified_business_invites(client, auth, db):
    owner, biz = auth.business(verify=False)
    r = invite(client, owner, biz["id"])
    assert r.status_code == 409 and r.get_json()["code"] == "business_not_verified" and "审核" in r.get_json()["detail"]
    with db.session() as s:
        assert s.execute(select(BusinessInvitation)).first() is None
    # A consumer or another business's owner may not invite at all.
    other_owner, _ = auth.business(name="上海另一家商贸有限公司", region="310101")
    _, verified = auth.business(name="北京第三家商贸有限公司")
    assert invite(client, other_owner, verified["id"]).status_code == 403
    assert invite(client, auth.consumer(), verified["id"]).status_code == 403


def test_a_mediator_cannot_join_a_business_by_invitation(client, auth):
    owner, biz = auth.business()
    inv = invite(client, owner, biz["id"], phone="13600136005").get_json()["invitation_id"]
    mediator = auth.mediator("1101")
    with auth.db.session() as s:
        from server.core.identity.accounts import do_set_phone
        from server.core.models import User

        do_set_phone(s, auth.settings, s.get(User, mediator.user_id), "13600136005")
        s.commit()
    r = client.post(f"/api/v1/me/invitations/{inv}/accept", headers=mediator.headers)
    assert r.status_code == 403 and r.get_json()["detail"]
    assert mediator.user_id not in members(client, owner, biz["id"])


def _join(client, auth, owner, biz, phone, role):
    person = auth.consumer("员工", phone=phone)
    inv = invite(client, owner, biz["id"], phone=phone, role=role).get_json()["invitation_id"]
    assert client.post(f"/api/v1/me/invitations/{inv}/accept", headers=person.headers).status_code == 200
    return person


def test_removing_staff_ends_their_access_and_the_last_owner_stays(client, auth, db):
    from tests.factories import act, file_complaint

    owner, biz = auth.business()
    agent = _join(client, auth, owner, biz, "13600136006", "agent")
    c = file_complaint(client, auth.consumer("顾客"), biz["id"])
    act(client, auth.mediator("1101"), c["id"], "accept")
    assert client.get(f"/api/v1/complaints/{c['id']}", headers=agent.headers).status_code == 200

    # An agent may not remove anyone; a stranger neither.
    assert client.delete(f"/api/v1/businesses/{biz['id']}/members/{owner.user_id}",
                         headers=agent.headers).status_code == 403
    r = client.delete(f"/api/v1/businesses/{biz['id']}/members/{agent.user_id}", headers=owner.headers)
    assert r.status_code == 204
    assert agent.user_id not in members(client, owner, biz["id"])
    assert client.get(f"/api/v1/complaints/{c['id']}", headers=agent.headers).status_code == 404  # at once
    assert client.get("/api/v1/me", headers=agent.headers).get_json()["kind"] == "consumer"
    assert client.delete(f"/api/v1/businesses/{biz['id']}/members/{agent.user_id}",
                         headers=owner.headers).status_code == 404

    r = client.delete(f"/api/v1/businesses/{biz['id']}/members/{owner.user_id}", headers=owner.headers)
    assert r.status_code == 409 and r.get_json()["code"] == "last_owner" and "管理员" in r.get_json()["detail"]
    assert owner.user_id in members(client, owner, biz["id"])
    second = _join(client, auth, owner, biz, "13600136007", "owner")
    assert client.delete(f"/api/v1/businesses/{biz['id']}/members/{owner.user_id}",
                         headers=second.headers).status_code == 204
    assert set(members(client, second, biz["id"])) == {second.user_id}
    assert "member_removed" in events(db, biz["id"])


def test_a_rejected_registration_notifies_the_applicant_and_may_reapply(client, auth, db):
    applicant = auth.consumer("申请人")
    biz = register(client, applicant, "北京新开张商贸有限公司").get_json()
    mediator_out = auth.mediator("3101")
    note = "营业执照照片不清晰，请重新上传"
    assert client.post(f"/api/v1/businesses/{biz['id']}/reject", headers=applicant.headers,
                       json={"note": note}).status_code == 403
    assert client.post(f"/api/v1/businesses/{biz['id']}/reject", headers=mediator_out.headers,
                       json={"note": note}).status_code == 403
    empty = client.post(f"/api/v1/businesses/{biz['id']}/reject", headers=auth.mediator("1101").headers,
                        json={"note": ""})
    assert empty.status_code == 422
    mediator = auth.mediator("11", username="med11")
    r = client.post(f"/api/v1/businesses/{biz['id']}/reject", headers=mediator.headers, json={"note": note})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["status"] == "rejected"
    inbox = client.get("/api/v1/notifications", headers=applicant.headers).get_json()["items"]
    notice = next(n for n in inbox if n["type"] == "business.rejected")
    assert note in notice["body"] and "北京新开张商贸有限公司" in notice["body"] and notice["title"]
    assert client.post(f"/api/v1/businesses/{biz['id']}/verify", headers=mediator.headers).status_code == 409
    again = client.post(f"/api/v1/businesses/{biz['id']}/reject", headers=mediator.headers, json={"note": note})
    assert again.status_code == 409

    assert client.post(f"/api/v1/businesses/{biz['id']}/reapply", headers=mediator.headers,
                       json={}).status_code == 403
    r = client.post(f"/api/v1/businesses/{biz['id']}/reapply", headers=applicant.headers,
                    json={"note": "已重新上传清晰照片"})
    assert r.status_code == 200 and r.get_json()["status"] == "pending"
    assert client.post(f"/api/v1/businesses/{biz['id']}/reapply", headers=applicant.headers,
                       json={}).status_code == 409
    assert client.post(f"/api/v1/businesses/{biz['id']}/verify", headers=mediator.headers).get_json()[
        "status"] == "verified"
    with db.session() as s:
        rows = s.execute(select(BusinessEvent.action, BusinessEvent.note).where(
            BusinessEvent.business_id == biz["id"]).order_by(BusinessEvent.id)).all()
    assert [a for a, _ in rows] == ["registered", "rejected", "reapplied", "verified"]
    assert rows[1][1] == note


def test_the_exact_name_of_a_verified_business_is_taken(client, auth, db):
    _, biz = auth.business(name="北京优品电器有限公司")
    impostor = auth.consumer("冒充者")
    r = register(client, impostor, "北京优品电器有限公司")
    assert r.status_code == 409 and r.get_json()["code"] == "business_name_taken" and r.get_json()["detail"]
    assert register(client, impostor, " 北京优品电器有限公司 ").status_code == 409
    with db.session() as s:
        assert s.execute(select(BusinessMember).where(BusinessMember.user_id == impostor.user_id)).first() is None
    # A pending one of the same name cannot be verified once another holds it.
    _, pending = auth.business(name="北京同名待审有限公司", verify=False)
    _, pending2 = auth.business(name="北京同名待审有限公司", verify=False)
    admin = auth.admin("admin_names")
    assert client.post(f"/api/v1/businesses/{pending['id']}/verify", headers=admin.headers).status_code == 200
    r = client.post(f"/api/v1/businesses/{pending2['id']}/verify", headers=admin.headers)
    assert r.status_code == 409 and r.get_json()["code"] == "business_name_taken"


def test_api_keys_cannot_manage_staff(client, auth):
    owner, biz = auth.business()
    raw = client.post(f"/api/v1/businesses/{biz['id']}/api-keys", headers=owner.headers,
                      json={"name": "erp"}).get_json()["key"]
    for r in (client.post(f"/api/v1/businesses/{biz['id']}/members", headers={"X-Api-Key": raw},
                          json={"phone": PHONE, "role": "owner"}),
              client.get(f"/api/v1/businesses/{biz['id']}/members", headers={"X-Api-Key": raw}),
              client.delete(f"/api/v1/businesses/{biz['id']}/members/{owner.user_id}", headers={"X-Api-Key": raw})):
        assert r.status_code == 403 and r.get_json()["code"] == "api_key_not_allowed", r.get_json()
        assert r.get_json()["detail"]


def test_inviting_twice_renews_one_invitation_and_erasure_takes_pending_ones(client, auth, db):
    owner, biz = auth.business()
    person = auth.consumer("钱七", phone=PHONE)
    first = invite(client, owner, biz["id"]).get_json()["invitation_id"]
    second = invite(client, owner, biz["id"], role="owner").get_json()["invitation_id"]
    assert first == second
    mine = client.get("/api/v1/me/invitations", headers=person.headers).get_json()
    assert [(i["id"], i["role"]) for i in mine] == [(first, "owner")]
    assert client.delete("/api/v1/me", headers=person.headers).status_code == 204
    with db.session() as s:
        assert s.execute(select(BusinessInvitation)).first() is None
