"""Sessions end when they are ended: logout, refresh-token reuse, erasure and deactivation refuse the
account's access tokens and web cookies on the very next request; every token is unique (jti); admins
deactivate and reactivate accounts; `next` after sign-in never leaves the origin."""
from __future__ import annotations

import pytest

from server.web.session import safe_next

ME = "/api/v1/me"


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def password(client, username, pw="secret-pass-123", **extra):
    return client.post("/api/v1/auth/password", json={"username": username, "password": pw, **extra})


def web_login(client, tokens) -> str:
    r = client.post("/web/session", json={"access_token": tokens["access_token"],
                                          "refresh_token": tokens["refresh_token"]})
    assert r.status_code == 200, r.get_json()
    return r.get_json()["csrf_token"]


def test_two_sign_ins_in_the_same_second_get_different_tokens(client, auth):
    auth.admin("ada")
    a, b = password(client, "ada").get_json(), password(client, "ada").get_json()
    assert a["access_token"] != b["access_token"] and a["refresh_token"] != b["refresh_token"]


def test_logout_ends_this_devices_access_token_at_once_and_not_the_others(client, auth):
    auth.admin("ada")
    phone, laptop = password(client, "ada").get_json(), password(client, "ada").get_json()
    assert client.get(ME, headers=bearer(phone["access_token"])).status_code == 200
    r = client.post("/api/v1/auth/logout", headers=bearer(phone["access_token"]),
                    json={"refresh_token": phone["refresh_token"]})
    assert r.status_code == 204
    r = client.get(ME, headers=bearer(phone["access_token"]))
    assert r.status_code == 401 and r.get_json()["code"] == "invalid_token"
    assert client.post("/api/v1/auth/refresh", json={"refresh_token": phone["refresh_token"]}).status_code == 401
    assert client.get(ME, headers=bearer(laptop["access_token"])).status_code == 200


def test_logout_all_ends_every_session_of_the_account(client, auth):
    auth.admin("ada")
    phone, laptop = password(client, "ada").get_json(), password(client, "ada").get_json()
    browser = client.application.test_client()
    web_login(browser, password(client, "ada").get_json())
    assert browser.get(ME).status_code == 200
    r = client.post("/api/v1/auth/logout", headers=bearer(phone["access_token"]), json={"all": True})
    assert r.status_code == 204
    for t in (phone, laptop):
        assert client.get(ME, headers=bearer(t["access_token"])).status_code == 401
        assert client.post("/api/v1/auth/refresh", json={"refresh_token": t["refresh_token"]}).status_code == 401
    assert browser.get(ME).status_code == 401


def test_refresh_token_reuse_ends_the_live_access_tokens_at_once(client, auth):
    auth.admin("ada")
    first = password(client, "ada").get_json()
    rotated = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}).get_json()
    assert client.get(ME, headers=bearer(rotated["access_token"])).status_code == 200
    # The old refresh token comes back (a stolen copy): everything of that account ends now.
    r = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert r.status_code == 401
    assert client.get(ME, headers=bearer(rotated["access_token"])).status_code == 401
    assert client.get(ME, headers=bearer(first["access_token"])).status_code == 401
    assert client.post("/api/v1/auth/refresh", json={"refresh_token": rotated["refresh_token"]}).status_code == 401


def test_rotation_keeps_the_session_and_the_new_token_works(client, auth):
    auth.admin("ada")
    first = password(client, "ada").get_json()
    rotated = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}).get_json()
    assert rotated["access_token"] != first["access_token"]
    assert client.get(ME, headers=bearer(rotated["access_token"])).status_code == 200


def test_delete_me_ends_every_token_at_once(client, auth):
    c = auth.consumer()
    with auth.db.session() as s:  # a second device of the same consumer
        from server.core.models import User

        second = auth._tokens(s.get(User, c.user_id), s)
    assert client.delete(ME, headers=c.headers).status_code == 204
    assert client.get(ME, headers=c.headers).status_code == 401
    assert client.get(ME, headers=second.headers).status_code == 401


def test_a_web_cookie_copied_before_logout_no_longer_works(app, auth):
    auth.admin("ada")
    browser = app.test_client()
    csrf = web_login(browser, password(browser, "ada").get_json())
    cookie = browser.get_cookie("smart315_session")
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie(cookie.key, cookie.value, domain=cookie.domain or "localhost")
    assert thief.get(ME).status_code == 200 and thief.get("/admin").status_code == 200

    assert browser.post("/web/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    assert thief.get(ME).status_code == 401
    assert thief.get("/admin").status_code == 302  # back to /login
    r = thief.patch(ME, json={"display_name": "x"}, headers={"X-CSRF-Token": csrf})
    assert r.status_code in (401, 403)


# ------------------------------------------------------------------ deactivation

def test_admin_deactivates_an_account_its_tokens_stop_and_it_cannot_sign_in(app, client, auth):
    admin = auth.admin("root")
    staff = auth.mediator("1101", username="med")
    browser = app.test_client()
    web_login(browser, password(browser, "med").get_json())
    assert browser.get(ME).status_code == 200

    r = client.post(f"/api/v1/admin/users/{staff.user_id}/deactivate", headers=admin.headers)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["is_active"] is False
    assert client.get(ME, headers=staff.headers).status_code == 401
    assert browser.get(ME).status_code == 401
    assert client.post("/api/v1/auth/refresh", json={"refresh_token": staff.refresh}).status_code == 401

    r = password(client, "med")
    assert r.status_code == 403 and r.mimetype == "application/problem+json"
    assert r.get_json()["code"] == "account_deactivated" and "停用" in r.get_json()["detail"]
    # A wrong password still says only "wrong": deactivation is not revealed to guessers.
    assert password(client, "med", "not-the-password1").get_json()["code"] == "invalid_credentials"

    r = client.post(f"/api/v1/admin/users/{staff.user_id}/reactivate", headers=admin.headers)
    assert r.status_code == 200 and r.get_json()["is_active"] is True
    assert client.get(ME, headers=staff.headers).status_code == 401  # old tokens stay dead
    assert password(client, "med").status_code == 200


def test_deactivated_consumer_cannot_sign_in_by_sms(client, auth):
    from server.core.identity.providers.sms import ConsoleSms

    admin = auth.admin("root")
    c = auth.consumer(phone="13900001111")
    assert client.post(f"/api/v1/admin/users/{c.user_id}/deactivate", headers=admin.headers).status_code == 200
    assert client.post("/api/v1/auth/sms/send", json={"phone": "13900001111"}).status_code == 202
    r = client.post("/api/v1/auth/sms/login", json={"phone": "13900001111", "code": ConsoleSms.last_code("13900001111")})
    assert r.status_code == 403 and r.get_json()["code"] == "account_deactivated"


def test_only_admins_deactivate_and_not_themselves(client, auth):
    admin = auth.admin("root")
    mediator = auth.mediator("1101")
    c = auth.consumer()
    r = client.post(f"/api/v1/admin/users/{c.user_id}/deactivate", headers=mediator.headers)
    assert r.status_code == 403
    assert client.get(ME, headers=c.headers).status_code == 200
    r = client.post(f"/api/v1/admin/users/{admin.user_id}/deactivate", headers=admin.headers)
    assert r.status_code == 409 and r.get_json()["detail"]
    assert client.post("/api/v1/admin/users/999999/deactivate", headers=admin.headers).status_code == 404
    assert client.post(f"/api/v1/admin/users/{c.user_id}/deactivate").status_code == 401


# ------------------------------------------------------------------ open redirect after sign-in

HOSTILE_NEXT = [
    "//evil.example/", "///evil.example/", "/\\evil.example/", "\\\\evil.example", "/%5Cevil.example",
    "%5C%5Cevil.example", "/%5C/evil.example", "/\\/evil.example", "/\t/evil.example", "/%09/evil.example",
    "/\n/evil.example", "/%0a/evil.example", "/%0d/evil.example", " //evil.example", "%2F%2Fevil.example",
    "/%2F/evil.example", "/%252F%252Fevil.example", "https://evil.example", "http:evil.example",
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,x", "evil.example", "\x00//evil.example",
    "/\x00/evil.example", "\x1f//evil.example",
]


@pytest.mark.parametrize("payload", HOSTILE_NEXT)
def test_login_page_never_keeps_a_next_that_leaves_the_origin(client, payload):
    assert safe_next(payload) == ""
    r = client.get("/login", query_string={"next": payload})
    if r.status_code == 400:  # NUL bytes are refused before any page is built
        assert "\x00" in payload
        return
    assert r.status_code == 200
    assert 'data-next=""' in r.get_data(as_text=True)


@pytest.mark.parametrize("good", ["/my/complaints", "/my/complaints/12?tab=messages", "/console/mediator#queue"])
def test_login_page_keeps_a_same_origin_next(client, good):
    assert safe_next(good) == good
    r = client.get("/login", query_string={"next": good})
    assert f'data-next="{good}"'.replace("&", "&amp;") in r.get_data(as_text=True) or good in r.get_data(as_text=True)
