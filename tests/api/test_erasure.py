"""Erasure that erases (issue 14.1): after DELETE /me the published title keeps the name redacted, staff no
longer read the phone, ID number or bank cards, uploads are gone (evidence of a case in mediation only once
that case ends), open complaints are withdrawn by the system with a reason, the anonymised record stays."""
from __future__ import annotations

import io

from server.core.models import Complaint, Upload
from server.tasks.jobs import purge_erased_evidence
from tests.factories import act, file_complaint, png_bytes
from tests.storage import both_backends, stored_objects

PHONE = "13812345678"
ID_NUMBER = "110101199003071235"  # check digit wrong on purpose: personal data all the same
ID_VALID = "11010519491231002X"
CARD = "6222021234567890128"


def _upload(client, who) -> str:
    r = client.post("/api/v1/uploads", headers=who.headers, data={"file": (io.BytesIO(png_bytes(8, (10, 200, 10))), "a.png")},
                    content_type="multipart/form-data")
    assert r.status_code == 201, r.get_json()
    return r.get_json()["id"]


def _approve(client, mediator, cid):
    r = client.post(f"/api/v1/complaints/{cid}/publication", headers=mediator.headers, json={"approve": True})
    assert r.status_code == 200, r.get_json()


def _public_titles(client, business_id) -> list[str]:
    body = client.get(f"/api/v1/public/complaints?business_id={business_id}").get_json()
    return [i["title"] for i in body["items"]]


@both_backends
def test_the_issue_scenario(client, auth, db, settings):
    owner, biz = auth.business()
    consumer = auth.consumer("张伟", phone=PHONE)
    mediator = auth.mediator("1101")
    evidence = _upload(client, consumer)
    text = (f"我是张伟，电话{PHONE}（也可打138.1234.5678），身份证{ID_NUMBER}，另一张证件{ID_VALID}，"
            f"退款请打到银行卡{CARD}。冰箱门有凹痕，商家拒绝换货。")
    published = file_complaint(client, consumer, biz["id"], title="张伟投诉冰箱外观凹痕", description=text,
                               public_consent=True, attachment_ids=[evidence])
    act(client, mediator, published["id"], "accept")  # forwarded to the verified business: still open
    _approve(client, mediator, published["id"])
    r = client.post(f"/api/v1/complaints/{published['id']}/messages", headers=consumer.headers,
                    json={"body": f"张伟补充：我的电话是{PHONE}"})
    assert r.status_code == 201
    assert _public_titles(client, biz["id"]) == ["张**投诉冰箱外观凹痕"]
    before = str(client.get("/api/v1/notifications?per_page=100", headers=owner.headers).get_json()["items"])
    assert "张伟" in before and PHONE in before  # the business's inbox quotes the title and the message
    with db.session() as s:
        storage = s.get(Upload, evidence).storage_name
    assert storage in stored_objects(settings)

    assert client.delete("/api/v1/me", headers=consumer.headers).status_code == 204

    # The published title stays redacted, though the account no longer carries the name.
    assert _public_titles(client, biz["id"]) == ["张**投诉冰箱外观凹痕"]
    # Staff (the business and the mediator) read the stored text: nothing of the person is left in it.
    for who in (owner, mediator):
        c = client.get(f"/api/v1/complaints/{published['id']}", headers=who.headers).get_json()
        msgs = client.get(f"/api/v1/complaints/{published['id']}/messages", headers=who.headers).get_json()
        stored = c["title"] + c["description"] + "".join(m["body"] for m in msgs["items"])
        for leak in ("张伟", PHONE, "138.1234.5678", ID_NUMBER, ID_VALID, CARD):
            assert leak not in stored, (leak, stored)
        assert "冰箱门有凹痕" in c["description"]
        inbox = client.get("/api/v1/notifications?per_page=100", headers=who.headers).get_json()["items"]
        quoted = "".join(str(n) for n in inbox)
        assert "张伟" not in quoted and PHONE not in quoted, quoted
        # Withdrawn by the system, with the reason in the timeline; the evidence is gone.
        assert c["status"] == "withdrawn"
        last = c["timeline"][-1]
        assert (last["action"], last["actor_role"], last["to_status"]) == ("withdraw", "system", "withdrawn")
        assert "注销" in last["note"]
        assert c["attachments"] == []
        assert client.get(f"/api/v1/uploads/{evidence}", headers=who.headers).status_code == 404
    assert storage not in stored_objects(settings)  # the file, or the S3 object, is deleted
    # The anonymised record stays for the statistics.
    with db.session() as s:
        row = s.get(Complaint, published["id"])
        assert row.business_id == biz["id"] and row.consumer_id == consumer.user_id
    assert client.get("/api/v1/public/stats").get_json()["complaints_total"] >= 1


@both_backends
def test_evidence_of_a_case_in_mediation_is_kept_until_the_case_ends(client, auth, db, settings):
    _, biz = auth.business(verify=False)  # unverified business: straight to mediation
    consumer = auth.consumer("李娜", phone="13900139000")
    mediator = auth.mediator("1101")
    evidence = _upload(client, consumer)
    c = file_complaint(client, consumer, biz["id"], attachment_ids=[evidence],
                       description="李娜的快递被弄丢了，电话13900139000。")
    act(client, mediator, c["id"], "accept")
    assert client.get(f"/api/v1/complaints/{c['id']}", headers=mediator.headers).get_json()["status"] == "mediating"

    assert client.delete("/api/v1/me", headers=consumer.headers).status_code == 204

    shown = client.get(f"/api/v1/complaints/{c['id']}", headers=mediator.headers).get_json()
    assert shown["status"] == "mediating" and [a["id"] for a in shown["attachments"]] == [evidence]
    assert "李娜" not in shown["description"] and "13900139000" not in shown["description"]
    db_ = db
    purge_erased_evidence(db_, settings, None)
    assert client.get(f"/api/v1/uploads/{evidence}", headers=mediator.headers).status_code == 200  # case open

    act(client, mediator, c["id"], "mediate_fail", note="投诉人已注销，无法继续调解")
    purge_erased_evidence(db_, settings, None)
    assert client.get(f"/api/v1/uploads/{evidence}", headers=mediator.headers).status_code == 404
    with db.session() as s:
        assert s.get(Upload, evidence) is None
    assert stored_objects(settings) == {}


def test_other_peoples_complaints_are_untouched(client, auth):
    _, biz = auth.business()
    leaving, staying = auth.consumer("王芳", phone="13700137001"), auth.consumer("赵敏", phone="13700137002")
    mediator = auth.mediator("1101")
    kept = file_complaint(client, staying, biz["id"], description="电话13700137002，退款。")
    assert client.delete("/api/v1/me", headers=leaving.headers).status_code == 204
    shown = client.get(f"/api/v1/complaints/{kept['id']}", headers=mediator.headers).get_json()
    assert shown["description"] == "电话13700137002，退款。" and shown["status"] == "submitted"
