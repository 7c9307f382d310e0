"""Nothing of a login code, WeChat session key or token reaches the logs, on success or on failure,
with every logger (urllib3's request lines included) at DEBUG."""
from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from server.core.identity.signin import session_key_of
from server.core.models import Identity
from tests.simulators import fixtures

# pytest finds fixtures by module attribute; these come from the shared simulator fixtures.
alipay_keys = fixtures.alipay_keys
alipay_sim = fixtures.alipay_sim
sms_sim = fixtures.sms_sim
wechat_sim = fixtures.wechat_sim



@pytest.fixture
def settings_overrides(settings_overrides, wechat_sim, alipay_sim, sms_sim):
    # Each simulator's settings name only its own service (the rest are defaults): take those keys.
    out = dict(settings_overrides)
    for sim, prefix in ((wechat_sim, "WECHAT_"), (alipay_sim, "ALIPAY_"), (sms_sim, "SMS_")):
        out.update({k: v for k, v in sim.settings.items() if k.startswith(prefix)})
    return out


def test_sign_in_flows_log_no_codes_session_keys_or_tokens(client, db, settings, caplog, wechat_sim, alipay_sim,
                                                           sms_sim):
    caplog.set_level(logging.DEBUG)
    secrets_seen: list[str] = []

    wx_code = wechat_sim.post("/_sim/codes", {"name": "logcheck"})["code"]
    secrets_seen.append(wx_code)
    r = client.post("/api/v1/auth/wechat", json={"code": wx_code})
    assert r.status_code == 200
    wx_tokens = r.get_json()
    secrets_seen += [wx_tokens["access_token"], wx_tokens["refresh_token"]]
    with db.session() as s:
        ident = s.execute(select(Identity).where(Identity.provider == "wechat_mini")).scalar_one()
        secrets_seen.append(session_key_of(settings, ident))
    headers = {"Authorization": f"Bearer {wx_tokens['access_token']}"}

    # Failures log too: a reused code, an upstream fault.
    assert client.post("/api/v1/auth/wechat", json={"code": wx_code}).status_code == 401
    wechat_sim.fault("busy", count=1)
    assert client.post("/api/v1/auth/wechat", json={"code": "ok-faulty-logcheck"}).status_code == 503
    secrets_seen.append("ok-faulty-logcheck")

    # Phone binding uses the (secret) WeChat access token of the mini-program.
    phone_code = "phone-13512345678"
    assert client.post("/api/v1/me/phone/wechat", json={"phone_code": phone_code}, headers=headers).status_code == 200
    secrets_seen.append(phone_code)

    assert client.post("/api/v1/auth/alipay", json={"auth_code": "ok-logcheck"}, headers=headers).status_code == 200
    secrets_seen.append("ok-logcheck")
    alipay_sim.fault("tamper", count=1)
    assert client.post("/api/v1/auth/alipay", json={"auth_code": "openid-tampered"}).status_code == 502
    secrets_seen.append("openid-tampered")

    phone = "13912345678"
    assert client.post("/api/v1/auth/sms/send", json={"phone": phone}).status_code == 202
    sms_code = sms_sim.get(f"/_sim/sms/last?phone={phone}")["code"]
    wrong = f"{(int(sms_code) + 1) % 1_000_000:06d}"
    assert client.post("/api/v1/auth/sms/login", json={"phone": phone, "code": wrong}).status_code == 401
    r = client.post("/api/v1/auth/sms/login", json={"phone": phone, "code": sms_code})
    assert r.status_code == 200
    secrets_seen += [sms_code, r.get_json()["access_token"], r.get_json()["refresh_token"]]

    r = client.post("/api/v1/auth/refresh", json={"refresh_token": wx_tokens["refresh_token"]})
    assert r.status_code == 200
    secrets_seen += [r.get_json()["access_token"], r.get_json()["refresh_token"]]
    assert client.post("/api/v1/auth/refresh", json={"refresh_token": wx_tokens["refresh_token"]}).status_code == 401

    # The WeChat access token the app fetched and shares is a secret too.
    from server.api.identity import wechat_mini

    with client.application.test_request_context():
        secrets_seen.append(wechat_mini().get_access_token())

    # Only what the app logged: the test's own calls to the simulators' /_sim/ controls are not the app's.
    records = [rec for rec in caplog.records if "/_sim/" not in rec.getMessage()]
    assert records, "the flows above log something (urllib3 at least); the check must not be vacuous"
    text = "\n".join(rec.getMessage() + str(rec.args) for rec in records)
    leaked = [s for s in secrets_seen if s and s in text]
    assert leaked == []
    assert phone not in text  # phones appear masked if at all
