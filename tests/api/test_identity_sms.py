"""Web sign-in with SMS one-time codes: expiry, single use, attempts, cooldown, per-phone and per-IP limits."""
from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from server.core.identity.accounts import cipher
from server.core.identity.providers.sms import ConsoleSms
from server.core.models import Identity, SmsCode, User
from tests.factories import count
from tests.simulators import fixtures

# pytest finds fixtures by module attribute; this comes from the shared simulator fixtures.
sms_sim = fixtures.sms_sim

PHONE = "13800138000"


def send(client, phone=PHONE, ip="10.0.0.1"):
    return client.post("/api/v1/auth/sms/send", json={"phone": phone}, environ_base={"REMOTE_ADDR": ip})


def login(client, code, phone=PHONE):
    return client.post("/api/v1/auth/sms/login", json={"phone": phone, "code": code})


def backdate_codes(db, settings, phone=PHONE, seconds=3600):
    """Move this phone's codes into the past (past the resend cooldown, or past expiry)."""
    h = cipher(settings).lookup_hash(phone)
    with db.session() as s:
        for row in s.execute(select(SmsCode).where(SmsCode.phone_hash == h)).scalars():
            row.created_at -= timedelta(seconds=seconds)
            row.expires_at -= timedelta(seconds=seconds)
        s.commit()


def test_send_then_login_creates_a_consumer_with_that_phone_and_the_code_works_once(client, db):
    r = send(client, "+86 138-0013-8000")  # any usual spelling of the number
    assert r.status_code == 202
    assert r.get_json() == {"expires_in": 300, "resend_after": 60}
    code = ConsoleSms.last_code(PHONE)
    assert code is not None and len(code) == 6 and code.isdigit()

    r = login(client, code)
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["user"]["kind"] == "consumer" and body["user"]["phone_masked"] == "138****8000"
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"}).get_json()
    assert me["identities"] == ["phone"]

    again = login(client, code)
    assert again.status_code == 401 and again.get_json()["code"] == "invalid_code"
    with db.session() as s:
        row = s.execute(select(SmsCode)).scalar_one()
        assert code not in (row.code_hash, row.phone_hash) and PHONE not in row.phone_hash


def test_the_code_is_for_its_phone_only(client):
    send(client)
    code = ConsoleSms.last_code(PHONE)
    assert login(client, code, phone="13900139000").status_code == 401
    assert login(client, code).status_code == 200


def test_an_existing_account_with_the_phone_is_found_not_duplicated(client, auth, db):
    existing = auth.consumer("赵六", phone=PHONE)
    send(client)
    r = login(client, ConsoleSms.last_code(PHONE))
    assert r.status_code == 200 and r.get_json()["user"]["id"] == existing.user_id
    assert count(db, User) == 1
    assert count(db, Identity, Identity.user_id == existing.user_id, Identity.provider == "phone") == 1


def test_business_staff_invited_by_phone_sign_in_by_sms_and_accept(client, auth):
    owner, biz = auth.business()
    r = client.post(f"/api/v1/businesses/{biz['id']}/members", headers=owner.headers,
                    json={"phone": "13600136000", "role": "agent"})
    assert r.status_code == 202, r.get_json()
    send(client, "13600136000")
    r = login(client, ConsoleSms.last_code("13600136000"), phone="13600136000")
    assert r.status_code == 200 and r.get_json()["user"]["kind"] == "consumer"  # not staff before accepting
    headers = {"Authorization": f"Bearer {r.get_json()['access_token']}"}
    invitations = client.get("/api/v1/me/invitations", headers=headers).get_json()
    assert [i["business"]["id"] for i in invitations] == [biz["id"]]
    assert client.post(f"/api/v1/me/invitations/{invitations[0]['id']}/accept", headers=headers).status_code == 200
    assert client.get("/api/v1/me", headers=headers).get_json()["kind"] == "business_staff"


def test_wrong_codes_count_and_five_wrong_tries_kill_the_code(client):
    send(client)
    code = ConsoleSms.last_code(PHONE)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        r = login(client, wrong)
        assert r.status_code == 401 and r.get_json()["code"] == "invalid_code"
    r = login(client, code)
    assert r.status_code == 401  # the right code no longer helps: guessing is capped at 5 per code


def test_an_expired_code_is_refused(client, db, settings):
    send(client)
    code = ConsoleSms.last_code(PHONE)
    backdate_codes(db, settings, seconds=301)
    r = login(client, code)
    assert r.status_code == 401 and r.get_json()["code"] == "invalid_code"


def test_a_new_code_replaces_the_previous_one(client, db, settings):
    send(client)
    first = ConsoleSms.last_code(PHONE)
    backdate_codes(db, settings, seconds=61)  # past the resend cooldown, still unexpired
    assert send(client).status_code == 202
    second = ConsoleSms.last_code(PHONE)
    if first != second:
        assert login(client, first).status_code == 401
    assert login(client, second).status_code == 200


@pytest.mark.postgres_only
def test_two_sends_at_once_for_one_phone_send_one_sms(app, monkeypatch):
    """A double tap while the SMS provider is slow: the second send waits for the first to commit its code,
    then gets the cooldown's 429 (before, both saw no code yet and the phone got two SMS)."""
    real = ConsoleSms.send_code

    def slow_send(self, phone, code):
        time.sleep(0.5)  # Aliyun answers in a few hundred ms
        real(self, phone, code)

    monkeypatch.setattr(ConsoleSms, "send_code", slow_send)
    phone = "13800138111"
    before = sum(1 for item in ConsoleSms.outbox if item["phone"] == phone)
    statuses: list[int] = []

    def tap():
        statuses.append(send(app.test_client(), phone=phone).status_code)

    taps = [threading.Thread(target=tap) for _ in range(2)]
    for i, t in enumerate(taps):
        t.start()
        if i == 0:
            time.sleep(0.2)  # the first is inside the provider call, its code not yet committed
    for t in taps:
        t.join(10)
    assert sorted(statuses) == [202, 429]
    assert sum(1 for item in ConsoleSms.outbox if item["phone"] == phone) - before == 1


def test_resend_within_a_minute_is_429_with_retry_after(client):
    assert send(client).status_code == 202
    r = send(client)
    assert r.status_code == 429 and r.get_json()["code"] == "rate_limited"
    assert r.mimetype == "application/problem+json"
    assert 1 <= int(r.headers["Retry-After"]) <= 60


@pytest.fixture
def settings_overrides(settings_overrides):
    return {**settings_overrides, "SMS_SEND_LIMIT_PER_PHONE": 3, "SMS_SEND_LIMIT_PER_IP": 4}


def test_hourly_limit_per_phone(client, db, settings):
    for _ in range(3):
        assert send(client).status_code == 202
        backdate_codes(db, settings, seconds=61)
    r = send(client)
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 60
    # Another phone from the same IP is still served.
    assert send(client, "13900139000").status_code == 202


def test_hourly_limit_per_ip(client):
    phones = [f"1390013900{i}" for i in range(5)]
    for phone in phones[:4]:
        assert send(client, phone, ip="10.9.9.9").status_code == 202
    r = send(client, phones[4], ip="10.9.9.9")
    assert r.status_code == 429 and r.get_json()["code"] == "rate_limited" and r.headers["Retry-After"]
    assert send(client, phones[4], ip="10.9.9.10").status_code == 202


def test_bad_input_is_422_not_401(client):
    r = client.post("/api/v1/auth/sms/send", json={"phone": "12345"})
    assert r.status_code == 422 and r.get_json()["errors"][0]["field"] == "phone"
    r = client.post("/api/v1/auth/sms/login", json={"phone": PHONE, "code": "12ab"})
    assert r.status_code == 422


def test_login_without_any_code_sent_is_401(client, db):
    r = login(client, "123456")
    assert r.status_code == 401 and r.get_json()["code"] == "invalid_code"
    assert count(db, User) == 0


def test_erased_account_phone_signs_up_afresh(client, db):
    send(client)
    first = login(client, ConsoleSms.last_code(PHONE)).get_json()
    assert client.delete("/api/v1/me", headers={"Authorization": f"Bearer {first['access_token']}"}).status_code == 204
    assert count(db, SmsCode) == 0  # the erased person's codes went with the phone
    send(client)
    second = login(client, ConsoleSms.last_code(PHONE)).get_json()
    assert second["user"]["id"] != first["user"]["id"]


# ------------------------------------------------------------------ through the Aliyun provider and its simulator

@pytest.fixture
def aliyun(settings, sms_sim):
    for key in ("SMS_PROVIDER", "SMS_ENDPOINT", "SMS_ACCESS_KEY_ID", "SMS_ACCESS_KEY_SECRET", "SMS_TIMEOUT_SECONDS"):
        settings[key] = sms_sim.settings[key]
    return sms_sim


def test_aliyun_provider_delivers_the_code(client, aliyun):
    assert send(client).status_code == 202
    code = aliyun.get(f"/_sim/sms/last?phone={PHONE}")["code"]
    assert login(client, code).status_code == 200


def test_aliyun_failure_is_503_and_leaves_no_code_behind(client, db, aliyun):
    aliyun.fault("busy")
    r = send(client)
    assert r.status_code == 503 and r.get_json()["code"] == "upstream_unavailable"
    assert count(db, SmsCode) == 0
    aliyun.fault(None)
    assert send(client).status_code == 202  # no cooldown from a code nobody received


def test_a_code_at_its_attempt_limit_is_refused_even_when_right(client, db):
    send(client)
    with db.session() as s:
        s.execute(update(SmsCode).values(attempts=5))
        s.commit()
    assert login(client, ConsoleSms.last_code(PHONE)).status_code == 401
