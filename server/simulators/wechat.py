"""A local WeChat API simulator speaking the real wire protocol (JSON over HTTP, real error codes).

Endpoints: /cgi-bin/token, /cgi-bin/stable_token (normal mode answers the token still valid with its
remaining lifetime; force_refresh retires the appid's earlier tokens), /sns/jscode2session, /wxa/business/getuserphonenumber,
/cgi-bin/message/subscribe/send, /cgi-bin/message/template/send, /cgi-bin/qrcode/create,
/cgi-bin/showqrcode, /wxa/msg_sec_check (v2; v1 answers 87014 for risky text) and
/wxa/media_check_async (v2: answers a trace_id; the verdict is POSTed later to the mini-program's
message-push URL, signed, plaintext or safe mode, JSON or XML, as WeChat does). Subscribe messages
whose template's keywords the simulator knows (POST /_sim/templates) answer 47003 when the data's keys
differ or a value exceeds its type's limit (thing 20, character_string 32, phrase 5); OA template
messages answer 47003 for a value over 20 characters. POST /_sim/subscribe plays a user's tap in the
subscribe pop-up (or settings page) and POSTs the subscribe_msg_* event to the push URL; each
subscribe send POSTs its subscribe_msg_sent_event when the push is set with "sent_events". Test and
demo controls live under /_sim/ (see `create_wechat_simulator`).

Login codes: a code "ok-<name>" (or one issued by POST /_sim/codes) is valid once; it maps to the
openid "o" + sha1(appid:name)[:27] and the unionid "u" + sha1(name)[:27] (the same person has the
same unionid in the mini-program and the OA); "nounion-<name>" gives no unionid; a code used twice
answers 40163; any other code answers 40029. Phone codes "phone-<11 digits>" are valid once.
"""
from __future__ import annotations

import hashlib
import io
import re
import secrets
import threading
import time
from typing import Any

import requests
from flask import Flask, Response, jsonify, request

INVALID_CREDENTIAL = {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest"}
EXPIRED_TOKEN = {"errcode": 42001, "errmsg": "access_token expired"}
BUSY = {"errcode": -1, "errmsg": "system error"}
RATE_LIMIT = {"errcode": 45011, "errmsg": "api minute-quota reach limit  mustslower  retry next minute"}
USER_NOT_ACTIVE = {"errcode": 61010, "errmsg": "user access record overtime, user has not visited the mini program "
                                                "in the past 2 hours"}
DEFAULT_RISKY_WORDS = ("违禁词", "出售枪支", "网络赌博", "色情服务")
DEFAULT_REVIEW_WORDS = ("待审词", "传销")
# WeChat's limits per keyword type (subscribe messages) and per field of an OA template message (2023).
KEYWORD_LIMITS = {"thing": 20, "character_string": 32, "phrase": 5, "number": 32, "letter": 32, "symbol": 5,
                  "name": 10, "phone_number": 17, "car_number": 8, "amount": 11}
OA_FIELD_LIMIT = 20
LABEL_CODES = {"广告": 10001, "时政": 20001, "色情": 20002, "辱骂": 20003, "违法犯罪": 20006, "欺诈": 20008}


def openid_for(appid: str, name: str) -> str:
    """The openid the simulator gives `name` in app `appid` (28 chars like a real one)."""
    return "o" + hashlib.sha1(f"{appid}:{name}".encode()).hexdigest()[:27]


def unionid_for(name: str) -> str:
    return "u" + hashlib.sha1(f"union:{name}".encode()).hexdigest()[:27]


class WeChatSimState:
    """Everything the simulator remembers; guarded by one lock (the server is threaded)."""

    def __init__(self, apps: dict[str, str], token_ttl: int, templates: set[str] | None):
        self.lock = threading.Lock()
        self.apps = dict(apps)
        self.token_ttl = token_ttl
        self.templates = set(templates) if templates is not None else None
        self.reset()

    def reset(self) -> None:
        self.tokens: dict[str, tuple[str, float]] = {}  # token -> (appid, expires_at)
        self.used_codes: set[str] = set()
        self.issued_codes: dict[str, dict[str, Any]] = {}
        self.refused: set[tuple[str, str | None]] = set()  # (openid, template_id|None)
        self.unfollowed: set[str] = set()
        self.tickets: dict[str, dict[str, Any]] = {}
        self.messages: list[dict[str, Any]] = []
        self.fault: dict[str, Any] | None = None
        self.counters: dict[str, int] = {}
        # Content security: words, users who have not opened the app in 2 h, media checks, the push target.
        self.risky_words: list[str] = list(DEFAULT_RISKY_WORDS)
        self.review_words: list[str] = list(DEFAULT_REVIEW_WORDS)
        self.inactive: set[str] = set()
        self.sec_checks: list[dict[str, Any]] = []
        self.media_checks: dict[str, dict[str, Any]] = {}
        self.media_verdict: dict[str, Any] = {"suggest": "pass", "label": 100}
        self.push: dict[str, Any] | None = None  # {"url", "token", "aes_key", "appid", "format", "auto"}
        self.template_keywords: dict[str, list[str]] = {}  # template id -> its keywords (POST /_sim/templates)
        self.pushes: list[dict[str, Any]] = []  # subscribe events delivered: {"event", "status"}

    def count(self, name: str) -> None:
        self.counters[name] = self.counters.get(name, 0) + 1


def create_wechat_simulator(apps: dict[str, str] | None = None, token_ttl: int = 7200,
                            templates: set[str] | None = None) -> Flask:
    """Build the simulator app.

    apps: appid -> secret accepted by /cgi-bin/token and jscode2session (default: the dev settings'
    mini and OA apps). templates: template ids that exist (None: every id not starting with "bad").

    Controls (JSON): POST /_sim/fault {"mode": "busy"|"rate_limit"|"down"|"slow"|"garbage"|"oddjson" (a JSON array)|
    "wrongtypes" (fields of the wrong types, errcode "abc")|"wrongtypes_ok" (no errcode, openid a number)|
    "badjson" (truncated JSON)|null,
    "count": N (default: until cleared), "delay": seconds for slow, "paths": [prefixes]};
    POST /_sim/codes {"name", "unionid": bool} -> {"code"}; POST /_sim/refuse {"openid", "template_id"?};
    POST /_sim/unfollow {"openid"}; POST /_sim/expire_tokens; POST /_sim/scan {...} (delivers an OA
    event to the app's callback); POST /_sim/templates {"<id>": [keywords]} (47003 for other keys);
    POST /_sim/subscribe {"openid", "templates": {"<id>": "accept"|"reject"}, "event": "popup"|"change"}
    (pushes the subscribe event to the push URL set by /_sim/moderation; "sent_events": true there also
    pushes each send's subscribe_msg_sent_event); GET /_sim/pushes; GET /_sim/messages; GET /_sim/stats
    ("token" counts both token endpoints, "stable_token" that one); POST /_sim/reset.
    """
    if apps is None:
        apps = {"wx-mini-dev-appid": "wx-mini-dev-secret", "wx-oa-dev-appid": "wx-oa-dev-secret"}
    app = Flask("smart315-wechat-simulator")
    state = WeChatSimState(apps, token_ttl, templates)
    app.extensions["wechat_sim"] = state

    def fault_response() -> Response | None:
        with state.lock:
            fault = state.fault
            if not fault or request.path.startswith("/_sim"):
                return None
            paths = fault.get("paths")
            if paths and not any(request.path.startswith(p) for p in paths):
                return None
            if fault.get("count") is not None:
                fault["count"] -= 1
                if fault["count"] <= 0:
                    state.fault = None
            mode = fault["mode"]
            state.count(f"fault:{mode}")
        if mode == "busy":
            return jsonify(BUSY)
        if mode == "rate_limit":
            return jsonify(RATE_LIMIT)
        if mode == "down":
            return Response("<html><body>503 Service Temporarily Unavailable</body></html>", status=503,
                            content_type="text/html")
        if mode == "garbage":
            return Response("<html>gateway error</html>", status=200, content_type="text/html")
        if mode == "oddjson":
            # Valid JSON, but not an object.
            return Response('["errcode", 0]', status=200, content_type="application/json")
        if mode == "wrongtypes":
            # An object whose fields have the wrong types: a non-numeric errcode, a numeric openid.
            return jsonify({"errcode": "abc", "errmsg": 5, "openid": 12345, "session_key": ["k"],
                            "access_token": 7, "expires_in": "soon", "phone_info": "138"})
        if mode == "wrongtypes_ok":
            return jsonify({"openid": 12345, "session_key": {"k": 1}, "unionid": [1]})
        if mode == "badjson":
            return Response('{"errcode": 0, "openid": "o', status=200, content_type="application/json")
        if mode == "slow":
            time.sleep(float(fault.get("delay", 3)))
        return None

    @app.before_request
    def _faults():
        return fault_response()

    def check_token() -> tuple[str | None, dict | None]:
        token = request.args.get("access_token")
        with state.lock:
            entry = state.tokens.get(token or "")
        if not entry:
            return None, INVALID_CREDENTIAL
        appid, expires_at = entry
        if expires_at <= time.time():
            return None, EXPIRED_TOKEN
        return appid, None

    def template_exists(template_id: str | None) -> bool:
        if not template_id:
            return False
        if state.templates is not None:
            return template_id in state.templates
        return not template_id.startswith("bad")

    # --- the WeChat API ----------------------------------------------------------------------
    @app.get("/cgi-bin/token")
    def token():
        appid, secret = request.args.get("appid"), request.args.get("secret")
        with state.lock:
            state.count("token")
        if request.args.get("grant_type") != "client_credential":
            return jsonify({"errcode": 40002, "errmsg": "invalid grant_type"})
        if appid not in state.apps:
            return jsonify({"errcode": 40013, "errmsg": "invalid appid"})
        if state.apps[appid] != secret:
            return jsonify({"errcode": 40125, "errmsg": "invalid appsecret"})
        value = secrets.token_urlsafe(96)[:128]
        with state.lock:
            # Older tokens stay valid until they expire, like WeChat's 5-minute overlap.
            state.tokens[value] = (appid, time.time() + state.token_ttl)
        return jsonify({"access_token": value, "expires_in": state.token_ttl})

    @app.post("/cgi-bin/stable_token")
    def stable_token():
        body = request.get_json(force=True, silent=True) or {}
        appid, secret = body.get("appid"), body.get("secret")
        with state.lock:
            state.count("token")
            state.count("stable_token")
        if body.get("grant_type") != "client_credential":
            return jsonify({"errcode": 40002, "errmsg": "invalid grant_type"})
        if appid not in state.apps:
            return jsonify({"errcode": 40013, "errmsg": "invalid appid"})
        if state.apps[appid] != secret:
            return jsonify({"errcode": 40125, "errmsg": "invalid appsecret"})
        now = time.time()
        with state.lock:
            if not body.get("force_refresh"):
                live = [(exp, tok) for tok, (a, exp) in state.tokens.items() if a == appid and exp > now + 60]
                if live:
                    exp, tok = max(live)
                    return jsonify({"access_token": tok, "expires_in": int(exp - now)})
            else:
                # force_refresh: the appid's earlier tokens stop working.
                state.tokens = {k: (a, 0.0 if a == appid else e) for k, (a, e) in state.tokens.items()}
            value = secrets.token_urlsafe(96)[:128]
            state.tokens[value] = (appid, now + state.token_ttl)
        return jsonify({"access_token": value, "expires_in": state.token_ttl})

    @app.get("/sns/jscode2session")
    def jscode2session():
        appid, secret, code = request.args.get("appid"), request.args.get("secret"), request.args.get("js_code")
        with state.lock:
            state.count("jscode2session")
        if appid not in state.apps:
            return jsonify({"errcode": 40013, "errmsg": "invalid appid"})
        if state.apps[appid] != secret:
            return jsonify({"errcode": 40125, "errmsg": "invalid appsecret"})
        if request.args.get("grant_type") != "authorization_code":
            return jsonify({"errcode": 40002, "errmsg": "invalid grant_type"})
        with state.lock:
            if code in state.used_codes:
                return jsonify({"errcode": 40163, "errmsg": "code been used"})
            issued = state.issued_codes.pop(code or "", None)
            if issued is None and code and (code.startswith("ok-") or code.startswith("nounion-")):
                name = code.split("-", 1)[1]
                issued = {"name": name, "unionid": code.startswith("ok-")}
            if issued is None or not issued["name"]:
                return jsonify({"errcode": 40029, "errmsg": "invalid code"})
            state.used_codes.add(code)
        out = {"openid": openid_for(appid, issued["name"]), "session_key": secrets.token_urlsafe(18)[:24]}
        if issued.get("unionid"):
            out["unionid"] = unionid_for(issued["name"])
        return jsonify(out)

    @app.post("/wxa/business/getuserphonenumber")
    def getuserphonenumber():
        appid, error = check_token()
        if error:
            return jsonify(error)
        code = (request.get_json(force=True, silent=True) or {}).get("code") or ""
        with state.lock:
            state.count("getuserphonenumber")
            if code in state.used_codes:
                return jsonify({"errcode": 40163, "errmsg": "code been used"})
            digits = code[len("phone-"):] if code.startswith("phone-") else ""
            if not (len(digits) == 11 and digits.isdigit()):
                return jsonify({"errcode": 40029, "errmsg": "invalid code"})
            state.used_codes.add(code)
        return jsonify({"errcode": 0, "errmsg": "ok", "phone_info": {
            "phoneNumber": digits, "purePhoneNumber": digits, "countryCode": "86",
            "watermark": {"timestamp": int(time.time()), "appid": appid}}})

    def validate_message(body: dict, oa: bool = False) -> dict | None:
        touser, template_id, data = body.get("touser"), body.get("template_id"), body.get("data")
        if not touser or not str(touser).startswith("o"):
            return {"errcode": 40003, "errmsg": "invalid openid"}
        if not template_exists(template_id):
            return {"errcode": 40037, "errmsg": "invalid template_id"}
        if not isinstance(data, dict) or not data:
            return {"errcode": 47003, "errmsg": "argument invalid! data is empty"}
        for key, value in data.items():
            if not isinstance(value, dict) or value.get("value") in (None, ""):
                return {"errcode": 47003, "errmsg": f"argument invalid! data.{key}.value is empty"}
        with state.lock:
            keywords = state.template_keywords.get(str(template_id))
        if keywords is not None and set(data) != set(keywords):
            return {"errcode": 47003, "errmsg": f"argument invalid! data keywords {sorted(data)} do not match "
                                                f"the template's {sorted(keywords)}"}
        for key, value in data.items():
            text = str(value["value"])
            kind = re.sub(r"\d+$", "", key)
            limit = OA_FIELD_LIMIT if oa else KEYWORD_LIMITS.get(kind)
            if limit is not None and len(text) > limit:
                return {"errcode": 47003, "errmsg": f"argument invalid! data.{key}.value exceeds limit"}
        return None

    @app.post("/cgi-bin/message/subscribe/send")
    def subscribe_send():
        appid, error = check_token()
        if error:
            return jsonify(error)
        body = request.get_json(force=True, silent=True) or {}
        error = validate_message(body)
        if error:
            return jsonify(error)
        with state.lock:
            if (body["touser"], None) in state.refused or (body["touser"], body["template_id"]) in state.refused:
                return jsonify({"errcode": 43101, "errmsg": "user refuse to accept the msg"})
            msgid = len(state.messages) + 1
            state.messages.append({"kind": "subscribe", "appid": appid, "touser": body["touser"],
                                   "template_id": body["template_id"], "data": body["data"],
                                   "page": body.get("page"), "msgid": msgid, "at": time.time()})
            sent_events = bool((state.push or {}).get("sent_events"))
        if sent_events:
            threading.Timer(0.05, deliver_subscribe, args=("subscribe_msg_sent_event", body["touser"], [
                {"TemplateId": body["template_id"], "MsgID": str(msgid), "ErrorCode": "0",
                 "ErrorStatus": "success"}])).start()
        return jsonify({"errcode": 0, "errmsg": "ok", "msgid": msgid})

    def deliver_subscribe(event_name: str, openid: str, entries: list[dict[str, Any]]) -> dict[str, Any]:
        """POST one subscribe_msg_* event (XML: inside its wrapper; JSON: "List") to the push URL."""
        with state.lock:
            push = dict(state.push or {})
        if not push.get("url"):
            return {"error": "no push url configured"}
        fmt = push.get("format") or "json"
        wrapper = {"subscribe_msg_popup_event": "SubscribeMsgPopupEvent",
                   "subscribe_msg_change_event": "SubscribeMsgChangeEvent",
                   "subscribe_msg_sent_event": "SubscribeMsgSentEvent"}[event_name]
        event: dict[str, Any] = {"ToUserName": "gh_sim00000000", "FromUserName": openid,
                                 "CreateTime": int(time.time()), "MsgType": "event", "Event": event_name}
        if fmt == "xml":
            event[wrapper] = {"List": entries}
        else:
            event["List"] = entries
        args, payload, ctype = build_mini_push(push.get("token") or "smart315minipushdev", event, fmt=fmt,
                                               aes_key=push.get("aes_key"),
                                               appid=push.get("appid") or next(iter(state.apps), ""))
        try:
            res = requests.post(push["url"], params=args, data=payload, headers={"Content-Type": ctype}, timeout=10)
        except requests.RequestException as exc:
            return {"error": type(exc).__name__}
        with state.lock:
            state.pushes.append({"event": event_name, "openid": openid, "status": res.status_code})
        return {"status": res.status_code, "body": res.text}

    @app.post("/cgi-bin/message/template/send")
    def template_send():
        appid, error = check_token()
        if error:
            return jsonify(error)
        body = request.get_json(force=True, silent=True) or {}
        error = validate_message(body, oa=True)
        if error:
            return jsonify(error)
        with state.lock:
            if body["touser"] in state.unfollowed:
                return jsonify({"errcode": 43004, "errmsg": "require subscribe"})
            msgid = len(state.messages) + 1
            state.messages.append({"kind": "template", "appid": appid, "touser": body["touser"],
                                   "template_id": body["template_id"], "data": body["data"],
                                   "url": body.get("url"), "miniprogram": body.get("miniprogram"),
                                   "msgid": msgid, "at": time.time()})
        return jsonify({"errcode": 0, "errmsg": "ok", "msgid": msgid})

    @app.post("/cgi-bin/qrcode/create")
    def qrcode_create():
        appid, error = check_token()
        if error:
            return jsonify(error)
        body = request.get_json(force=True, silent=True) or {}
        action = body.get("action_name")
        scene = ((body.get("action_info") or {}).get("scene") or {})
        if action not in ("QR_SCENE", "QR_STR_SCENE", "QR_LIMIT_SCENE", "QR_LIMIT_STR_SCENE"):
            return jsonify({"errcode": 40053, "errmsg": "invalid action info"})
        value = scene.get("scene_str") if "STR" in action else scene.get("scene_id")
        if value in (None, "") or (isinstance(value, str) and len(value) > 64):
            return jsonify({"errcode": 40053, "errmsg": "invalid action info"})
        expire = min(int(body.get("expire_seconds") or 60), 2592000)
        ticket = "gQ" + secrets.token_urlsafe(40)
        with state.lock:
            state.tickets[ticket] = {"scene": str(value), "appid": appid, "expires_at": time.time() + expire}
        return jsonify({"ticket": ticket, "expire_seconds": expire,
                        "url": f"http://weixin.qq.com/q/{ticket[2:24]}"})

    @app.get("/cgi-bin/showqrcode")
    def showqrcode():
        import qrcode

        ticket = request.args.get("ticket", "")
        with state.lock:
            known = state.tickets.get(ticket)
        if not known:
            return Response("invalid ticket", status=404)
        img = qrcode.make(f"http://weixin.qq.com/q/{ticket[2:24]}")
        buf = io.BytesIO()
        img.save(buf, format="PNG")
        return Response(buf.getvalue(), content_type="image/png")

    # --- content security (msg_sec_check v2, media_check_async v2) ------------------------------
    def judge(text: str) -> tuple[str, int, str | None]:
        with state.lock:
            risky, review = list(state.risky_words), list(state.review_words)
        for word in risky:
            if word and word in text:
                return "risky", 20006, word
        for word in review:
            if word and word in text:
                return "review", 20006, word
        return "pass", 100, None

    @app.post("/wxa/msg_sec_check")
    def msg_sec_check():
        appid, error = check_token()
        if error:
            return jsonify(error)
        body = request.get_json(force=True, silent=True) or {}
        content = body.get("content")
        if not isinstance(content, str) or not content:
            return jsonify({"errcode": 47001, "errmsg": "data format error"})
        with state.lock:
            state.count("msg_sec_check")
            state.sec_checks.append({"appid": appid, "openid": body.get("openid"), "scene": body.get("scene"),
                                     "version": body.get("version"), "content": content})
        suggest, label, word = judge(content)
        if body.get("version") != 2:  # v1: an error code for risky content, nothing else
            return jsonify({"errcode": 87014, "errmsg": "risky content"} if suggest != "pass"
                           else {"errcode": 0, "errmsg": "ok"})
        openid, scene = body.get("openid"), body.get("scene")
        if not openid or not str(openid).startswith("o"):
            return jsonify({"errcode": 40003, "errmsg": "invalid openid"})
        if scene not in (1, 2, 3, 4):
            return jsonify({"errcode": 40097, "errmsg": "invalid args: scene"})
        with state.lock:
            if openid in state.inactive:
                return jsonify(USER_NOT_ACTIVE)
        detail = [{"strategy": "content_model", "errcode": 0, "suggest": suggest, "label": label, "prob": 90}]
        if word:
            detail.append({"strategy": "keyword", "errcode": 0, "suggest": suggest, "label": label,
                           "level": 20, "keyword": word})
        return jsonify({"errcode": 0, "errmsg": "ok", "result": {"suggest": suggest, "label": label},
                        "detail": detail, "trace_id": secrets.token_hex(12)})

    def deliver_media(trace_id: str) -> dict[str, Any]:
        """POST the wxa_media_check event of one check to the configured push URL."""
        with state.lock:
            check = state.media_checks.get(trace_id)
            push = dict(state.push or {})
        if check is None:
            return {"error": "unknown trace_id"}
        if not push.get("url"):
            return {"error": "no push url configured"}
        event = {"ToUserName": "gh_sim00000000", "FromUserName": check["openid"], "CreateTime": int(time.time()),
                 "MsgType": "event", "Event": "wxa_media_check", "appid": check["appid"], "trace_id": trace_id,
                 "version": 2, "errcode": 0, "errmsg": "ok",
                 "detail": [{"strategy": "content_model", "errcode": 0, "suggest": check["suggest"],
                             "label": check["label"], "prob": 90}],
                 "result": {"suggest": check["suggest"], "label": check["label"]}}
        args, payload, ctype = build_mini_push(push.get("token") or "smart315minipushdev", event,
                                               fmt=push.get("format") or "json", aes_key=push.get("aes_key"),
                                               appid=push.get("appid") or check["appid"])
        try:
            res = requests.post(push["url"], params=args, data=payload, headers={"Content-Type": ctype}, timeout=10)
        except requests.RequestException as exc:
            return {"error": type(exc).__name__}
        with state.lock:
            check["delivered"] = res.status_code
        return {"status": res.status_code, "body": res.text}

    @app.post("/wxa/media_check_async")
    def media_check_async():
        appid, error = check_token()
        if error:
            return jsonify(error)
        body = request.get_json(force=True, silent=True) or {}
        if body.get("version") != 2 or not body.get("openid") or body.get("scene") not in (1, 2, 3, 4):
            return jsonify({"errcode": 40097, "errmsg": "invalid args"})
        if not str(body.get("media_url") or "").startswith(("http://", "https://")) \
                or body.get("media_type") not in (1, 2):
            return jsonify({"errcode": 40097, "errmsg": "invalid args: media_url or media_type"})
        trace_id = f"{secrets.token_hex(4)}-{secrets.token_hex(4)}-{secrets.token_hex(4)}"
        with state.lock:
            if body["openid"] in state.inactive:
                return jsonify(USER_NOT_ACTIVE)
            state.count("media_check_async")
            verdict = dict(state.media_verdict)
            state.media_checks[trace_id] = {"appid": appid, "openid": body["openid"], "media_url": body["media_url"],
                                            "media_type": body["media_type"], "scene": body["scene"],
                                            "suggest": verdict.get("suggest", "pass"),
                                            "label": verdict.get("label", 100), "delivered": None}
            auto = bool((state.push or {}).get("auto"))
        if auto:
            threading.Timer(float((state.push or {}).get("delay", 0.2)), deliver_media, args=(trace_id,)).start()
        return jsonify({"errcode": 0, "errmsg": "ok", "trace_id": trace_id})

    # --- controls for tests and demos ---------------------------------------------------------
    @app.post("/_sim/moderation")
    def sim_moderation():
        """{"risky_words", "review_words", "inactive": [openid], "media_verdict": {"suggest", "label"},
        "push": {"url", "token", "aes_key", "appid", "format": "json"|"xml", "auto": bool, "delay"}}"""
        body = request.get_json(force=True, silent=True) or {}
        with state.lock:
            if "risky_words" in body:
                state.risky_words = [str(w) for w in body["risky_words"] or []]
            if "review_words" in body:
                state.review_words = [str(w) for w in body["review_words"] or []]
            if "inactive" in body:
                state.inactive = set(body["inactive"] or [])
            if "media_verdict" in body:
                state.media_verdict = dict(body["media_verdict"] or {"suggest": "pass", "label": 100})
            if "push" in body:
                state.push = body["push"]
        return jsonify({"ok": True})

    @app.post("/_sim/templates")
    def sim_templates():
        """{"<template id>": ["thing1", "character_string2", ...]}: the keywords of templates (47003 otherwise)."""
        body = request.get_json(force=True, silent=True) or {}
        with state.lock:
            state.template_keywords.update({str(k): [str(w) for w in v] for k, v in body.items()})
        return jsonify({"ok": True})

    @app.post("/_sim/subscribe")
    def sim_subscribe():
        """Play a tap: {"openid", "templates": {"<id>": "accept"|"reject"}, "event": "popup"|"change"}
        -> POSTs subscribe_msg_popup_event (or _change_event) to the push URL; answers the push's answer."""
        body = request.get_json(force=True, silent=True) or {}
        kind = body.get("event") or "popup"
        entries = [{"TemplateId": tid, "SubscribeStatusString": status,
                    **({"PopupScene": "0"} if kind == "popup" else {})}
                   for tid, status in (body.get("templates") or {}).items()]
        out = deliver_subscribe(f"subscribe_msg_{kind}_event", str(body.get("openid") or ""), entries)
        return jsonify(out), (400 if out.get("error") else 200)

    @app.get("/_sim/pushes")
    def sim_pushes():
        with state.lock:
            return jsonify(list(state.pushes))

    @app.get("/_sim/media_checks")
    def sim_media_checks():
        with state.lock:
            return jsonify({k: dict(v) for k, v in state.media_checks.items()})

    @app.get("/_sim/sec_checks")
    def sim_sec_checks():
        with state.lock:
            return jsonify(list(state.sec_checks))

    @app.post("/_sim/media_push")
    def sim_media_push():
        """Deliver one media check's result now: {"trace_id", "suggest"?, "label"?} -> the push's answer."""
        body = request.get_json(force=True, silent=True) or {}
        trace_id = str(body.get("trace_id") or "")
        with state.lock:
            check = state.media_checks.get(trace_id)
            if check is not None and body.get("suggest"):
                check["suggest"] = body["suggest"]
                check["label"] = body.get("label", 20002 if body["suggest"] != "pass" else 100)
        out = deliver_media(trace_id)
        return jsonify(out), (404 if out.get("error") == "unknown trace_id" else 200)


    @app.post("/_sim/fault")
    def sim_fault():
        body = request.get_json(force=True, silent=True) or {}
        mode = body.get("mode")
        if mode not in (None, "busy", "rate_limit", "down", "slow", "garbage", "oddjson", "wrongtypes",
                        "wrongtypes_ok", "badjson"):
            return jsonify({"error": "unknown mode"}), 400
        with state.lock:
            state.fault = None if mode is None else {
                "mode": mode, "count": body.get("count"), "delay": body.get("delay", 3),
                "paths": body.get("paths")}
        return jsonify({"ok": True})

    @app.post("/_sim/codes")
    def sim_codes():
        body = request.get_json(force=True, silent=True) or {}
        code = "sim-" + secrets.token_hex(12)
        with state.lock:
            state.issued_codes[code] = {"name": str(body.get("name") or secrets.token_hex(4)),
                                        "unionid": bool(body.get("unionid", True))}
        return jsonify({"code": code})

    @app.post("/_sim/refuse")
    def sim_refuse():
        body = request.get_json(force=True, silent=True) or {}
        with state.lock:
            state.refused.add((body["openid"], body.get("template_id")))
        return jsonify({"ok": True})

    @app.post("/_sim/unfollow")
    def sim_unfollow():
        body = request.get_json(force=True, silent=True) or {}
        with state.lock:
            state.unfollowed.add(body["openid"])
        return jsonify({"ok": True})

    @app.post("/_sim/expire_tokens")
    def sim_expire_tokens():
        with state.lock:
            state.tokens = {k: (a, 0.0) for k, (a, _) in state.tokens.items()}
        return jsonify({"ok": True})

    @app.get("/_sim/messages")
    def sim_messages():
        with state.lock:
            return jsonify(list(state.messages))

    @app.get("/_sim/stats")
    def sim_stats():
        with state.lock:
            return jsonify(dict(state.counters))

    @app.get("/_sim/tickets/<ticket>")
    def sim_ticket(ticket: str):
        with state.lock:
            info = state.tickets.get(ticket)
        return (jsonify(info), 200) if info else (jsonify({"error": "unknown ticket"}), 404)

    @app.post("/_sim/reset")
    def sim_reset():
        with state.lock:
            state.reset()
        return jsonify({"ok": True})

    @app.post("/_sim/scan")
    def sim_scan():
        """Play a staff member scanning a QR: POST the OA event to the app's callback URL.

        Body: {"ticket", "callback_url", "openid"? or "name"?, "event": "subscribe"|"SCAN",
        "token"?, "aes_key"?, "oa_appid"?}. Answers the callback's status and body.
        """
        body = request.get_json(force=True, silent=True) or {}
        with state.lock:
            info = state.tickets.get(body.get("ticket", ""))
        if not info:
            return jsonify({"error": "unknown ticket"}), 404
        if info["expires_at"] <= time.time():
            return jsonify({"error": "ticket expired"}), 410
        oa_appid = body.get("oa_appid") or info["appid"]
        openid = body.get("openid") or openid_for(oa_appid, body.get("name") or "staff")
        args, payload = build_oa_event(
            token=body.get("token") or "smart315devtoken", openid=openid, event=body.get("event", "subscribe"),
            scene=info["scene"], ticket=body["ticket"], to_user=body.get("to_user", "gh_sim00000000"),
            aes_key=body.get("aes_key"), appid=oa_appid)
        res = requests.post(body["callback_url"], params=args, data=payload,
                            headers={"Content-Type": "text/xml"}, timeout=10)
        return jsonify({"status": res.status_code, "body": res.text, "openid": openid})

    return app


def sign_plain(token: str, timestamp: str, nonce: str) -> str:
    """The OA plaintext signature: sha1 of the sorted token, timestamp and nonce."""
    return hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()


def build_oa_event(token: str, openid: str, event: str = "subscribe", scene: str | None = None,
                   ticket: str | None = None, to_user: str = "gh_sim00000000", aes_key: str | None = None,
                   appid: str | None = None, timestamp: int | None = None,
                   nonce: str | None = None) -> tuple[dict[str, str], bytes]:
    """Build the query args and XML body WeChat POSTs to an OA callback for one event.

    event "subscribe" with a scene puts "qrscene_<scene>" in EventKey (as WeChat does for a scan by a
    new follower); "SCAN" puts "<scene>". With aes_key the body is encrypted (encrypt_type=aes).
    """
    ts = str(timestamp or int(time.time()))
    nonce = nonce or secrets.token_hex(5)
    parts = [f"<ToUserName><![CDATA[{to_user}]]></ToUserName>",
             f"<FromUserName><![CDATA[{openid}]]></FromUserName>",
             f"<CreateTime>{ts}</CreateTime>",
             "<MsgType><![CDATA[event]]></MsgType>",
             f"<Event><![CDATA[{event}]]></Event>"]
    if scene is not None:
        key = f"qrscene_{scene}" if event == "subscribe" else scene
        parts.append(f"<EventKey><![CDATA[{key}]]></EventKey>")
    if ticket:
        parts.append(f"<Ticket><![CDATA[{ticket}]]></Ticket>")
    xml = "<xml>" + "".join(parts) + "</xml>"
    args = {"signature": sign_plain(token, ts, nonce), "timestamp": ts, "nonce": nonce, "openid": openid}
    if aes_key:
        from wechatpy.crypto import WeChatCrypto

        crypto = WeChatCrypto(token, aes_key, appid or "")
        envelope = crypto.encrypt_message(xml, nonce, ts)
        import xmltodict

        parsed = xmltodict.parse(envelope)["xml"]
        body = (f"<xml><ToUserName><![CDATA[{to_user}]]></ToUserName>"
                f"<Encrypt><![CDATA[{parsed['Encrypt']}]]></Encrypt></xml>")
        args.update({"encrypt_type": "aes", "msg_signature": parsed["MsgSignature"]})
        return args, body.encode()
    return args, xml.encode()


def build_oa_echo(token: str, echostr: str = "echo-from-wechat") -> dict[str, str]:
    """Query args of WeChat's GET URL-verification request."""
    ts, nonce = str(int(time.time())), secrets.token_hex(5)
    return {"signature": sign_plain(token, ts, nonce), "timestamp": ts, "nonce": nonce, "echostr": echostr}


def _xml_of(value: Any, tag: str) -> str:
    if isinstance(value, dict):
        return f"<{tag}>" + "".join(_xml_of(v, k) for k, v in value.items()) + f"</{tag}>"
    if isinstance(value, list):
        return "".join(_xml_of(v, tag) for v in value)
    if isinstance(value, (int, float)):
        return f"<{tag}>{value}</{tag}>"
    return f"<{tag}><![CDATA[{value}]]></{tag}>"


def build_mini_push(token: str, event: dict[str, Any], fmt: str = "json", aes_key: str | None = None,
                    appid: str = "", timestamp: int | None = None,
                    nonce: str | None = None) -> tuple[dict[str, str], bytes, str]:
    """Query args, body and content type of one mini-program message push, as WeChat sends it.

    fmt "json" or "xml"; with aes_key the body is safe mode: {"ToUserName", "Encrypt"} (or its XML),
    with encrypt_type=aes and msg_signature in the query (the plain signature is sent too).
    """
    from wechatpy.crypto import PrpCrypto, _get_signature

    ts = str(timestamp or int(time.time()))
    nonce = nonce or secrets.token_hex(6)
    if fmt == "xml":
        plain, ctype = "<xml>" + "".join(_xml_of(v, k) for k, v in event.items()) + "</xml>", "text/xml"
    else:
        import json

        plain, ctype = json.dumps(event, ensure_ascii=False), "application/json"
    args = {"signature": sign_plain(token, ts, nonce), "timestamp": ts, "nonce": nonce,
            "openid": str(event.get("FromUserName") or "")}
    if not aes_key:
        return args, plain.encode("utf-8"), ctype
    import base64

    key = base64.b64decode(aes_key + "=")
    encrypt = PrpCrypto(key).encrypt(plain, appid)
    encrypt = encrypt.decode() if isinstance(encrypt, bytes) else encrypt
    args.update({"encrypt_type": "aes", "msg_signature": _get_signature(token, ts, nonce, encrypt)})
    to_user = str(event.get("ToUserName") or "")
    if fmt == "xml":
        body = (f"<xml><ToUserName><![CDATA[{to_user}]]></ToUserName>"
                f"<Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>")
    else:
        import json

        body = json.dumps({"ToUserName": to_user, "Encrypt": encrypt})
    return args, body.encode("utf-8"), ctype


def build_mini_echo(token: str, echostr: str = "echo-from-wechat", timestamp: int | None = None) -> dict[str, str]:
    """Query args of WeChat's GET check of the mini-program's message-push URL."""
    ts, nonce = str(timestamp or int(time.time())), secrets.token_hex(5)
    return {"signature": sign_plain(token, ts, nonce), "timestamp": ts, "nonce": nonce, "echostr": echostr}
