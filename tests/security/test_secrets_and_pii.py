"""Secrets and personal data: never in logs or problem bodies, encrypted at rest with a keyed look-up
hash, masked wherever shown."""
from __future__ import annotations

import json
import logging

import pytest
from sqlalchemy import text

from server.core.identity.accounts import do_create_staff_user
from server.core.privacy import id_check_digit
from tests.factories import complaint_body

PHONE = "13912345678"  # signs in by SMS
PHONE_IN_TEXT = "15087654321"  # written in the complaint
ID17 = "11010519880315123"
ID_NUMBER = ID17 + id_check_digit(ID17)
STAFF_PASSWORD = "Very-secret-passw0rd!"
WRONG_PASSWORD = "Wrong-guess-passw0rd?"


@pytest.fixture
def settings_overrides(settings_overrides, sms_sim):
    over = dict(settings_overrides)
    for key in ("SMS_PROVIDER", "SMS_ENDPOINT", "SMS_ACCESS_KEY_ID", "SMS_ACCESS_KEY_SECRET", "SMS_TIMEOUT_SECONDS"):
        over[key] = sms_sim.settings[key]
    return over


@pytest.fixture
def all_logs(caplog):
    """caplog at DEBUG on the root logger and on every logger that does not propagate."""
    caplog.set_level(logging.DEBUG)
    attached = []
    for logger in list(logging.root.manager.loggerDict.values()):
        if isinstance(logger, logging.Logger):
            if logger.level and logger.level > logging.DEBUG:
                attached.append((logger, logger.level, None))
                logger.setLevel(logging.DEBUG)
            if not logger.propagate:
                logger.addHandler(caplog.handler)
                attached.append((logger, None, caplog.handler))
    yield caplog
    for logger, level, handler in attached:
        if handler is not None:
            logger.removeHandler(handler)
        if level is not None:
            logger.setLevel(level)


def _log_text(caplog) -> str:
    parts = []
    for rec in caplog.records:
        parts.append(rec.getMessage())
        parts.append(repr(rec.args))
        if rec.exc_info:
            parts.append(logging.Formatter().formatException(rec.exc_info))
        parts.append(repr({k: v for k, v in rec.__dict__.items() if k not in ("msg", "args", "exc_info")}))
    return "\n".join(parts)


def test_logs_and_problems_hold_no_secrets_or_personal_data(app, client, db, settings, sms_sim, all_logs):
    problems: list[str] = []

    def problem_text(r) -> None:
        if r.status_code >= 400:
            problems.append(r.get_data(as_text=True))

    # SMS sign-in through the Aliyun wire protocol (simulator), with one wrong code first.
    r = client.post("/api/v1/auth/sms/send", json={"phone": PHONE})
    assert r.status_code == 202, r.get_json()
    sent = [m for m in sms_sim.app.extensions["sms_sim"]["sent"] if m["phone"] == PHONE]  # read in-process: no log
    assert sent
    last = sent[-1]
    code = last.get("code") or json.loads(last.get("template_param") or last.get("TemplateParam") or "{}").get("code")
    assert code and code.isdigit(), last
    wrong = "000000" if code != "000000" else "111111"
    r = client.post("/api/v1/auth/sms/login", json={"phone": PHONE, "code": wrong})
    assert r.status_code in (400, 401, 422)
    problem_text(r)
    r = client.post("/api/v1/auth/sms/login", json={"phone": PHONE, "code": code})
    assert r.status_code == 200, r.get_json()
    tokens = r.get_json()
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert tokens["user"]["phone_masked"] == "139****5678"

    # Staff password sign-in: a failure, then a success.
    with db.session() as s:
        do_create_staff_user(s, "mediator", "log_mediator", STAFF_PASSWORD, region_code="1101")
        s.commit()
    r = client.post("/api/v1/auth/password", json={"username": "log_mediator", "password": WRONG_PASSWORD})
    assert r.status_code == 401
    problem_text(r)
    r = client.post("/api/v1/auth/password", json={"username": "log_mediator", "password": STAFF_PASSWORD})
    assert r.status_code == 200
    staff_tokens = r.get_json()

    # A complaint whose text carries a phone number and an identity number; a message too.
    text_with_pii = f"联系电话{PHONE_IN_TEXT}，身份证号{ID_NUMBER}，商家拒绝退款。"
    r = client.post("/api/v1/complaints", headers={**headers, "Idempotency-Key": "log-test-1"},
                    json=complaint_body(description=text_with_pii))
    assert r.status_code == 201, r.get_json()
    cid = r.get_json()["id"]
    mediator_headers = {"Authorization": f"Bearer {staff_tokens['access_token']}"}
    r = client.post(f"/api/v1/complaints/{cid}/transitions", headers=mediator_headers, json={"action": "accept"})
    assert r.status_code == 200
    client.post(f"/api/v1/complaints/{cid}/messages", headers=headers, json={"body": f"我的电话是{PHONE_IN_TEXT}"})

    # Errors: bad tokens, a reused refresh token, invalid input echoing personal data, a validation error.
    for r in (
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}x"}),
        client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"] + "x"}),
        client.post("/api/v1/auth/sms/send", json={"phone": PHONE + "9"}),
        client.post("/api/v1/complaints", headers=headers,
                    json=complaint_body(title=PHONE_IN_TEXT, description=ID_NUMBER, amount_claimed=ID_NUMBER)),
        client.post("/api/v1/businesses/1/members", headers=headers, json={"phone": PHONE_IN_TEXT}),
    ):
        assert r.status_code >= 400
        problem_text(r)
    r = client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert r.status_code == 200
    r = client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})  # reuse: revoked family
    assert r.status_code == 401
    problem_text(r)

    # A browser session: the cookie is a session key.
    r = client.post("/web/session", json={"access_token": staff_tokens["access_token"]})
    cookie = r.headers.get("Set-Cookie", "").split(";")[0].split("=", 1)[-1]

    # Deliver what the outbox holds, so the workers' logs are scanned too.
    try:
        from server.tasks.worker import run_once

        run_once(db, settings)
    except TypeError:
        pass

    logs = _log_text(all_logs)
    assert len(all_logs.records) > 0
    secrets = {
        "phone": PHONE, "phone in text": PHONE_IN_TEXT, "identity number": ID_NUMBER, "sms code": code,
        "staff password": STAFF_PASSWORD, "wrong password": WRONG_PASSWORD,
        "access token": tokens["access_token"], "refresh token": tokens["refresh_token"],
        "staff access token": staff_tokens["access_token"], "staff refresh token": staff_tokens["refresh_token"],
        "SECRET_KEY": settings["SECRET_KEY"], "FIELD_ENCRYPTION_KEY": settings["FIELD_ENCRYPTION_KEY"],
        "SMS access key secret": settings["SMS_ACCESS_KEY_SECRET"],
    }
    if cookie:
        secrets["session cookie"] = cookie
    leaks = [name for name, value in secrets.items() if value and value in logs]
    assert not leaks, f"found in logs: {leaks}: " + repr([_debug_where(all_logs, secrets[n]) for n in leaks])
    leaks = [name for name, value in secrets.items() if value and any(value in p for p in problems)]
    assert not leaks, f"found in problem bodies: {leaks}"


def test_phones_are_encrypted_at_rest_with_keyed_lookup_and_masked_when_shown(app, client, auth, db, settings):
    consumer = auth.consumer("钱女士", phone=PHONE)
    owner, biz = auth.business(owner_phone="13600001111")
    r = client.post(f"/api/v1/businesses/{biz['id']}/members", headers=owner.headers,
                    json={"phone": PHONE, "role": "agent"})
    assert r.status_code == 202, r.get_json()
    assert PHONE not in r.get_data(as_text=True)
    accepted = client.post(f"/api/v1/me/invitations/{r.get_json()['invitation_id']}/accept",
                           headers=consumer.headers)
    assert accepted.status_code == 200, accepted.get_json()
    invited = client.get(f"/api/v1/businesses/{biz['id']}/invitations", headers=owner.headers).get_json()
    assert [i["phone_masked"] for i in invited] == ["139****5678"]
    listed = client.get(f"/api/v1/businesses/{biz['id']}/members", headers=owner.headers).get_json()
    assert "139****5678" in {m["phone_masked"] for m in listed}

    with db.engine.connect() as conn:
        row = conn.execute(text("SELECT * FROM user_account WHERE id = :i"), {"i": consumer.user_id}).mappings().one()
        dump = json.dumps({k: str(v) for k, v in row.items()}, ensure_ascii=False)
        assert PHONE not in dump and PHONE[3:] not in dump, dump  # not even the last 8 digits
        assert row["phone_enc"] and row["phone_hash"]
        # The look-up hash is keyed: a plain hash of the number would let anyone test guesses.
        import hashlib
        assert row["phone_hash"] not in {hashlib.sha256(PHONE.encode()).hexdigest(), hashlib.md5(PHONE.encode()).hexdigest()}
        # Every table: the full number appears nowhere (contact phones of businesses included).
        for table in ("user_account", "identity", "sms_code", "business", "business_member", "business_invitation"):
            rows = conn.execute(text(f"SELECT * FROM {table}")).all()
            blob = json.dumps([[str(v) for v in r] for r in rows], ensure_ascii=False)
            assert PHONE not in blob and "13900001111" not in blob, table

    # Another key gives another look-up hash: the hash is bound to FIELD_ENCRYPTION_KEY.
    from server.core.identity.accounts import cipher
    from server.core.privacy import FieldCipher
    assert cipher(settings).lookup_hash(PHONE) == row["phone_hash"]
    other = cipher({**settings, "FIELD_ENCRYPTION_KEY": "another-key"})
    assert isinstance(other, FieldCipher) and other.lookup_hash(PHONE) != row["phone_hash"]

    # Shown masked: /me, the member list, the business's view of the complainant.
    me = client.get("/api/v1/me", headers=consumer.headers).get_json()
    assert me["phone_masked"] == "139****5678"
    members = client.get(f"/api/v1/businesses/{biz['id']}/members", headers=owner.headers)
    assert PHONE not in members.get_data(as_text=True)
    c = client.post("/api/v1/complaints", headers=consumer.headers, json=complaint_body(biz["id"])).get_json()
    mediator = auth.mediator("1101")
    client.post(f"/api/v1/complaints/{c['id']}/transitions", headers=mediator.headers, json={"action": "accept"})
    for who in (owner, mediator):
        body = client.get(f"/api/v1/complaints/{c['id']}", headers=who.headers).get_data(as_text=True)
        assert PHONE not in body and PHONE[3:] not in body


def _debug_where(caplog, needle):  # pragma: no cover - debugging aid
    return [(r.name, r.getMessage()[:300]) for r in caplog.records if needle in r.getMessage() or needle in repr(r.args)]


def test_passwords_are_stored_as_argon2id(app, db):
    with db.session() as s:
        user = do_create_staff_user(s, "admin", "argon_admin", STAFF_PASSWORD)
        s.commit()
        uid = user.id
    with db.engine.connect() as conn:
        stored = conn.execute(text("SELECT password_hash FROM user_account WHERE id = :i"), {"i": uid}).scalar_one()
    assert stored.startswith("$argon2id$") and STAFF_PASSWORD not in stored
    from argon2 import PasswordHasher

    assert PasswordHasher().verify(stored, STAFF_PASSWORD)


def test_personal_data_in_complaint_text_is_masked_on_public_pages(app, client, auth):
    consumer = auth.consumer("孙悟空")
    mediator = auth.mediator("1101")
    text_with_pii = f"本人孙悟空，电话{PHONE_IN_TEXT}，身份证{ID_NUMBER}，要求商家退款。"
    c = client.post("/api/v1/complaints", headers=consumer.headers,
                    json=complaint_body(description=text_with_pii, public_consent=True)).get_json()
    assert client.post(f"/api/v1/complaints/{c['id']}/transitions", headers=mediator.headers,
                       json={"action": "accept"}).status_code == 200
    assert client.post(f"/api/v1/complaints/{c['id']}/publication", headers=mediator.headers,
                       json={"approve": True}).status_code == 200  # publication needs a person
    page = client.get("/api/v1/public/complaints")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert c["public_no"] in body
    for secret in (PHONE_IN_TEXT, ID_NUMBER, ID_NUMBER[6:14], "孙悟空"):
        assert secret not in body, secret
    # The parties still see what the consumer wrote.
    mine = client.get(f"/api/v1/complaints/{c['id']}", headers=consumer.headers).get_json()
    assert PHONE_IN_TEXT in mine["description"]
