"""Business staff bind their WeChat official-account openid by scanning a one-time QR: ticket creation
through wechatpy against the simulator, and the OA callback end to end with the simulator's /_sim/scan."""
from __future__ import annotations

import base64
import io
import os
from datetime import timedelta

import pytest
import xmltodict
from PIL import Image
from sqlalchemy import func, select
from wechatpy.crypto import WeChatCrypto

from server.core.models import BusinessMember, WechatBinding
from server.simulators.runner import start_in_thread
from server.simulators.wechat import build_oa_echo, build_oa_event
from tests.simulators import fixtures

# pytest finds fixtures by module attribute; this comes from the shared simulator fixtures.
wechat_sim = fixtures.wechat_sim

CALLBACK = "/wechat/oa/callback"


@pytest.fixture
def settings_overrides(settings_overrides, wechat_sim):
    return {**settings_overrides, "WECHAT_API_BASE_URL": wechat_sim.settings["WECHAT_API_BASE_URL"]}


@pytest.fixture
def served(app):
    """The app on a real port, so the simulator can POST events to its callback as WeChat would."""
    base_url, shutdown = start_in_thread(app)
    yield base_url
    shutdown()


def create_binding(client, login, business_id):
    r = client.post(f"/api/v1/businesses/{business_id}/wechat-binding", headers=login.headers)
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def oa_openid(db, user_id, business_id):
    with db.session() as s:
        return s.execute(select(BusinessMember.oa_openid).where(BusinessMember.user_id == user_id,
                                                                BusinessMember.business_id == business_id)
                         ).scalar_one()


def scan(sim, ticket, served, **extra):
    return sim.post("/_sim/scan", {"ticket": ticket, "callback_url": served + CALLBACK, **extra})


def reply_content(xml_text):
    return xmltodict.parse(xml_text)["xml"]["Content"]


def test_staff_get_a_one_time_qr_ticket_and_a_local_png(client, auth, wechat_sim, db):
    owner, biz = auth.business()
    b = create_binding(client, owner, biz["id"])
    assert b["scene"].startswith("bind_") and b["ticket"] and b["expires_at"].endswith("+08:00")
    assert b["qr_url"].startswith(wechat_sim.base_url + "/cgi-bin/showqrcode?ticket=")
    # The ticket is WeChat's own: the simulator knows it, with our scene in it.
    assert wechat_sim.get("/_sim/tickets/" + b["ticket"])["scene"] == b["scene"]

    png = client.get(b["qr_png_url"], headers=owner.headers)
    assert png.status_code == 200 and png.mimetype == "image/png"
    img = Image.open(io.BytesIO(png.data))
    assert img.size[0] > 100
    assert client.get(b["qr_png_url"]).status_code == 401
    with db.session() as s:
        assert s.execute(select(func.count()).select_from(WechatBinding)).scalar_one() == 1


def test_only_staff_of_that_business_may_create_a_binding(client, auth):
    _, biz = auth.business()
    other_owner, _ = auth.business(name="上海某某餐饮管理有限公司", region="310101")
    consumer = auth.consumer()
    assert client.post(f"/api/v1/businesses/{biz['id']}/wechat-binding", headers=consumer.headers).status_code == 403
    assert client.post(f"/api/v1/businesses/{biz['id']}/wechat-binding",
                       headers=other_owner.headers).status_code == 403
    assert client.post("/api/v1/businesses/999999/wechat-binding", headers=other_owner.headers).status_code == 404
    assert client.post(f"/api/v1/businesses/{biz['id']}/wechat-binding").status_code == 401


def test_wechat_down_when_creating_a_ticket_is_503_and_leaves_no_binding(client, auth, wechat_sim, db):
    owner, biz = auth.business()
    wechat_sim.fault("busy")
    r = client.post(f"/api/v1/businesses/{biz['id']}/wechat-binding", headers=owner.headers)
    assert r.status_code == 503 and r.get_json()["code"] == "upstream_unavailable"
    with db.session() as s:
        assert s.execute(select(func.count()).select_from(WechatBinding)).scalar_one() == 0


@pytest.mark.parametrize("event", ["subscribe", "SCAN"])
def test_scanning_the_qr_binds_the_staff_members_oa_openid_once(client, auth, wechat_sim, db, served, event):
    owner, biz = auth.business()
    b = create_binding(client, owner, biz["id"])
    result = scan(wechat_sim, b["ticket"], served, name="店主本人", event=event)
    assert result["status"] == 200
    assert "绑定成功" in reply_content(result["body"])
    assert oa_openid(db, owner.user_id, biz["id"]) == result["openid"]
    members = client.get(f"/api/v1/businesses/{biz['id']}/members", headers=owner.headers).get_json()
    assert [m["wechat_bound"] for m in members] == [True]

    # WeChat re-delivers the same event when our answer is slow: still fine, still one binding.
    again = scan(wechat_sim, b["ticket"], served, name="店主本人", event=event)
    assert "绑定成功" in reply_content(again["body"])
    # Someone else scanning the same (used) QR binds nothing.
    stranger = scan(wechat_sim, b["ticket"], served, name="路人", event=event)
    assert stranger["status"] == 200 and "重新生成" in reply_content(stranger["body"])
    assert oa_openid(db, owner.user_id, biz["id"]) == result["openid"]
    assert client.get(b["qr_png_url"], headers=owner.headers).status_code == 404


def test_encrypted_mode_events_are_decrypted_and_the_reply_encrypted(client, auth, wechat_sim, db, served, settings):
    aes_key = base64.b64encode(os.urandom(32)).decode()[:-1]  # WeChat's EncodingAESKey: 43 characters
    settings["WECHAT_OA_AES_KEY"] = aes_key
    owner, biz = auth.business()
    b = create_binding(client, owner, biz["id"])
    result = scan(wechat_sim, b["ticket"], served, name="加密模式", aes_key=aes_key)
    assert result["status"] == 200
    envelope = xmltodict.parse(result["body"])["xml"]
    assert "Encrypt" in envelope and "Content" not in envelope
    crypto = WeChatCrypto(settings["WECHAT_OA_TOKEN"], aes_key, settings["WECHAT_OA_APPID"])
    plain = crypto.decrypt_message(result["body"], envelope["MsgSignature"], envelope["TimeStamp"], envelope["Nonce"])
    assert "绑定成功" in reply_content(plain)
    assert oa_openid(db, owner.user_id, biz["id"]) == result["openid"]


def test_echo_check_answers_echostr_only_with_a_valid_signature(client, settings):
    args = build_oa_echo(settings["WECHAT_OA_TOKEN"], "hello-wechat")
    r = client.get(CALLBACK, query_string=args)
    assert r.status_code == 200 and r.get_data(as_text=True) == "hello-wechat"
    bad = client.get(CALLBACK, query_string={**args, "signature": "0" * 40})
    assert bad.status_code == 403 and bad.mimetype == "application/problem+json"
    assert bad.get_json()["code"] == "forbidden"


def test_events_with_a_bad_signature_are_403_and_bind_nothing(client, auth, db, settings):
    owner, biz = auth.business()
    b = create_binding(client, owner, biz["id"])
    args, body = build_oa_event("not-our-token", "o-forged", scene=b["scene"])
    r = client.post(CALLBACK, query_string=args, data=body, content_type="text/xml")
    assert r.status_code == 403 and r.get_json()["code"] == "forbidden"
    assert oa_openid(db, owner.user_id, biz["id"]) is None


def test_unknown_scene_and_plain_follows_answer_success(client, settings):
    token = settings["WECHAT_OA_TOKEN"]
    for scene in ("bind_unknown", None):
        args, body = build_oa_event(token, "o-someone", scene=scene)
        r = client.post(CALLBACK, query_string=args, data=body, content_type="text/xml")
        assert r.status_code == 200 and r.get_data(as_text=True) == "success"


def test_an_expired_qr_binds_nothing(client, auth, db, settings):
    owner, biz = auth.business()
    b = create_binding(client, owner, biz["id"])
    with db.session() as s:
        row = s.execute(select(WechatBinding)).scalar_one()
        row.expires_at -= timedelta(hours=1)
        s.commit()
    args, body = build_oa_event(settings["WECHAT_OA_TOKEN"], "o-late", event="SCAN", scene=b["scene"])
    r = client.post(CALLBACK, query_string=args, data=body, content_type="text/xml")
    assert r.status_code == 200 and "重新生成" in reply_content(r.get_data(as_text=True))
    assert oa_openid(db, owner.user_id, biz["id"]) is None


def test_unfollowing_the_account_unbinds(client, auth, db, settings):
    owner, biz = auth.business()
    b = create_binding(client, owner, biz["id"])
    token = settings["WECHAT_OA_TOKEN"]
    args, body = build_oa_event(token, "o-staff-1", scene=b["scene"])
    assert client.post(CALLBACK, query_string=args, data=body, content_type="text/xml").status_code == 200
    assert oa_openid(db, owner.user_id, biz["id"]) == "o-staff-1"
    args, body = build_oa_event(token, "o-staff-1", event="unsubscribe")
    r = client.post(CALLBACK, query_string=args, data=body, content_type="text/xml")
    assert r.status_code == 200 and r.get_data(as_text=True) == "success"
    assert oa_openid(db, owner.user_id, biz["id"]) is None


def test_the_callback_is_not_under_the_api_prefix(client):
    assert client.get("/api/v1" + CALLBACK).status_code == 404
