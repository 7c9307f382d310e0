"""A local Alipay open-API gateway simulator (gateway.do): RSA2-checked requests, RSA2-signed answers.

Answers use Alipay's envelope: {"<method_with_underscores>_response": {...}, "sign": "..."} or
{"error_response": {"code", "msg", "sub_code", "sub_msg"}, "sign": "..."}; the sign covers the exact
JSON text of the inner object, as Alipay's does.

alipay.system.oauth.token: code "ok-<name>" is valid once and maps to user_id "2088" + 12 digits and
an open_id derived from the name; "openid-<name>" returns only an open_id (apps in open_id mode);
anything else, or a reused code, is 40002 isv.code-invalid.
alipay.open.app.mini.templatemessage.send: template ids starting with "bad" are unknown; users marked
by POST /_sim/refuse are not subscribed. (These two sub_codes are the simulator's own choice.)
"""
from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from flask import Flask, Response, jsonify, request


def user_id_for(name: str) -> str:
    return "2088" + str(int(hashlib.sha1(f"user:{name}".encode()).hexdigest(), 16) % 10**12).zfill(12)


def open_id_for(appid: str, name: str) -> str:
    return "0" + hashlib.sha256(f"{appid}:{name}".encode()).hexdigest()[:46]


def create_alipay_simulator(alipay_private_key_pem: str, app_public_keys: dict[str, str]) -> Flask:
    """Build the gateway simulator.

    alipay_private_key_pem signs answers; app_public_keys maps app_id -> the app's public key PEM
    used to check request signatures. Controls: POST /_sim/fault {"mode": "busy"|"down"|"slow"|
    "tamper"|"garbage"|"badsign" (error envelope with a non-base64 signature)|"badsign_ok" (success envelope,
    same)|"wrongtypes" (signed, fields of the wrong JSON types)|"oddjson" (a JSON array)|"nulls"|null,
    "count"?, "delay"?}; POST /_sim/refuse {"id"}; GET /_sim/messages;
    GET /_sim/stats; POST /_sim/reset.
    """
    app = Flask("smart315-alipay-simulator")
    signing_key = serialization.load_pem_private_key(alipay_private_key_pem.encode(), password=None)
    verify_keys = {appid: serialization.load_pem_public_key(pem.encode()) for appid, pem in app_public_keys.items()}
    lock = threading.Lock()
    state: dict[str, Any] = {}

    def reset() -> None:
        state.update(used=set(), refused=set(), messages=[], fault=None, counters={})

    reset()
    app.extensions["alipay_sim"] = state

    def sign(text: str) -> str:
        return base64.b64encode(signing_key.sign(text.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())).decode()

    def envelope(key: str, content: dict, tamper: bool = False) -> Response:
        text = json.dumps(content, ensure_ascii=False, separators=(",", ":"))
        signature = sign(text)
        if tamper:
            # What a man in the middle would do: change the content, keep the signature.
            changed = dict(content)
            for field in ("user_id", "open_id", "code", "msg"):
                if field in changed:
                    changed[field] = str(changed[field])[:-1] + ("9" if not str(changed[field]).endswith("9") else "8")
                    break
            text = json.dumps(changed, ensure_ascii=False, separators=(",", ":"))
        body = '{"' + key + '":' + text + ',"sign":"' + signature + '"}'
        return Response(body, content_type="text/html;charset=utf-8")  # Alipay's own content type

    def error(key: str, code: str, msg: str, sub_code: str, sub_msg: str, tamper: bool = False) -> Response:
        return envelope(key, {"code": code, "msg": msg, "sub_code": sub_code, "sub_msg": sub_msg}, tamper)

    def verify_request(params: dict[str, str]) -> bool:
        key = verify_keys.get(params.get("app_id", ""))
        signature = params.get("sign")
        if key is None or not signature:
            return False
        unsigned = "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k != "sign")
        try:
            key.verify(base64.b64decode(signature), unsigned.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
        except (InvalidSignature, ValueError):
            return False
        return True

    @app.route("/gateway.do", methods=["GET", "POST"])
    def gateway():
        params = {**request.args.to_dict(), **request.form.to_dict()}
        method = params.get("method", "")
        key = method.replace(".", "_") + "_response"
        with lock:
            fault = state["fault"]
            if fault and fault.get("count") is not None:
                fault["count"] -= 1
                if fault["count"] <= 0:
                    state["fault"] = None
            state["counters"][method] = state["counters"].get(method, 0) + 1
        mode = fault["mode"] if fault else None
        if mode == "down":
            return Response("<html><body>502 Bad Gateway</body></html>", status=502, content_type="text/html")
        if mode == "garbage":
            return Response("<html>error</html>", content_type="text/html")
        if mode == "slow":
            time.sleep(float(fault.get("delay", 3)))
        if params.get("app_id") not in verify_keys:
            return error("error_response", "40002", "Invalid Arguments", "isv.invalid-app-id", "无效的AppID参数")
        if params.get("sign_type") != "RSA2" or not verify_request(params):
            return error("error_response", "40002", "Invalid Arguments", "isv.invalid-signature",
                         "验签出错，建议检查签名字符串或签名私钥与应用公钥是否匹配")
        if mode == "busy":
            return error(key, "20000", "Service Currently Unavailable", "isp.unknow-error", "系统繁忙")
        if mode == "badsign":
            # An error envelope whose signature is not even base64 (what a broken proxy or a forger sends).
            body = ('{"error_response":{"code":"40002","msg":"Invalid Arguments","sub_code":"isv.code-invalid",'
                    '"sub_msg":"授权码code无效"},"sign":"%%%not-base64!!"}')
            return Response(body, content_type="text/html;charset=utf-8")
        if mode == "badsign_ok":
            body = '{"' + key + '":{"user_id":"2088000000000001","access_token":"x"},"sign":"@@@"}'
            return Response(body, content_type="text/html;charset=utf-8")
        if mode == "wrongtypes":
            # Validly signed, but the fields have the wrong JSON types.
            return envelope(key, {"user_id": 2088000000000001, "open_id": ["x"], "access_token": {"a": 1}})
        if mode == "oddjson":
            return Response('["error_response", 1, null]', content_type="text/html;charset=utf-8")
        if mode == "nulls":
            return Response('{"error_response":null,"sign":null}', content_type="text/html;charset=utf-8")
        tamper = mode == "tamper"
        if method == "alipay.system.oauth.token":
            return oauth_token(params, key, tamper)
        if method == "alipay.open.app.mini.templatemessage.send":
            return template_send(params, key, tamper)
        return error("error_response", "40004", "Business Failed", "isv.invalid-method", "不存在的方法名")

    def oauth_token(params: dict[str, str], key: str, tamper: bool) -> Response:
        code = params.get("code") or ""
        if params.get("grant_type") != "authorization_code":
            return error("error_response", "40002", "Invalid Arguments", "isv.grant-type-invalid",
                         "不支持的grantType类型")
        with lock:
            valid = code.startswith(("ok-", "openid-")) and len(code.split("-", 1)[1]) > 0 \
                and code not in state["used"]
            if valid:
                state["used"].add(code)
        if not valid:
            return error("error_response", "40002", "Invalid Arguments", "isv.code-invalid", "授权码code无效",
                         tamper)
        name = code.split("-", 1)[1]
        content: dict[str, Any] = {}
        if code.startswith("ok-"):
            content["user_id"] = user_id_for(name)
        content.update({
            "open_id": open_id_for(params["app_id"], name),
            "access_token": "authusrB" + secrets.token_hex(16),
            "expires_in": 1296000,
            "refresh_token": "authusrB" + secrets.token_hex(16),
            "re_expires_in": 2592000,
            "auth_start": time.strftime("%Y-%m-%d %H:%M:%S"),
        })
        return envelope(key, content, tamper)

    def template_send(params: dict[str, str], key: str, tamper: bool) -> Response:
        try:
            biz = json.loads(params.get("biz_content") or "{}")
            data = json.loads(biz.get("data") or "null")
        except ValueError:
            return error(key, "40002", "Invalid Arguments", "isv.invalid-parameter", "参数无效", tamper)
        to = biz.get("to_user_id") or biz.get("to_open_id")
        template_id = biz.get("user_template_id") or ""
        if not to or not isinstance(data, dict) or not data:
            return error(key, "40002", "Invalid Arguments", "isv.missing-parameter", "缺少必选参数", tamper)
        if template_id.startswith("bad") or not template_id:
            return error(key, "40004", "Business Failed", "USER_TEMPLATE_ILLEGAL", "模板不合法", tamper)
        with lock:
            if to in state["refused"]:
                return error(key, "40004", "Business Failed", "USER_NOT_SUBSCRIBED", "用户未订阅该消息", tamper)
            state["messages"].append({"to": to, "to_type": "user_id" if biz.get("to_user_id") else "open_id",
                                      "template_id": template_id, "page": biz.get("page"), "data": data,
                                      "at": time.time()})
        return envelope(key, {"code": "10000", "msg": "Success"}, tamper)

    @app.post("/_sim/fault")
    def sim_fault():
        body = request.get_json(force=True, silent=True) or {}
        mode = body.get("mode")
        if mode not in (None, "busy", "down", "slow", "tamper", "garbage", "badsign", "badsign_ok", "wrongtypes",
                        "oddjson", "nulls"):
            return jsonify({"error": "unknown mode"}), 400
        with lock:
            state["fault"] = None if mode is None else {"mode": mode, "count": body.get("count"),
                                                        "delay": body.get("delay", 3)}
        return jsonify({"ok": True})

    @app.post("/_sim/refuse")
    def sim_refuse():
        body = request.get_json(force=True, silent=True) or {}
        with lock:
            state["refused"].add(body["id"])
        return jsonify({"ok": True})

    @app.get("/_sim/messages")
    def sim_messages():
        with lock:
            return jsonify(list(state["messages"]))

    @app.get("/_sim/stats")
    def sim_stats():
        with lock:
            return jsonify(dict(state["counters"]))

    @app.post("/_sim/reset")
    def sim_reset():
        with lock:
            reset()
        return jsonify({"ok": True})

    return app
