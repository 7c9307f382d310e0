"""LOGIN_PROVIDERS through HTTP: a sign-in method the deployment left out answers 403
login_method_disabled and changes nothing; the others work as before."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from server.core.identity.providers.sms import ConsoleSms
from server.core.models import SmsCode, User


@pytest.fixture
def settings_overrides(settings_overrides):
    return {**settings_overrides, "LOGIN_PROVIDERS": "password"}


def _count(db, model):
    with db.session() as s:
        return s.execute(select(func.count()).select_from(model)).scalar_one()


@pytest.mark.parametrize("path, body", [
    ("/api/v1/auth/wechat", {"code": "ok-ann"}),
    ("/api/v1/auth/alipay", {"auth_code": "ok-ann"}),
    ("/api/v1/auth/sms/send", {"phone": "13812345678"}),
    ("/api/v1/auth/sms/login", {"phone": "13812345678", "code": "123456"}),
])
def test_a_disabled_method_is_403_and_writes_nothing(client, db, path, body):
    users, codes, sent = _count(db, User), _count(db, SmsCode), len(ConsoleSms.outbox)
    r = client.post(path, json=body)
    assert r.status_code == 403, r.get_json()
    problem = r.get_json()
    assert problem["code"] == "login_method_disabled" and "未启用" in problem["detail"]
    assert r.headers["Content-Type"].startswith("application/problem+json")
    assert (_count(db, User), _count(db, SmsCode), len(ConsoleSms.outbox)) == (users, codes, sent)


def test_the_enabled_method_still_signs_in(auth, client):
    mediator = auth.mediator("1101")  # POST /auth/password
    assert client.get("/api/v1/me", headers=mediator.headers).status_code == 200


def test_an_unknown_provider_stops_the_app(settings_overrides):
    from server.app import create_app

    with pytest.raises(ValueError, match="LOGIN_PROVIDERS"):
        create_app({**settings_overrides, "LOGIN_PROVIDERS": "password,passkey"})
