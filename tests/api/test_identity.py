"""WeChat and Alipay sign-in through the real SDKs against the simulators; linking, phone binding,
refresh-token rotation and erasure through HTTP."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from server.core.identity.accounts import cipher
from server.core.identity.signin import session_key_of
from server.core.models import (
    Complaint,
    Identity,
    RefreshToken,
    SmsCode,
    SubscriptionGrant,
    Upload,
    User,
)
from server.simulators.alipay import open_id_for, user_id_for
from server.simulators.wechat import openid_for, unionid_for
from tests.factories import complaint_body, count, png_bytes
from tests.simulators import fixtures
from tests.simulators.fixtures import unused_port_url
from tests.storage import both_backends, stored_objects

# pytest finds fixtures by module attribute; these come from the shared simulator fixtures.
alipay_keys = fixtures.alipay_keys
alipay_sim = fixtures.alipay_sim
wechat_sim = fixtures.wechat_sim

WECHAT_KEYS = ("WECHAT_API_BASE_URL", "WECHAT_TIMEOUT_SECONDS")
ALIPAY_KEYS = ("ALIPAY_GATEWAY_URL", "ALIPAY_APP_PRIVATE_KEY_FILE", "ALIPAY_PUBLIC_KEY_FILE", "ALIPAY_TIMEOUT_SECONDS")


@pytest.fixture
def settings_overrides(settings_overrides, wechat_sim, alipay_sim):
    return {**settings_overrides, **{k: wechat_sim.settings[k] for k in WECHAT_KEYS},
            **{k: alipay_sim.settings[k] for k in ALIPAY_KEYS}}


def wx(client, code, headers=None):
    return client.post("/api/v1/auth/wechat", json={"code": code}, headers=headers or {})


def ali(client, code, headers=None):
    return client.post("/api/v1/auth/alipay", json={"auth_code": code}, headers=headers or {})


def bearer(body):
    return {"Authorization": f"Bearer {body['access_token']}"}


def count_users(db):
    return count(db, User)


def sim_code(sim, name, unionid=True):
    """A fresh one-time wx.login() code for the same person `name`."""
    return sim.post("/_sim/codes", {"name": name, "unionid": unionid})["code"]


# ------------------------------------------------------------------ WeChat

def test_wechat_first_login_creates_a_consumer_and_later_logins_find_it(client, db, settings, wechat_sim):
    r = wx(client, "ok-alice")
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["token_type"] == "Bearer" and body["expires_in"] > 0 and body["refresh_token"]
    assert body["user"]["kind"] == "consumer" and body["user"]["phone_masked"] is None
    assert "session_key" not in r.get_data(as_text=True)

    again = wx(client, sim_code(wechat_sim, "alice"))
    assert again.status_code == 200 and again.get_json()["user"]["id"] == body["user"]["id"]
    assert count_users(db) == 1

    me = client.get("/api/v1/me", headers=bearer(body)).get_json()
    assert me["identities"] == ["wechat_mini"]

    with db.session() as s:
        ident = s.execute(select(Identity)).scalar_one()
    assert ident.subject == openid_for(settings["WECHAT_MINI_APPID"], "alice")
    assert ident.unionid == unionid_for("alice")
    key = session_key_of(settings, ident)
    assert key and key not in ident.secret_enc  # stored encrypted, and usable server-side
    assert key not in again.get_data(as_text=True) and key not in str(me)


@pytest.mark.parametrize("first", ["not-a-real-code", None])
def test_wechat_invalid_or_reused_code_is_401_invalid_code(client, db, first):
    if first is None:
        assert wx(client, "ok-bob").status_code == 200
        r = wx(client, "ok-bob")  # the same code again: WeChat answers 40163
    else:
        r = wx(client, first)  # 40029
    assert r.status_code == 401
    problem = r.get_json()
    assert r.mimetype == "application/problem+json" and problem["code"] == "invalid_code"
    assert problem["upstream_code"] == (40163 if first is None else 40029)
    assert count_users(db) == (1 if first is None else 0)


@pytest.mark.parametrize("mode,status", [("busy", 503), ("rate_limit", 503), ("down", 503), ("garbage", 502)])
def test_wechat_faults_are_upstream_unavailable_and_create_no_account(client, db, wechat_sim, mode, status):
    wechat_sim.fault(mode)
    r = wx(client, "ok-carol")
    assert r.status_code == status, r.get_json()
    assert r.get_json()["code"] == "upstream_unavailable"
    if mode == "busy":
        assert r.get_json()["upstream_code"] == -1
    if mode == "rate_limit":
        assert r.get_json()["upstream_code"] == 45011
    assert count_users(db) == 0 and count(db, Identity) == 0
    wechat_sim.fault(None)
    assert wx(client, "ok-carol").status_code == 200  # the code was never spent


def test_wechat_unreachable_is_503_and_creates_no_account(client, db, settings):
    settings["WECHAT_API_BASE_URL"] = unused_port_url()
    r = wx(client, "ok-dan")
    assert r.status_code == 503 and r.get_json()["code"] == "upstream_unavailable"
    assert count_users(db) == 0


def test_unionid_links_the_same_person_across_our_wechat_apps(client, db, settings, wechat_sim):
    first = wx(client, "ok-erin").get_json()
    loner = wx(client, "nounion-zed").get_json()
    # A second WeChat app of ours (the simulator knows the OA app's credentials too): another
    # openid for the same person, the same unionid.
    settings["WECHAT_MINI_APPID"], settings["WECHAT_MINI_SECRET"] = settings["WECHAT_OA_APPID"], settings["WECHAT_OA_SECRET"]
    second = wx(client, sim_code(wechat_sim, "erin"))
    assert second.status_code == 200
    assert second.get_json()["user"]["id"] == first["user"]["id"]
    assert count(db, Identity, Identity.user_id == first["user"]["id"]) == 2
    # Without a unionid there is nothing to link by: another app's openid is another account.
    again = wx(client, sim_code(wechat_sim, "zed", unionid=False)).get_json()
    assert again["user"]["id"] != loner["user"]["id"]


# ------------------------------------------------------------------ Alipay

def test_alipay_login_stores_both_ids_and_finds_the_user_by_either(client, db, settings):
    r = ali(client, "openid-frank")  # an app in open_id mode: no user_id
    assert r.status_code == 200, r.get_json()
    uid = r.get_json()["user"]["id"]
    with db.session() as s:
        ident = s.execute(select(Identity)).scalar_one()
    assert ident.provider == "alipay" and ident.subject == open_id_for(settings["ALIPAY_APPID"], "frank")
    assert ident.alt_subject is None

    r = ali(client, "ok-frank")  # now with user_id as well
    assert r.status_code == 200 and r.get_json()["user"]["id"] == uid
    with db.session() as s:
        ident = s.execute(select(Identity)).scalar_one()
    assert ident.alt_subject == user_id_for("frank")
    me = client.get("/api/v1/me", headers=bearer(r.get_json())).get_json()
    assert me["identities"] == ["alipay"]


def test_alipay_user_known_only_by_user_id_is_found(client, db):
    with db.session() as s:
        user = User(kind="consumer", display_name="老用户")
        user.identities.append(Identity(provider="alipay", subject=user_id_for("gina"),
                                        alt_subject=user_id_for("gina")))
        s.add(user)
        s.commit()
    r = ali(client, "ok-gina")
    assert r.status_code == 200 and r.get_json()["user"]["id"] == user.id
    assert count_users(db) == 1


@pytest.mark.parametrize("mode,status", [("busy", 503), ("down", 503), ("tamper", 502), ("garbage", 502)])
def test_alipay_faults_and_tampered_signatures_create_no_account(client, db, alipay_sim, mode, status):
    alipay_sim.fault(mode)
    r = ali(client, "ok-hank")
    assert r.status_code == status, r.get_json()
    assert r.get_json()["code"] == "upstream_unavailable"
    assert count_users(db) == 0


def test_alipay_invalid_and_reused_codes_are_401(client, db):
    assert ali(client, "junk").status_code == 401
    assert ali(client, "ok-ivy").status_code == 200
    r = ali(client, "ok-ivy")
    assert r.status_code == 401 and r.get_json()["code"] == "invalid_code"
    assert count_users(db) == 1


# ------------------------------------------------------------------ linking and phone

def test_signed_in_user_links_wechat_alipay_and_phone_to_one_account(client, db, auth, wechat_sim):
    me = wx(client, "ok-jack").get_json()
    r = ali(client, "ok-jack", headers=bearer(me))
    assert r.status_code == 200 and r.get_json()["user"]["id"] == me["user"]["id"]
    r = client.post("/api/v1/me/phone/wechat", json={"phone_code": "phone-13812345678"}, headers=bearer(me))
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["phone_masked"] == "138****5678"
    profile = client.get("/api/v1/me", headers=bearer(me)).get_json()
    assert profile["identities"] == ["alipay", "phone", "wechat_mini"]
    assert count_users(db) == 1
    # Later sign-ins by any of them reach the same account.
    assert wx(client, sim_code(wechat_sim, "jack")).get_json()["user"]["id"] == me["user"]["id"]

    # Another account cannot take them over.
    other = auth.consumer("李四")
    r = ali(client, "openid-jack", headers=other.headers)
    assert r.status_code == 409 and r.get_json()["code"] == "conflict"
    r = wx(client, sim_code(wechat_sim, "jack"), headers=other.headers)
    assert r.status_code == 409
    # Nor can the WeChat person already on one account be linked to another through unionid.
    assert count(db, Identity, Identity.user_id == other.user_id) == 0


def test_binding_a_phone_of_another_account_is_refused(client, auth, db):
    owner_of_phone = auth.consumer("王五", phone="13900139000")
    me = wx(client, "ok-kate").get_json()
    r = client.post("/api/v1/me/phone/wechat", json={"phone_code": "phone-13900139000"}, headers=bearer(me))
    assert r.status_code == 409
    assert "其他账号" in r.get_json()["detail"]
    assert client.get("/api/v1/me", headers=bearer(me)).get_json()["phone_masked"] is None
    with db.session() as s:
        assert s.get(User, owner_of_phone.user_id).phone_last4 == "9000"
    r = client.post("/api/v1/me/phone/wechat", json={"phone_code": "phone-123"}, headers=bearer(me))
    assert r.status_code == 401 and r.get_json()["code"] == "invalid_code"
    assert client.post("/api/v1/me/phone/wechat", json={"phone_code": "phone-13900139001"}).status_code == 401


def test_staff_accounts_with_passwords_cannot_sign_in_or_link_through_wechat(client, auth):
    admin = auth.admin()
    r = wx(client, "ok-admin", headers=admin.headers)
    assert r.status_code == 403


def test_a_bad_bearer_on_wechat_login_is_401_not_a_new_account(client, db):
    r = wx(client, "ok-liam", headers={"Authorization": "Bearer nonsense"})
    assert r.status_code == 401 and count_users(db) == 0


# ------------------------------------------------------------------ tokens

def test_refresh_rotates_and_reuse_revokes_the_whole_family(client):
    first = wx(client, "ok-mia").get_json()
    r1 = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert r1.status_code == 200
    second = r1.get_json()
    assert second["refresh_token"] != first["refresh_token"] and second["user"]["id"] == first["user"]["id"]
    replay = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert replay.status_code == 401 and replay.get_json()["code"] == "invalid_token"
    # The thief's replay also kills the token the legitimate refresh produced.
    r = client.post("/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert r.status_code == 401
    # An unrelated session (a new sign-in) is untouched.
    other = wx(client, "ok-mia2").get_json()
    assert client.post("/api/v1/auth/refresh", json={"refresh_token": other["refresh_token"]}).status_code == 200


def test_logout_revokes_the_refresh_token(client):
    body = wx(client, "ok-noah").get_json()
    r = client.post("/api/v1/auth/logout", json={"refresh_token": body["refresh_token"]}, headers=bearer(body))
    assert r.status_code == 204
    assert client.post("/api/v1/auth/refresh", json={"refresh_token": body["refresh_token"]}).status_code == 401


# ------------------------------------------------------------------ erasure

def upload(client, headers):
    r = client.post("/api/v1/uploads", headers=headers, data={"file": (io.BytesIO(png_bytes(8, (200, 10, 10))), "a.png")},
                    content_type="multipart/form-data")
    assert r.status_code == 201, r.get_json()
    return r.get_json()["id"]


@both_backends
def test_delete_me_erases_personal_data_and_keeps_the_anonymised_complaint(client, db, settings, auth, wechat_sim):
    _, biz = auth.business()
    me = wx(client, "ok-olivia").get_json()
    h = bearer(me)
    assert ali(client, "ok-olivia", headers=h).status_code == 200
    assert client.post("/api/v1/me/phone/wechat", json={"phone_code": "phone-13700137000"}, headers=h).status_code == 200
    evidence, loose = upload(client, h), upload(client, h)
    r = client.post("/api/v1/complaints", headers=h, json=complaint_body(biz["id"], attachment_ids=[evidence]))
    assert r.status_code == 201, r.get_json()
    complaint_id = r.get_json()["id"]
    counts_before = client.get(f"/api/v1/businesses/{biz['id']}").get_json()["counts"]
    uid = me["user"]["id"]
    phone_hash = cipher(settings).lookup_hash("13700137000")
    with db.session() as s:
        s.add(SmsCode(phone_hash=phone_hash, code_hash="x" * 64, expires_at=s.get(User, uid).created_at))
        s.add(SubscriptionGrant(user_id=uid, channel="wechat", template_id="wx-sub-forwarded-dev", remaining=2))
        s.commit()
        loose_file = s.get(Upload, loose).storage_name
    assert loose_file in stored_objects(settings)

    r = client.delete("/api/v1/me", headers=h)
    assert r.status_code == 204

    # Signed out everywhere.
    assert client.get("/api/v1/me", headers=h).status_code == 401
    assert client.post("/api/v1/auth/refresh", json={"refresh_token": me["refresh_token"]}).status_code == 401
    with db.session() as s:
        user = s.get(User, uid)
        complaint = s.get(Complaint, complaint_id)
        loose_row, evidence_row = s.get(Upload, loose), s.get(Upload, evidence)
    assert user.display_name == "已注销用户" and user.phone_enc is None and user.phone_hash is None
    assert user.deleted_at is not None and not user.is_active
    for model, column in ((Identity, Identity.user_id), (RefreshToken, RefreshToken.user_id),
                          (SubscriptionGrant, SubscriptionGrant.user_id)):
        assert count(db, model, column == uid) == 0
    assert count(db, SmsCode, SmsCode.phone_hash == phone_hash) == 0
    # Uploads are gone with their files; the evidence too, its complaint not being in mediation (server/core/erasure.py).
    assert loose_row is None and evidence_row is None
    assert loose_file not in stored_objects(settings)
    # The anonymised record stays for the statistics; the open complaint is withdrawn.
    assert complaint.consumer_id == uid and complaint.title and complaint.status == "withdrawn"
    counts_after = client.get(f"/api/v1/businesses/{biz['id']}").get_json()["counts"]
    assert counts_after["total"] == counts_before["total"]

    # The same WeChat and Alipay people signing in again get a fresh, empty account.
    again = wx(client, sim_code(wechat_sim, "olivia")).get_json()
    assert again["user"]["id"] != uid and again["user"]["phone_masked"] is None
    assert ali(client, "openid-olivia").get_json()["user"]["id"] not in (uid, again["user"]["id"])


def test_sign_in_attempts_are_limited_per_ip_with_retry_after(client, settings):
    settings["LOGIN_LIMIT_PER_IP"] = 2
    assert wx(client, "ok-pat").status_code == 200
    assert wx(client, "bogus").status_code == 401
    r = wx(client, "ok-quinn")
    assert r.status_code == 429 and r.get_json()["code"] == "rate_limited"
    assert 1 <= int(r.headers["Retry-After"]) <= 60
    other_ip = client.post("/api/v1/auth/wechat", json={"code": "ok-quinn"}, environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert other_ip.status_code == 200


def test_the_wechat_access_token_is_fetched_once_and_shared(client, wechat_sim):
    first = wx(client, "ok-rose").get_json()
    second = wx(client, "ok-sam").get_json()
    for body, code in ((first, "phone-13311112222"), (second, "phone-13311113333")):
        r = client.post("/api/v1/me/phone/wechat", json={"phone_code": code}, headers=bearer(body))
        assert r.status_code == 200
    assert wechat_sim.stats()["token"] == 1


def test_last_owner_must_hand_over_before_erasure(client, auth):
    owner, biz = auth.business()
    r = client.delete("/api/v1/me", headers=owner.headers)
    assert r.status_code == 409 and "唯一的管理员" in r.get_json()["detail"]
    assert client.get("/api/v1/me", headers=owner.headers).status_code == 200  # nothing was erased
    r = client.post(f"/api/v1/businesses/{biz['id']}/members", headers=owner.headers,
                    json={"phone": "13700001234", "role": "owner"})
    assert r.status_code == 202
    # An invitation is not a second owner yet: still refused until it is accepted.
    assert client.delete("/api/v1/me", headers=owner.headers).status_code == 409
    heir = auth.consumer("接任者", phone="13700001234")
    accepted = client.post(f"/api/v1/me/invitations/{r.get_json()['invitation_id']}/accept", headers=heir.headers)
    assert accepted.status_code == 200
    assert client.delete("/api/v1/me", headers=owner.headers).status_code == 204
    assert client.get("/api/v1/me", headers=owner.headers).status_code == 401
