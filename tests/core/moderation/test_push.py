"""The mini-program message push: URL check, signatures, time window, replays, safe mode in JSON and XML."""
from __future__ import annotations

import base64
import io
import os
import time

import pytest
from PIL import Image
from sqlalchemy import select

from server.core.models import Upload
from server.simulators.wechat import build_mini_echo, build_mini_push

URL = "/api/v1/wechat/mini/events"
AES_KEY = base64.b64encode(os.urandom(32)).decode().rstrip("=")


@pytest.fixture
def settings_overrides(settings_overrides):
    return {**settings_overrides, "WECHAT_MINI_PUSH_TOKEN": "push-token-test", "WECHAT_MINI_PUSH_AES_KEY": AES_KEY}


def test_url_check_answers_echostr_only_when_signed(client):
    args = build_mini_echo("push-token-test", "echo-123")
    r = client.get(URL, query_string=args)
    assert r.status_code == 200 and r.data == b"echo-123"
    bad = build_mini_echo("another-token", "echo-123")
    r = client.get(URL, query_string=bad)
    assert r.status_code == 403 and r.get_json()["detail"] == "微信消息推送签名校验失败"
    stale = build_mini_echo("push-token-test", "echo-123", timestamp=int(time.time()) - 3600)
    assert client.get(URL, query_string=stale).status_code == 403
    assert client.get(URL).status_code == 403


@pytest.fixture
def pending_upload(db, auth, tmp_path):
    """An upload waiting for WeChat's verdict under trace id T1."""
    user = auth.consumer("钱七")
    buf = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buf, "PNG")
    with db.session() as s:
        s.add(Upload(id="u" * 32, owner_id=user.user_id, storage_name="x.png", sha256="0" * 64, mime="image/png",
                     size=10, moderation="pending", moderation_trace_id="T1"))
        s.commit()
    return "u" * 32


def moderation_of(db, upload_id):
    with db.session() as s:
        return s.execute(select(Upload.moderation).where(Upload.id == upload_id)).scalar_one()


def media_event(suggest="risky", trace_id="T1"):
    return {"ToUserName": "gh_x", "FromUserName": "o-user", "CreateTime": int(time.time()), "MsgType": "event",
            "Event": "wxa_media_check", "appid": "wx-mini-dev-appid", "trace_id": trace_id, "version": 2,
            "errcode": 0, "errmsg": "ok", "result": {"suggest": suggest, "label": 20002}}


def post(client, args, body, ctype):
    return client.post(URL, query_string=args, data=body, headers={"Content-Type": ctype})


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("safe", [False, True])
def test_media_check_result_in_every_format(client, db, pending_upload, fmt, safe):
    args, body, ctype = build_mini_push("push-token-test", media_event(), fmt=fmt,
                                        aes_key=AES_KEY if safe else None, appid="wx-mini-dev-appid")
    if safe:
        assert b"wxa_media_check" not in body  # encrypted
    r = post(client, args, body, ctype)
    assert r.status_code == 200 and r.data == b"success"
    assert moderation_of(db, pending_upload) == "risky"


def test_a_pass_result_releases_the_image(client, db, pending_upload):
    args, body, ctype = build_mini_push("push-token-test", media_event("pass"))
    assert post(client, args, body, ctype).status_code == 200
    assert moderation_of(db, pending_upload) == "pass"


def test_forged_stale_and_replayed_pushes_change_nothing(client, db, pending_upload):
    event = media_event()
    # Wrong token.
    args, body, ctype = build_mini_push("not-our-token", event)
    assert post(client, args, body, ctype).status_code == 403
    # Right plain signature, wrong msg_signature (safe mode).
    args, body, ctype = build_mini_push("push-token-test", event, aes_key=AES_KEY, appid="wx-mini-dev-appid")
    assert post(client, {**args, "msg_signature": "0" * 40}, body, ctype).status_code == 403
    # Encrypted with another key.
    other = base64.b64encode(os.urandom(32)).decode().rstrip("=")
    args, body, ctype = build_mini_push("push-token-test", event, aes_key=other, appid="wx-mini-dev-appid")
    r = post(client, args, body, ctype)
    assert r.status_code == 400 and r.get_json()["detail"]
    # Too old, and from the future.
    for ts in (int(time.time()) - 3600, int(time.time()) + 3600):
        args, body, ctype = build_mini_push("push-token-test", event, timestamp=ts)
        assert post(client, args, body, ctype).status_code == 403
    # Garbage bodies are problems, not 500s.
    args, body, ctype = build_mini_push("push-token-test", event)
    for junk in (b"", b"{not json", b"<xml><a>", b"[1, 2]"):
        r = post(client, {**args, "nonce": os.urandom(4).hex()}, junk, "application/json")
        assert r.status_code in (400, 403), junk
    assert moderation_of(db, pending_upload) == "pending"
    # The genuine push works once; the same push again is refused.
    args, body, ctype = build_mini_push("push-token-test", media_event("pass"))
    assert post(client, args, body, ctype).status_code == 200
    replay = build_mini_push("push-token-test", media_event("risky"), timestamp=int(args["timestamp"]),
                             nonce=args["nonce"])
    r = post(client, *replay)
    assert r.status_code == 403 and "重复" in r.get_json()["detail"]
    assert moderation_of(db, pending_upload) == "pass"


def test_other_events_are_acknowledged(client):
    args, body, ctype = build_mini_push("push-token-test", {"ToUserName": "gh_x", "FromUserName": "o-user",
                                                            "CreateTime": int(time.time()), "MsgType": "event",
                                                            "Event": "subscribe_msg_popup_event"})
    r = post(client, args, body, ctype)
    assert r.status_code == 200 and r.data == b"success"
