"""Whatever bytes WeChat or Alipay send back, sign-in ends in a clear problem document, never a 500,
and creates nothing. Through the real SDKs (wechatpy, python-alipay-sdk) against the simulators."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from server.core.models import AuthSession, Identity, User
from tests.simulators import fixtures

alipay_keys = fixtures.alipay_keys
alipay_sim = fixtures.alipay_sim
wechat_sim = fixtures.wechat_sim

WECHAT_KEYS = ("WECHAT_API_BASE_URL", "WECHAT_TIMEOUT_SECONDS")
ALIPAY_KEYS = ("ALIPAY_GATEWAY_URL", "ALIPAY_APP_PRIVATE_KEY_FILE", "ALIPAY_PUBLIC_KEY_FILE", "ALIPAY_TIMEOUT_SECONDS")


@pytest.fixture
def settings_overrides(settings_overrides, wechat_sim, alipay_sim):
    return {**settings_overrides, **{k: wechat_sim.settings[k] for k in WECHAT_KEYS},
            **{k: alipay_sim.settings[k] for k in ALIPAY_KEYS}}


def _nothing_created(db):
    with db.session() as s:
        return all(s.execute(select(func.count()).select_from(m)).scalar_one() == 0
                   for m in (User, Identity, AuthSession))


def _clear_problem(r, statuses=(502, 503)):
    assert r.status_code in statuses, (r.status_code, r.get_data(as_text=True)[:300])
    assert r.mimetype == "application/problem+json"
    body = r.get_json()
    assert body["code"] == "upstream_unavailable"
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["detail"]), body


@pytest.mark.parametrize("mode", ["badsign", "badsign_ok", "wrongtypes", "oddjson", "nulls", "garbage", "tamper"])
def test_alipay_answers_that_cannot_be_trusted_end_in_a_problem(client, db, alipay_sim, mode):
    alipay_sim.post("/_sim/fault", {"mode": mode})
    r = client.post("/api/v1/auth/alipay", json={"auth_code": "ok-mallory"})
    _clear_problem(r, (502,))
    assert _nothing_created(db)
    # Once Alipay answers properly again, the same person signs in.
    alipay_sim.post("/_sim/fault", {"mode": None})
    assert client.post("/api/v1/auth/alipay", json={"auth_code": "ok-mallory-again"}).status_code == 200


def test_a_bad_auth_code_with_an_unverifiable_error_signature_is_not_a_500(client, db, alipay_sim):
    """The reported case: a wrong auth code whose error response carries a signature that is not base64."""
    alipay_sim.post("/_sim/fault", {"mode": "badsign"})
    r = client.post("/api/v1/auth/alipay", json={"auth_code": "bogus-code"})
    _clear_problem(r, (502,))


@pytest.mark.parametrize("mode", ["oddjson", "wrongtypes", "wrongtypes_ok", "badjson", "garbage"])
def test_wechat_answers_of_the_wrong_shape_end_in_a_problem(client, db, wechat_sim, mode):
    wechat_sim.post("/_sim/fault", {"mode": mode})
    r = client.post("/api/v1/auth/wechat", json={"code": "ok-mallory"})
    _clear_problem(r, (502,))
    assert _nothing_created(db)
    wechat_sim.post("/_sim/fault", {"mode": None})
    assert client.post("/api/v1/auth/wechat", json={"code": "ok-mallory-again"}).status_code == 200


@pytest.mark.parametrize("mode", ["oddjson", "wrongtypes", "badjson"])
def test_wechat_phone_binding_with_odd_answers_is_a_problem(client, db, wechat_sim, mode):
    tokens = client.post("/api/v1/auth/wechat", json={"code": "ok-peggy"}).get_json()
    wechat_sim.post("/_sim/fault", {"mode": mode})
    r = client.post("/api/v1/me/phone/wechat", json={"phone_code": "phone-13812345678"},
                    headers={"Authorization": f"Bearer {tokens['access_token']}"})
    _clear_problem(r, (502,))
