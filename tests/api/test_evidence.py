"""Evidence after filing (issue 18.3): messages carry attachments, and the complaint's parties see each
other's evidence through GET /uploads/{id}; nobody else does."""
from __future__ import annotations

import io

from server.core.models import Message, MessageAttachment
from tests.factories import act, count, file_complaint, png_bytes


def _upload(client, who, color=(200, 30, 30)) -> dict:
    r = client.post("/api/v1/uploads", headers=who.headers, data={"file": (io.BytesIO(png_bytes(12, color)), "p.png")},
                    content_type="multipart/form-data")
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def _forwarded(client, auth):
    """A complaint against a verified business, accepted by the mediator and forwarded to the business."""
    owner, business = auth.business()
    consumer, mediator = auth.consumer(), auth.mediator("1101")
    c = file_complaint(client, consumer, business["id"])
    assert act(client, mediator, c["id"], "accept")["status"] == "forwarded"
    return c, consumer, owner, mediator


def _post(client, who, cid, **body):
    return client.post(f"/api/v1/complaints/{cid}/messages", headers=who.headers, json=body)


def _download(client, who, upload_id):
    return client.get(f"/api/v1/uploads/{upload_id}", headers=who.headers)


def test_a_message_with_photos_is_seen_by_the_other_party_and_nobody_else(client, auth, db):
    c, consumer, owner, mediator = _forwarded(client, auth)
    photos = [_upload(client, owner, (200, 30, 30)), _upload(client, owner, (30, 200, 30))]
    ids = [p["id"] for p in photos]
    # The business asks for the invoice and shows its own shipping photos; no text is needed with photos.
    r = _post(client, owner, c["id"], attachment_ids=ids)
    assert r.status_code == 201, r.get_json()
    sent = r.get_json()
    assert sent["body"] == ""
    assert [(a["id"], a["url"], a["content_type"]) for a in sent["attachments"]] == \
        [(i, f"/api/v1/uploads/{i}", "image/png") for i in ids]

    # The consumer reads the thread and opens both photos: the very bytes the business uploaded.
    thread = client.get(f"/api/v1/complaints/{c['id']}/messages", headers=consumer.headers).get_json()
    [m] = thread["items"]
    assert m["author_role"] == "business_staff" and not m["mine"]
    assert [a["id"] for a in m["attachments"]] == ids
    for p in photos:
        got = _download(client, consumer, p["id"])
        assert got.status_code == 200
        mine = _download(client, owner, p["id"])
        assert got.data == mine.data and len(got.data) == p["size"]
    assert _download(client, mediator, ids[0]).status_code == 200
    # Evidence of the thread stays with its message, not among the filing's evidence.
    detail = client.get(f"/api/v1/complaints/{c['id']}", headers=consumer.headers).get_json()
    assert detail["attachments"] == []

    # A stranger (another consumer), a mediator of another region, another business: not found.
    for stranger in (auth.consumer(name="路人"), auth.mediator("3101"), auth.business()[0]):
        assert _download(client, stranger, ids[0]).status_code in (403, 404)

    # And the other way: the consumer's photo reaches the business.
    invoice = _upload(client, consumer, (30, 30, 200))
    r = _post(client, consumer, c["id"], body="这是发票照片", attachment_ids=[invoice["id"]])
    assert r.status_code == 201, r.get_json()
    assert _download(client, owner, invoice["id"]).data == _download(client, consumer, invoice["id"]).data
    thread = client.get(f"/api/v1/complaints/{c['id']}/messages", headers=owner.headers).get_json()
    assert [(m["body"], [a["id"] for a in m["attachments"]]) for m in thread["items"]] == \
        [("", ids), ("这是发票照片", [invoice["id"]])]


def test_refused_attachments_store_nothing(client, auth, db):
    c, consumer, owner, mediator = _forwarded(client, auth)
    cid = c["id"]

    def refused(who, body, **fields):
        before = count(db, Message), count(db, MessageAttachment)
        r = _post(client, who, cid, **fields) if body is None else _post(client, who, cid, body=body, **fields)
        assert r.status_code == 422, r.get_json()
        assert (count(db, Message), count(db, MessageAttachment)) == before
        return r.get_json()

    # Ten photos: at most nine.
    ten = [_upload(client, consumer, (i * 20, 10, 10))["id"] for i in range(10)]
    problem = refused(consumer, "十张照片", attachment_ids=ten)
    assert "9" in str(problem)
    # Someone else's upload (the business's, never sent): refused, in Chinese, and not attached.
    theirs = _upload(client, owner)["id"]
    problem = refused(consumer, "看这张", attachment_ids=[ten[0], theirs])
    assert any("不可用" in e["message"] for e in problem["errors"])
    assert _download(client, consumer, theirs).status_code == 404  # still only the business's
    assert _download(client, owner, ten[0]).status_code == 404  # and nothing of the consumer's was bound
    # An unknown id.
    problem = refused(consumer, "看这张", attachment_ids=["0" * 32])
    assert any("不存在" in e["message"] for e in problem["errors"])
    # No text and no photo.
    refused(consumer, "  ")
    refused(consumer, None)

    # Once sent, an upload cannot be sent again, nor supplemented or filed with another complaint.
    assert _post(client, consumer, cid, body="一张", attachment_ids=[ten[0]]).status_code == 201
    refused(consumer, "再发一次", attachment_ids=[ten[0]])
    r = client.post("/api/v1/complaints", headers=consumer.headers, json={
        "business_name": "另一家店", "industry_code": "online_shopping", "region_code": "110105",
        "category": "quality", "title": "另一件事情", "description": "另一件事情的经过，写满十个字。",
        "attachment_ids": [ten[0]]})
    assert r.status_code == 422, r.get_json()
    assert count(db, MessageAttachment) == 1


def test_supplement_evidence_shows_on_its_timeline_event(client, auth):
    c, consumer, owner, mediator = _forwarded(client, auth)
    act(client, mediator, c["id"], "request_materials", note="请补充发票")
    invoice = _upload(client, consumer)
    done = act(client, consumer, c["id"], "supplement", note="发票", attachment_ids=[invoice["id"]])
    ev = done["timeline"][-1]
    assert ev["action"] == "supplement"
    assert [(a["id"], a["url"], a["content_type"]) for a in ev["attachments"]] == \
        [(invoice["id"], f"/api/v1/uploads/{invoice['id']}", "image/png")]
    seen = client.get(f"/api/v1/complaints/{c['id']}", headers=owner.headers).get_json()
    assert [a["id"] for a in seen["timeline"][-1]["attachments"]] == [invoice["id"]]
    assert _download(client, owner, invoice["id"]).status_code == 200


def test_a_risky_message_photo_is_withdrawn_from_the_other_party(client, auth, db):
    """Message photos go through the filing's media check (at upload): one WeChat calls risky is hidden from
    the business, still seen by its owner and the mediators; one sent to a person holds the complaint."""
    from server.core.models import Upload

    c, consumer, owner, mediator = _forwarded(client, auth)
    risky, review = _upload(client, consumer, (1, 2, 3))["id"], _upload(client, consumer, (4, 5, 6))["id"]
    assert _post(client, consumer, c["id"], body="两张照片", attachment_ids=[risky]).status_code == 201
    with db.session() as s:
        s.get(Upload, risky).moderation = "risky"  # as the media check's push marks it
        s.get(Upload, review).moderation = "review"
        s.commit()
    [m] = client.get(f"/api/v1/complaints/{c['id']}/messages", headers=owner.headers).get_json()["items"]
    assert m["attachments"] == []
    assert _download(client, owner, risky).status_code == 404
    for who in (consumer, mediator):
        [m] = client.get(f"/api/v1/complaints/{c['id']}/messages", headers=who.headers).get_json()["items"]
        assert [a["id"] for a in m["attachments"]] == [risky]
        assert _download(client, who, risky).status_code == 200
    assert _post(client, consumer, c["id"], attachment_ids=[review]).status_code == 201
    assert client.get(f"/api/v1/complaints/{c['id']}", headers=mediator.headers).get_json()["moderation"] == "review"
