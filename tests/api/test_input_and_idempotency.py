"""Bad input gets a clear problem document and changes nothing; Idempotency-Key replays exactly."""
from __future__ import annotations

import io
import threading

from PIL import Image
from sqlalchemy import func, select

from server.core.models import Complaint
from tests.factories import complaint_body, credit_code


def count_complaints(db) -> int:
    with db.session() as s:
        return s.execute(select(func.count()).select_from(Complaint)).scalar_one()


def assert_problem(r, status, code):
    assert r.status_code == status, r.get_data(as_text=True)
    assert r.mimetype == "application/problem+json"
    body = r.get_json()
    assert body["code"] == code and body["status"] == status and body["title"] and body["detail"]
    return body


def test_bad_complaint_bodies_are_rejected_and_change_nothing(client, auth, db):
    consumer = auth.consumer()
    h = consumer.headers
    cases = [
        ({}, "industry_code"),
        (complaint_body(title="x" * 61), "title"),
        (complaint_body(description="太短"), "description"),
        (complaint_body(description="长" * 5001), "description"),
        (complaint_body(industry_code="spaceships"), "industry_code"),
        (complaint_body(category="angry"), "category"),
        (complaint_body(region_code="11"), "region_code"),
        (complaint_body(region_code="999999"), "region_code"),
        (complaint_body(amount_claimed="12.345"), "amount_claimed"),
        (complaint_body(amount_claimed="-5"), "amount_claimed"),
        (complaint_body(amount_claimed="abc"), "amount_claimed"),
        (complaint_body(demands=["revenge"]), "demands.0"),
        (complaint_body(purchase_date="2026-13-45"), "purchase_date"),
        (complaint_body(purchase_date="2099-01-01"), "purchase_date"),
        (complaint_body(public_consent="maybe"), "public_consent"),
        (complaint_body(business_id=999999), "business_id"),
        (complaint_body(attachment_ids=["nope"]), "attachment_ids"),
        ({**complaint_body(), "surprise": 1}, "surprise"),
        ({k: v for k, v in complaint_body().items() if k != "business_name"}, "body"),
    ]
    for body, field in cases:
        r = client.post("/api/v1/complaints", headers=h, json=body)
        problem = assert_problem(r, 422, "validation_error")
        assert any(e["field"] == field for e in problem["errors"]), (field, problem)
    assert_problem(client.post("/api/v1/complaints", headers=h, data="{not json", content_type="application/json"),
                   400, "bad_request")
    assert_problem(client.post("/api/v1/complaints", headers=h, data="a=b", content_type="text/plain"), 400, "bad_request")
    assert_problem(client.post("/api/v1/complaints", headers=h, json=[1, 2]), 422, "validation_error")
    assert count_complaints(db) == 0


def test_auth_errors(client, auth):
    assert_problem(client.get("/api/v1/complaints"), 401, "unauthorized")
    assert_problem(client.get("/api/v1/complaints", headers={"Authorization": "Bearer nonsense"}), 401, "invalid_token")
    assert_problem(client.get("/api/v1/complaints", headers={"Authorization": "Basic abc"}), 401, "invalid_token")
    assert_problem(client.get("/api/v1/complaints", headers={"X-Api-Key": "sk315_wrong"}), 401, "invalid_token")
    assert_problem(client.post("/api/v1/auth/password", json={"username": "nobody", "password": "x"}), 401,
                   "invalid_credentials")
    assert_problem(client.get("/api/v1/complaints/abc"), 404, "not_found")
    assert_problem(client.delete("/api/v1/industries"), 405, "method_not_allowed")
    consumer = auth.consumer()
    assert_problem(client.get("/api/v1/complaints/424242", headers=consumer.headers), 404, "not_found")
    assert_problem(client.get("/api/v1/complaints?per_page=1000", headers=consumer.headers), 422, "validation_error")
    assert_problem(client.get("/api/v1/complaints?page=0", headers=consumer.headers), 422, "validation_error")
    assert_problem(client.get("/api/v1/complaints?status=lost", headers=consumer.headers), 422, "validation_error")


def test_expired_access_token_is_401(client, auth, app):
    consumer = auth.consumer()
    app.config["SMART315"]["ACCESS_TOKEN_TTL"] = -1
    assert_problem(client.get("/api/v1/me", headers=consumer.headers), 401, "invalid_token")


def test_idempotency_key_replays_and_conflicts(client, auth, db):
    consumer = auth.consumer()
    other = auth.consumer(name="李四")
    body = complaint_body()
    h = {**consumer.headers, "Idempotency-Key": "draft-7f3a"}
    first = client.post("/api/v1/complaints", headers=h, json=body)
    again = client.post("/api/v1/complaints", headers=h, json=body)
    assert first.status_code == again.status_code == 201
    assert first.get_json() == again.get_json()
    assert count_complaints(db) == 1
    changed = client.post("/api/v1/complaints", headers=h, json={**body, "title": "另一件事"})
    assert_problem(changed, 409, "idempotency_conflict")
    # The same key from another caller is another request.
    theirs = client.post("/api/v1/complaints", headers={**other.headers, "Idempotency-Key": "draft-7f3a"}, json=body)
    assert theirs.status_code == 201 and theirs.get_json()["id"] != first.get_json()["id"]
    assert_problem(client.post("/api/v1/complaints", headers={**consumer.headers, "Idempotency-Key": "k" * 129},
                               json=body), 422, "validation_error")
    assert count_complaints(db) == 2


def test_concurrent_retries_with_one_key_file_once(app, auth, db):
    consumer = auth.consumer()
    body = complaint_body()
    results = []

    def send():
        with app.test_client() as c:
            r = c.post("/api/v1/complaints", headers={**consumer.headers, "Idempotency-Key": "weak-network"}, json=body)
            results.append((r.status_code, r.get_json()["id"]))

    threads = [threading.Thread(target=send) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {s for s, _ in results} == {201}
    assert len({i for _, i in results}) == 1
    assert count_complaints(db) == 1


def test_public_numbers_unique_under_concurrent_submissions(app, auth, db):
    consumers = [auth.consumer(name=f"用户{i}") for i in range(8)]
    nos = []

    def send(login):
        with app.test_client() as c:
            for _ in range(3):
                r = c.post("/api/v1/complaints", headers=login.headers, json=complaint_body())
                assert r.status_code == 201, r.get_json()
                nos.append(r.get_json()["public_no"])

    threads = [threading.Thread(target=send, args=(c,)) for c in consumers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(nos) == 24 and len(set(nos)) == 24


def png_bytes(exif_gps: bool = False) -> bytes:
    img = Image.new("RGB", (40, 30), (200, 30, 30))
    out = io.BytesIO()
    if exif_gps:
        exif = Image.Exif()
        exif[0x8825] = {1: "N", 2: (39.0, 54.0, 0.0)}  # GPSInfo
        img.save(out, "JPEG", exif=exif)
    else:
        img.save(out, "PNG")
    return out.getvalue()


def test_uploads_by_content_visibility_and_exif_stripped(client, auth):
    owner, biz = auth.business()
    consumer = auth.consumer()
    stranger = auth.consumer(name="王五")
    mediator = auth.mediator("1101")
    r = client.post("/api/v1/uploads", headers=consumer.headers,
                    data={"file": (io.BytesIO(png_bytes(exif_gps=True)), "photo.png")})
    assert r.status_code == 201, r.get_json()
    up = r.get_json()
    assert up["mime"] == "image/jpeg"  # by content, not by the name
    fake = client.post("/api/v1/uploads", headers=consumer.headers,
                       data={"file": (io.BytesIO(b"<script>alert(1)</script>"), "evil.jpg")})
    assert_problem(fake, 415, "unsupported_media_type")
    assert_problem(client.post("/api/v1/uploads", headers=consumer.headers, data={}), 422, "validation_error")
    big = b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024 + 10)
    assert client.post("/api/v1/uploads", headers=consumer.headers,
                       data={"file": (io.BytesIO(big), "big.pdf")}).status_code == 413

    c = client.post("/api/v1/complaints", headers=consumer.headers,
                    json=complaint_body(biz["id"], attachment_ids=[up["id"]])).get_json()
    assert [a["id"] for a in c["attachments"]] == [up["id"]]
    got = client.get(f"/api/v1/uploads/{up['id']}", headers=consumer.headers)
    assert got.status_code == 200 and got.headers["X-Content-Type-Options"] == "nosniff"
    assert got.headers["Content-Disposition"].startswith("attachment")
    assert Image.open(io.BytesIO(got.data)).getexif().get(0x8825) is None
    assert client.get(f"/api/v1/uploads/{up['id']}", headers=mediator.headers).status_code == 200
    assert client.get(f"/api/v1/uploads/{up['id']}", headers=stranger.headers).status_code == 404
    assert client.get(f"/api/v1/uploads/{up['id']}", headers=owner.headers).status_code == 404  # not forwarded yet
    # Someone else's upload cannot be attached to my complaint.
    r = client.post("/api/v1/complaints", headers=stranger.headers, json=complaint_body(attachment_ids=[up["id"]]))
    assert_problem(r, 422, "validation_error")


def test_business_registration_verification_and_search(client, auth):
    consumer = auth.consumer()
    bad = client.post("/api/v1/businesses", headers=consumer.headers, json={
        "name": "测试商行", "credit_code": "91110105MA01234567", "industry_code": "food", "region_code": "110105",
        "contact_name": "王", "contact_phone": "13900001111"})
    body = assert_problem(bad, 422, "validation_error")
    assert body["errors"][0]["field"] == "credit_code"
    good = {"name": "北京京东世纪贸易有限公司", "credit_code": credit_code(), "industry_code": "online_shopping",
            "region_code": "110105", "contact_name": "王经理", "contact_phone": "139 0000 1111"}
    r = client.post("/api/v1/businesses", headers=consumer.headers, json=good)
    assert r.status_code == 201 and r.get_json()["status"] == "pending"
    bid = r.get_json()["id"]
    assert_problem(client.post("/api/v1/businesses", headers=consumer.headers, json=good), 409, "conflict")
    assert client.get("/api/v1/me", headers=consumer.headers).get_json()["kind"] == "business_staff"
    # Verification: not by the owner, not by a mediator elsewhere; yes by the local mediator.
    assert client.post(f"/api/v1/businesses/{bid}/verify", headers=consumer.headers).status_code == 403
    far = auth.mediator("44", username="gd")
    assert client.post(f"/api/v1/businesses/{bid}/verify", headers=far.headers).status_code == 403
    local = auth.mediator("110105", username="cy")
    assert client.post(f"/api/v1/businesses/{bid}/verify", headers=local.headers).get_json()["status"] == "verified"
    # Partial Chinese names match, anonymously.
    found = client.get("/api/v1/businesses?q=京东").get_json()
    assert [b["id"] for b in found["items"]] == [bid] and found["total"] == 1
    assert client.get("/api/v1/businesses?q=苏宁").get_json()["total"] == 0
    prof = client.get(f"/api/v1/businesses/{bid}").get_json()
    assert prof["region_name"].startswith("北京市") and "contact_phone" not in prof
    assert_problem(client.get("/api/v1/businesses/99999"), 404, "not_found")


def test_lists_follow_visibility(client, auth):
    owner, biz = auth.business()
    other_owner, other_biz = auth.business(name="上海某某电器有限公司", region="310101")
    alice, bob = auth.consumer(name="爱丽丝"), auth.consumer(name="鲍勃")
    bj = auth.mediator("11", username="bj")
    sh = auth.mediator("31", username="sh")
    admin = auth.admin(username="root2")
    a1 = client.post("/api/v1/complaints", headers=alice.headers, json=complaint_body(biz["id"])).get_json()
    b1 = client.post("/api/v1/complaints", headers=bob.headers,
                     json=complaint_body(other_biz["id"], region_code="310101")).get_json()
    client.post(f"/api/v1/complaints/{a1['id']}/transitions", headers=bj.headers, json={"action": "accept"})

    def ids(login, qs=""):
        return {c["id"] for c in client.get(f"/api/v1/complaints{qs}", headers=login.headers).get_json()["items"]}

    assert ids(alice) == {a1["id"]} and ids(bob) == {b1["id"]}
    assert ids(bj) == {a1["id"]} and ids(sh) == {b1["id"]}
    assert ids(owner) == {a1["id"]} and ids(other_owner) == set()
    assert ids(admin) == {a1["id"], b1["id"]}
    assert ids(admin, "?status=submitted") == {b1["id"]}
    assert client.get(f"/api/v1/complaints/{b1['id']}", headers=bj.headers).status_code == 404


def test_deeply_nested_json_is_a_400_not_a_500(client, auth, db):
    consumer = auth.consumer()
    deep = "[" * 100_000 + "]" * 100_000  # 200 KB: under the body limit, over the decoder's stack
    for path in ("/api/v1/complaints", "/api/v1/consult", "/api/v1/auth/password"):
        r = client.post(path, headers=consumer.headers, data=deep, content_type="application/json")
        assert_problem(r, 400, "bad_request")
    assert count_complaints(db) == 0
