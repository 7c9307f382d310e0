"""Image captchas instead of lock-outs: the web SMS send after SMS_CAPTCHA_AFTER sends from one address,
and the password sign-in after repeated failures for an account or from an address. A person reads the
image; the tests read the code that was drawn into it."""
from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from sqlalchemy import select

from server.core.identity import guards
from server.core.identity.providers.sms import ConsoleSms
from server.core.models import CaptchaChallenge, SmsCode

IP = "10.9.8.7"


@pytest.fixture
def drawn(monkeypatch):
    """The codes drawn into captcha images, in order."""
    codes: list[str] = []
    real = guards.render_png

    def spy(code):
        codes.append(code)
        return real(code)

    monkeypatch.setattr(guards, "render_png", spy)
    return codes


@pytest.fixture
def settings_overrides(settings_overrides):
    return {**settings_overrides, "SMS_CAPTCHA_AFTER": 1}


def backdate(db, model, seconds, *fields):
    with db.session() as s:
        for row in s.execute(select(model)).scalars():
            for f in fields:
                setattr(row, f, getattr(row, f) - timedelta(seconds=seconds))
        s.commit()


def captcha(client, ip=IP):
    r = client.get("/api/v1/auth/captcha", environ_base={"REMOTE_ADDR": ip})
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def send(client, phone, ip=IP, **extra):
    return client.post("/api/v1/auth/sms/send", json={"phone": phone, **extra}, environ_base={"REMOTE_ADDR": ip})


def test_captcha_is_a_png_data_url_and_the_code_is_kept_hashed(client, db, drawn):
    body = captcha(client)
    assert set(body) >= {"captcha_id", "image"}
    assert body["image"].startswith("data:image/png;base64,")
    png = base64.b64decode(body["image"].split(",", 1)[1])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    with db.session() as s:
        row = s.get(CaptchaChallenge, body["captcha_id"])
        assert row is not None and drawn[-1] not in row.code_hash and len(row.code_hash) == 64


def test_second_web_sms_send_from_one_address_needs_the_captcha(client, db, drawn):
    assert send(client, "13800000001").status_code == 202
    r = send(client, "13800000002")
    assert r.status_code == 428 and r.mimetype == "application/problem+json"
    assert r.get_json()["code"] == "captcha_required" and r.get_json()["detail"]
    assert ConsoleSms.last_code("13800000002") is None

    # A wrong answer is refused and uses the image up; a fresh image answered right sends.
    c = captcha(client)
    r = send(client, "13800000002", captcha_id=c["captcha_id"], captcha_code="0000")
    assert r.status_code == 428
    r = send(client, "13800000002", captcha_id=c["captcha_id"], captcha_code=drawn[-1])
    assert r.status_code == 428  # single use, even after a wrong guess
    c = captcha(client)
    r = send(client, "13800000002", captcha_id=c["captcha_id"], captcha_code=drawn[-1].lower())
    assert r.status_code == 202, r.get_json()
    assert ConsoleSms.last_code("13800000002") is not None
    # The image works once.
    r = send(client, "13800000003", captcha_id=c["captcha_id"], captcha_code=drawn[-1])
    assert r.status_code == 428

    # Another address has its own count.
    assert send(client, "13800000004", ip="10.1.1.1").status_code == 202


def test_an_expired_captcha_is_refused(client, db, drawn):
    assert send(client, "13800000001").status_code == 202
    c = captcha(client)
    backdate(db, CaptchaChallenge, 301, "expires_at")
    assert send(client, "13800000002", captcha_id=c["captcha_id"], captcha_code=drawn[-1]).status_code == 428


def test_captcha_images_are_limited_per_address(client, settings):
    settings["CAPTCHA_LIMIT_PER_IP"] = 3
    for _ in range(3):
        captcha(client)
    r = client.get("/api/v1/auth/captcha", environ_base={"REMOTE_ADDR": IP})
    assert r.status_code == 429 and r.get_json()["code"] == "rate_limited" and int(r.headers["Retry-After"]) >= 1
    assert client.get("/api/v1/auth/captcha", environ_base={"REMOTE_ADDR": "10.2.2.2"}).status_code == 200


def test_the_sms_send_count_is_per_hour(client, db):
    assert send(client, "13800000001").status_code == 202
    from server.core.models import AuthAttempt

    backdate(db, AuthAttempt, 3601, "created_at")
    backdate(db, SmsCode, 3601, "created_at", "expires_at")
    assert send(client, "13800000002").status_code == 202


def test_mini_program_sign_in_needs_no_captcha(client, settings):
    """WeChat and Alipay sign-ins never answer 428 (their simulators are not even needed to see it)."""
    for _ in range(3):
        r = client.post("/api/v1/auth/wechat", json={"code": "ok-x"}, environ_base={"REMOTE_ADDR": IP})
        assert r.status_code != 428


# ------------------------------------------------------------------ password sign-in: captcha, not lock-out

def pw(client, username, password, ip=IP, **extra):
    return client.post("/api/v1/auth/password", json={"username": username, "password": password, **extra},
                       environ_base={"REMOTE_ADDR": ip})


def test_an_attacker_cannot_lock_the_real_admin_out(client, auth, drawn):
    auth.admin("root")
    attacker = "203.0.113.5"
    for _ in range(3):
        assert pw(client, "root", "guess-123456", ip=attacker).status_code == 401
    # From now on the account asks for a captcha, before any password is checked, from anyone.
    r = pw(client, "root", "guess-123456", ip=attacker)
    assert r.status_code == 428 and r.get_json()["code"] == "captcha_required"
    assert pw(client, "root", "secret-pass-123", ip="198.51.100.7").status_code == 428
    for _ in range(20):  # the attacker keeps hammering without solving captchas: never a lock-out
        assert pw(client, "root", "guess-123456", ip=attacker).status_code == 428

    # The admin, with a captcha, signs in while the attacker keeps failing.
    c = captcha(client, "198.51.100.7")
    r = pw(client, "root", "secret-pass-123", ip="198.51.100.7", captcha_id=c["captcha_id"], captcha_code=drawn[-1])
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["user"]["kind"] == "admin"


def test_a_wrong_password_with_a_right_captcha_still_counts_and_still_fails(client, auth, drawn):
    auth.admin("root")
    for _ in range(3):
        pw(client, "root", "nope-1234567")
    c = captcha(client)
    r = pw(client, "root", "nope-1234567", captcha_id=c["captcha_id"], captcha_code=drawn[-1])
    assert r.status_code == 401 and r.get_json()["code"] == "invalid_credentials"


def test_many_failures_from_one_address_across_accounts_need_a_captcha(client, auth, settings):
    auth.admin("root")
    settings["LOGIN_CAPTCHA_AFTER_PER_IP"] = 4
    for i in range(4):
        assert pw(client, f"user{i}", "nope-1234567").status_code == 401
    assert pw(client, "root", "secret-pass-123").status_code == 428
    assert pw(client, "root", "secret-pass-123", ip="10.3.3.3").status_code == 200


def test_failures_age_out_of_the_window(client, auth, db):
    from server.core.models import AuthAttempt

    auth.admin("root")
    for _ in range(3):
        pw(client, "root", "nope-1234567")
    assert pw(client, "root", "secret-pass-123").status_code == 428
    backdate(db, AuthAttempt, 901, "created_at")
    assert pw(client, "root", "secret-pass-123").status_code == 200
