"""A local Aliyun SMS (dysmsapi SendSms) simulator: checks the POP RPC HMAC-SHA1 signature, the
timestamp and nonce, answers Aliyun's JSON ({"Code": "OK", ...} or its error codes) and records
the codes it "sent" (GET /_sim/sms, GET /_sim/sms/last?phone=...)."""
from __future__ import annotations

import datetime as dt
import hmac
import json
import threading
import time
import uuid
from typing import Any

from flask import Flask, Response, jsonify, request

from server.core.identity.providers.sms import sign_rpc

PHONE_DIGITS = 11


def create_sms_simulator(access_keys: dict[str, str], per_phone_per_minute: int | None = None) -> Flask:
    """access_keys: AccessKeyId -> AccessKeySecret. per_phone_per_minute: Aliyun's minute flow control
    (off by default). Controls: POST /_sim/fault {"mode": "busy"|"rate_limit"|"down"|"slow"|null,
    "count"?, "delay"?}; POST /_sim/reset."""
    app = Flask("smart315-sms-simulator")
    lock = threading.Lock()
    state: dict[str, Any] = {}

    def reset() -> None:
        state.update(sent=[], nonces=set(), fault=None)

    reset()
    app.extensions["sms_sim"] = state

    def answer(code: str, message: str, status: int = 200, **extra: Any) -> Response:
        body = {"RequestId": str(uuid.uuid4()).upper(), "Code": code, "Message": message, **extra}
        return Response(json.dumps(body, ensure_ascii=False), status=status, content_type="application/json")

    @app.route("/", methods=["GET", "POST"])
    def rpc():
        params = {**request.args.to_dict(), **request.form.to_dict()}
        with lock:
            fault = state["fault"]
            if fault and fault.get("count") is not None:
                fault["count"] -= 1
                if fault["count"] <= 0:
                    state["fault"] = None
        mode = fault["mode"] if fault else None
        if mode == "down":
            return Response("Service Unavailable", status=503)
        if mode == "slow":
            time.sleep(float(fault.get("delay", 3)))
        secret = access_keys.get(params.get("AccessKeyId", ""))
        if secret is None:
            return answer("InvalidAccessKeyId.NotFound", "Specified access key is not found.", 404)
        if params.get("SignatureMethod") != "HMAC-SHA1" or params.get("SignatureVersion") != "1.0":
            return answer("InvalidParameter", "SignatureMethod or SignatureVersion is invalid.", 400)
        expected = sign_rpc(params, secret, request.method)
        if not hmac.compare_digest(expected, params.get("Signature", "")):
            return answer("SignatureDoesNotMatch", "Specified signature is not matched with our calculation.", 400)
        try:
            ts = dt.datetime.strptime(params.get("Timestamp", ""), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
        except ValueError:
            return answer("InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted.", 400)
        if abs((dt.datetime.now(dt.UTC) - ts).total_seconds()) > 900:
            return answer("InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.", 400)
        with lock:
            nonce = params.get("SignatureNonce", "")
            if not nonce or nonce in state["nonces"]:
                return answer("SignatureNonceUsed", "Specified signature nonce was used already.", 400)
            state["nonces"].add(nonce)
        if params.get("Action") != "SendSms" or params.get("Version") != "2017-05-25":
            return answer("InvalidAction.NotFound", "Specified api is not found, please check your url and method.",
                          404)
        if mode == "busy":
            return answer("isp.SYSTEM_ERROR", "isp.SYSTEM_ERROR")
        if mode == "rate_limit":
            return answer("isv.BUSINESS_LIMIT_CONTROL", "触发分钟级流控Permits:1")
        phone = params.get("PhoneNumbers", "")
        local = phone[3:] if phone.startswith("+86") else phone
        if not (len(local) == PHONE_DIGITS and local.isdigit() and local.startswith("1")):
            return answer("isv.MOBILE_NUMBER_ILLEGAL", "非法手机号")
        if not params.get("SignName"):
            return answer("isv.SMS_SIGNATURE_ILLEGAL", "该账号下找不到对应签名")
        try:
            template_params = json.loads(params.get("TemplateParam") or "{}")
        except ValueError:
            return answer("isv.INVALID_JSON_PARAM", "JSON参数不合法，只接受字符串值")
        now = time.time()
        with lock:
            if per_phone_per_minute is not None:
                recent = [s for s in state["sent"] if s["phone"] == local and now - s["at"] < 60]
                if len(recent) >= per_phone_per_minute:
                    return answer("isv.BUSINESS_LIMIT_CONTROL", "触发分钟级流控Permits:1")
            biz_id = f"{int(now * 1000)}^{uuid.uuid4().int % 10**10}"
            state["sent"].append({"phone": local, "sign_name": params["SignName"],
                                  "template_code": params.get("TemplateCode"), "params": template_params,
                                  "code": template_params.get("code"), "biz_id": biz_id, "at": now})
        return answer("OK", "OK", BizId=biz_id)

    @app.get("/_sim/sms")
    def sim_sms():
        phone = request.args.get("phone")
        with lock:
            return jsonify([s for s in state["sent"] if phone is None or s["phone"] == phone])

    @app.get("/_sim/sms/last")
    def sim_last():
        phone = request.args.get("phone")
        with lock:
            for item in reversed(state["sent"]):
                if item["phone"] == phone:
                    return jsonify(item)
        return jsonify({"error": "no sms to this phone"}), 404

    @app.post("/_sim/fault")
    def sim_fault():
        body = request.get_json(force=True, silent=True) or {}
        mode = body.get("mode")
        if mode not in (None, "busy", "rate_limit", "down", "slow"):
            return jsonify({"error": "unknown mode"}), 400
        with lock:
            state["fault"] = None if mode is None else {"mode": mode, "count": body.get("count"),
                                                        "delay": body.get("delay", 3)}
        return jsonify({"ok": True})

    @app.post("/_sim/reset")
    def sim_reset():
        with lock:
            reset()
        return jsonify({"ok": True})

    return app
