"""WeChat mini-program login/phone/subscribe messages and official-account (OA) QR binding and alerts.

Built on wechatpy's WeChatClient, pointed at settings["WECHAT_API_BASE_URL"] (the real API or the
local simulator). Access tokens come from ``POST cgi-bin/stable_token`` and live in wechatpy's
RedisStorage when a Redis client is given (key ``smart315:wechat:<appid>_access_token``, expiring
TOKEN_SAFETY_MARGIN_SECONDS before WeChat's expires_in), so every process shares one token; otherwise,
given the process's shared-values engine (server.core.clients hands it in), in the database
(server/core/shared_values.py), shared just the same; else in MemoryStorage.
"""
from __future__ import annotations

import logging
import time
import urllib.parse
from collections.abc import Callable
from typing import Any

import requests
from wechatpy import WeChatClient, parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException, WeChatClientException
from wechatpy.replies import TextReply
from wechatpy.session.memorystorage import MemoryStorage
from wechatpy.session.redisstorage import RedisStorage

from server.core.errors import (
    BadRequest,
    Forbidden,
    InvalidCode,
    PermanentDeliveryError,
    TransientDeliveryError,
    UpstreamUnavailable,
)
from server.core.identity.providers import install_log_redaction, register

logger = logging.getLogger(__name__)

DEFAULT_API_BASE_URL = "https://api.weixin.qq.com"
REDIS_PREFIX = "smart315:wechat"
# Cache a token a little shorter than WeChat says, so no process uses it in its last minutes.
TOKEN_SAFETY_MARGIN_SECONDS = 300

# Error codes (https://developers.weixin.qq.com/doc/oplatform/Return_codes/Return_code_descriptions_new.html)
SYSTEM_BUSY = -1
INVALID_CREDENTIAL = 40001
INVALID_ACCESS_TOKEN = 40014
EXPIRED_ACCESS_TOKEN = 42001
INVALID_CODE = 40029
CODE_BEEN_USED = 40163
HIGH_RISK_USER = 40226
API_MINUTE_QUOTA = 45011
API_DAILY_QUOTA = 45009
TOKEN_ERRORS = frozenset({INVALID_CREDENTIAL, INVALID_ACCESS_TOKEN, EXPIRED_ACCESS_TOKEN})
TRANSIENT_ERRORS = frozenset({SYSTEM_BUSY, API_MINUTE_QUOTA, API_DAILY_QUOTA, 45047})
# Sending to this user with this template will never work as asked: do not retry.
PERMANENT_SEND_ERRORS = frozenset({
    40003,   # invalid openid
    40037,   # invalid template_id
    41028,   # invalid form_id
    43004,   # require subscribe (user unfollowed the OA)
    43101,   # user refuse to accept the msg (no subscribe grant)
    43107,   # subscribe message content not allowed
    47003,   # argument invalid (data does not match the template)
    40036,   # invalid template_id size
})


class _Failure(Exception):
    """A neutral description of a failed call; the public methods map it to domain errors."""

    def __init__(self, kind: str, errcode: int | None = None, errmsg: str = ""):
        super().__init__(f"{kind}:{errcode}")
        self.kind = kind  # "wechat" | "http" | "timeout" | "unreachable" | "bad_response"
        self.errcode = errcode
        self.errmsg = errmsg


class _Client(WeChatClient):
    """wechatpy client whose every URL (token included) goes to the configured base, with timeouts."""

    def __init__(self, appid: str, secret: str, base_url: str, session: Any, timeout: float):
        super().__init__(appid, secret, session=session, timeout=timeout, auto_retry=False)
        self.base_url = base_url
        # Instance attributes shadow the class constants wechatpy hard-codes.
        self.API_BASE_URL = base_url + "/cgi-bin/"
        self.wxa.API_BASE_URL = base_url + "/"

    # After WeChat refused the cached token, the next fetch asks stable_token for a new one
    # (force_refresh); otherwise it answers the token still valid, shared with every other process.
    force_refresh = False

    def fetch_access_token(self) -> dict:
        """POST cgi-bin/stable_token: the same token for every caller while it is valid (normal mode), so
        processes that each fetch one do not retire each other's; kept in the session storage (Redis: one
        key for all processes) a little shorter than its expires_in."""
        force, self.force_refresh = self.force_refresh, False
        return self._fetch_access_token(
            url=self.base_url + "/cgi-bin/stable_token",
            body={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret,
                  "force_refresh": force},
        )

    def _fetch_access_token(self, url: str, body: dict) -> dict:  # type: ignore[override]
        # Like wechatpy's, but POSTing JSON to stable_token, with a timeout and a shorter cache lifetime.
        logger.info("fetching WeChat access token (stable_token) for appid %s", self.appid)
        res = self._http.post(url=url, json=body, timeout=self.timeout)
        try:
            res.raise_for_status()
        except requests.RequestException as exc:
            raise WeChatClientException(None, None, client=self, request=exc.request, response=exc.response) from None
        try:
            result = res.json()
        except ValueError:
            raise _Failure("bad_response") from None
        if result.get("errcode"):
            raise WeChatClientException(int(result["errcode"]), result.get("errmsg", ""), client=self,
                                        request=res.request, response=res)
        expires_in = int(result.get("expires_in", 7200))
        ttl = max(60, expires_in - TOKEN_SAFETY_MARGIN_SECONDS)
        self.session.set(self.access_token_key, result["access_token"], ttl)
        self.expires_at = int(time.time()) + ttl
        return result

    def forget_access_token(self) -> None:
        """Drop the cached token (in Redis: for every process) so the next call fetches a new one, with
        force_refresh: WeChat refused the one stable_token would answer again."""
        self.session.delete(self.access_token_key)
        self.expires_at = None
        self.force_refresh = True


class _WeChatBase:
    def __init__(self, appid: str, secret: str, settings: dict[str, Any], redis: Any = None,
                 state_engine: Any = None):
        install_log_redaction()
        base = settings["WECHAT_API_BASE_URL"].rstrip("/")
        self.base_url = base
        self.appid = appid
        self.timeout = float(settings["WECHAT_TIMEOUT_SECONDS"])
        if redis is not None:
            storage = RedisStorage(redis, prefix=REDIS_PREFIX)
        elif state_engine is not None:
            from server.core.shared_values import DatabaseStorage

            storage = DatabaseStorage(state_engine, prefix=REDIS_PREFIX)
        else:
            storage = MemoryStorage()
        self.client = _Client(appid, secret, base, storage, self.timeout)

    def _invoke(self, call: Callable[[], Any], uses_token: bool = True) -> dict:
        """Run one wechatpy call; on an invalid/expired token refresh it once and retry."""
        key = self.client.access_token_key
        try:
            try:
                used = self.client.session.get(key) if uses_token else None
                result = call()
            except WeChatClientException as exc:
                if uses_token and exc.errcode in TOKEN_ERRORS:
                    logger.info("WeChat access token rejected (errcode %s); refreshing once", exc.errcode)
                    # If another process already replaced the shared token, use theirs rather than
                    # fetching yet another one (each fetch starts the old token's retirement).
                    if used is None or self.client.session.get(key) == used:
                        self.client.forget_access_token()
                    else:
                        self.client.expires_at = None
                    result = call()
                else:
                    raise
        except _Failure:
            raise
        except WeChatClientException as exc:
            if exc.errcode is None:
                status = getattr(exc.response, "status_code", None)
                raise _Failure("http", None, f"HTTP {status}") from None
            raise _Failure("wechat", int(exc.errcode), str(exc.errmsg or "")) from None
        except requests.Timeout:
            raise _Failure("timeout") from None
        except requests.RequestException:
            raise _Failure("unreachable") from None
        except (ValueError, TypeError, AttributeError, KeyError):
            # wechatpy read an answer of the wrong shape: a JSON array, an errcode like "abc", ...
            raise _Failure("bad_response") from None
        if not isinstance(result, dict):
            raise _Failure("bad_response")
        return result

    @staticmethod
    def _auth_error(failure: _Failure, what: str) -> Exception:
        """Map a failure of a login-time call to the domain error the user sees."""
        if failure.kind == "wechat" and failure.errcode in (INVALID_CODE, CODE_BEEN_USED, HIGH_RISK_USER):
            return InvalidCode(f"微信{what}无效或已使用，请重试", upstream_code=failure.errcode)
        if failure.kind in ("timeout", "unreachable", "http") or (
                failure.kind == "wechat" and failure.errcode in TRANSIENT_ERRORS):
            return UpstreamUnavailable("微信服务繁忙，请稍后再试", status=503, upstream_code=failure.errcode)
        # Misconfiguration (bad appid/secret), token trouble after a retry, unparseable answers.
        logger.warning("WeChat %s failed: kind=%s errcode=%s", what, failure.kind, failure.errcode)
        return UpstreamUnavailable("微信服务返回异常", status=502, upstream_code=failure.errcode)

    @staticmethod
    def _delivery_error(failure: _Failure) -> Exception:
        code = failure.errcode
        if failure.kind == "wechat" and code in PERMANENT_SEND_ERRORS:
            return PermanentDeliveryError(f"wechat errcode {code}: {failure.errmsg}", code=code)
        if failure.kind == "wechat" and code is not None and 40000 <= code < 50000 \
                and code not in TRANSIENT_ERRORS and code not in TOKEN_ERRORS:
            # Any other request error (4xxxx) fails the same way when retried.
            return PermanentDeliveryError(f"wechat errcode {code}: {failure.errmsg}", code=code)
        return TransientDeliveryError(f"wechat {failure.kind} {code if code is not None else ''}".strip(),
                                      code=code)


def _short_str(value: Any, limit: int = 128) -> bool:
    return isinstance(value, str) and 0 < len(value) <= limit


class WeChatMini(_WeChatBase):
    """The mini-program: login (code2Session), phone number, subscribe messages."""

    # Every setting the client is built from (server.core.clients keys its cache on their values).
    SETTINGS = ("WECHAT_MINI_APPID", "WECHAT_MINI_SECRET", "WECHAT_API_BASE_URL", "WECHAT_TIMEOUT_SECONDS")

    def __init__(self, settings: dict[str, Any], redis: Any = None, state_engine: Any = None):
        super().__init__(settings["WECHAT_MINI_APPID"], settings["WECHAT_MINI_SECRET"], settings, redis,
                         state_engine)

    def code_to_session(self, js_code: str) -> dict[str, Any]:
        """Exchange a wx.login() code: {openid, unionid|None, session_key}. The session_key stays server-side."""
        if not js_code or not isinstance(js_code, str):
            raise InvalidCode("缺少微信登录凭证")
        # The same request as wechatpy's WeChatWxa.code_to_session, minus the access_token that
        # wechatpy would fetch and append: jscode2session authenticates with appid+secret only.
        params = {"appid": self.appid, "secret": self.client.secret, "js_code": js_code,
                  "grant_type": "authorization_code", "access_token": None}
        try:
            result = self._invoke(lambda: self.client.wxa._get("sns/jscode2session", params=dict(params)),
                                  uses_token=False)
        except _Failure as failure:
            raise self._auth_error(failure, "登录凭证") from None
        if not _short_str(result.get("openid")) or not _short_str(result.get("session_key"), 256) \
                or not (result.get("unionid") is None or _short_str(result.get("unionid"))):
            raise UpstreamUnavailable("微信服务返回异常", status=502)
        return {"openid": result["openid"], "unionid": result.get("unionid") or None,
                "session_key": result["session_key"]}

    def get_phone_number(self, phone_code: str) -> str:
        """Exchange a getPhoneNumber code for the verified phone (purePhoneNumber, no country code)."""
        if not phone_code or not isinstance(phone_code, str):
            raise InvalidCode("缺少手机号授权凭证")
        try:
            result = self._invoke(lambda: self.client.post(
                "wxa/business/getuserphonenumber", api_base_url=self.base_url + "/",
                data={"code": phone_code}))
        except _Failure as failure:
            raise self._auth_error(failure, "手机号授权凭证") from None
        info = result.get("phone_info") or {}
        phone = (info.get("purePhoneNumber") or info.get("phoneNumber")) if isinstance(info, dict) else None
        if not phone or not isinstance(phone, str | int):
            raise UpstreamUnavailable("微信服务返回异常", status=502)
        return str(phone)

    def send_subscribe_message(self, openid: str, template_id: str, data: dict, page: str | None = None) -> str | None:
        """Send a one-time subscribe message; the msgid WeChat answered. Raises Permanent/TransientDeliveryError."""
        wx_data = _as_template_data(data)
        try:
            result = self._invoke(lambda: self.client.wxa.send_subscribe_message(openid, template_id, wx_data,
                                                                                 page=page))
        except _Failure as failure:
            raise self._delivery_error(failure) from None
        msgid = result.get("msgid")
        return str(msgid) if msgid not in (None, "") else None

    def get_access_token(self) -> str:
        """The current access token (cached in Redis or memory); for diagnostics and tests."""
        try:
            return self._invoke(lambda: {"t": self.client.access_token}, uses_token=False)["t"]
        except _Failure as failure:
            raise self._auth_error(failure, "access_token") from None


class WeChatOA(_WeChatBase):
    """The official account: parametric QR tickets, the event callback, template messages to staff."""

    SETTINGS = ("WECHAT_OA_APPID", "WECHAT_OA_SECRET", "WECHAT_API_BASE_URL", "WECHAT_TIMEOUT_SECONDS",
                "WECHAT_OA_TOKEN", "WECHAT_OA_AES_KEY", "WECHAT_CALLBACK_WINDOW_SECONDS")

    def __init__(self, settings: dict[str, Any], redis: Any = None, state_engine: Any = None):
        super().__init__(settings["WECHAT_OA_APPID"], settings["WECHAT_OA_SECRET"], settings, redis,
                         state_engine)
        self.token = settings.get("WECHAT_OA_TOKEN") or ""
        self.callback_window = int(settings["WECHAT_CALLBACK_WINDOW_SECONDS"])
        aes_key = settings.get("WECHAT_OA_AES_KEY")
        self.crypto = WeChatCrypto(self.token, aes_key, self.appid) if aes_key else None

    # --- QR binding -------------------------------------------------------------------------
    def create_qr_ticket(self, scene_str: str, expire_seconds: int = 600) -> dict[str, Any]:
        """A temporary QR (QR_STR_SCENE) whose scan event carries scene_str: {ticket, url, expire_seconds}."""
        body = {"expire_seconds": int(expire_seconds), "action_name": "QR_STR_SCENE",
                "action_info": {"scene": {"scene_str": str(scene_str)}}}
        try:
            result = self._invoke(lambda: self.client.qrcode.create(body))
        except _Failure as failure:
            raise self._auth_error(failure, "二维码") from None
        if not result.get("ticket"):
            raise UpstreamUnavailable("微信服务返回异常", status=502)
        return {"ticket": result["ticket"], "url": result.get("url"),
                "expire_seconds": int(result.get("expire_seconds", expire_seconds))}

    def qr_image_url(self, ticket: str) -> str:
        """Where the QR image for a ticket is shown (mp.weixin.qq.com for the real API)."""
        quoted = urllib.parse.quote(ticket, safe="")
        if self.base_url == DEFAULT_API_BASE_URL:
            return f"https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket={quoted}"
        return f"{self.base_url}/cgi-bin/showqrcode?ticket={quoted}"

    # --- template messages ------------------------------------------------------------------
    def send_template_message(self, openid: str, template_id: str, data: dict,
                              miniprogram: dict | None = None, url: str | None = None) -> None:
        """Send an OA template message; raises Permanent/TransientDeliveryError."""
        wx_data = _as_template_data(data)
        try:
            self._invoke(lambda: self.client.message.send_template(
                openid, template_id, wx_data, url=url, mini_program=miniprogram))
        except _Failure as failure:
            raise self._delivery_error(failure) from None

    # --- callback ---------------------------------------------------------------------------
    def check_signature(self, signature: str | None, timestamp: str | None, nonce: str | None) -> bool:
        """The plaintext-mode signature, sha1(sorted(token, timestamp, nonce)), within the time window."""
        try:
            self.verify_signature(signature, timestamp, nonce)
        except Forbidden:
            return False
        return True

    def verify_signature(self, signature: str | None, timestamp: str | None, nonce: str | None,
                         session: Any = None) -> None:
        """Forbidden unless signed, within WECHAT_CALLBACK_WINDOW_SECONDS and (with a session) a new nonce."""
        from server.core.callback_signatures import check_wechat_signature

        check_wechat_signature(self.token, signature, timestamp, nonce, session=session,
                               window_seconds=self.callback_window, scope=f"oa:{self.appid}")

    def verify_echo(self, args: dict[str, str], session: Any = None) -> str:
        """The GET URL-verification handshake: the echostr to answer, or Forbidden."""
        self.verify_signature(args.get("signature"), args.get("timestamp"), args.get("nonce"), session)
        return args.get("echostr") or ""

    def parse_callback(self, body: bytes | str, args: dict[str, str], session: Any = None) -> dict[str, Any]:
        """Verify and decode one POSTed event (plaintext or encrypt_type=aes).

        Returns {event, openid, scene, ticket, to, msg_type, create_time, encrypted, nonce, timestamp};
        event is lower case ("subscribe", "scan", "unsubscribe", ...); scene has no "qrscene_" prefix.
        """
        timestamp, nonce = args.get("timestamp"), args.get("nonce")
        # Both modes send the plain signature too; check it always (window and, with a session, replay).
        self.verify_signature(args.get("signature"), timestamp, nonce, session)
        encrypted = (args.get("encrypt_type") or "raw").lower() == "aes"
        if encrypted:
            if self.crypto is None:
                raise BadRequest("未配置消息加解密密钥")
            try:
                xml = self.crypto.decrypt_message(body, args.get("msg_signature") or "", timestamp, nonce)
            except InvalidSignatureException:
                raise Forbidden("微信回调签名校验失败") from None
            except Exception:  # noqa: BLE001 - bad padding / appid / XML: all mean "not from WeChat"
                raise BadRequest("无法解密微信回调消息") from None
        else:
            xml = body
        try:
            message = parse_message(xml)
        except Exception:  # noqa: BLE001 - malformed XML
            raise BadRequest("无法解析微信回调消息") from None
        if message is None:
            raise BadRequest("空的微信回调消息")
        msg_type = getattr(message, "type", "unknown")
        event = getattr(message, "event", None) if msg_type == "event" else None
        scene = None
        if event == "subscribe_scan":
            event = "subscribe"
        if event in ("subscribe", "scan"):
            scene = getattr(message, "scene_id", None) or getattr(message, "key", None) or None
            if scene and scene.startswith("qrscene_"):
                scene = scene[len("qrscene_"):]
        return {
            "event": event,
            "msg_type": msg_type,
            "openid": message.source,
            "to": message.target,
            "scene": scene or None,
            "ticket": getattr(message, "ticket", None),
            "create_time": _epoch(getattr(message, "time", None)),
            "encrypted": encrypted,
            "nonce": nonce,
            "timestamp": timestamp,
        }

    def reply_text(self, parsed: dict[str, Any], content: str) -> str:
        """A passive text reply to the sender of `parsed`, encrypted if the event was."""
        reply = TextReply(source=parsed["to"], target=parsed["openid"], content=content)
        xml = reply.render()
        if parsed.get("encrypted") and self.crypto is not None:
            return self.crypto.encrypt_message(xml, parsed.get("nonce") or str(int(time.time())),
                                               parsed.get("timestamp"))
        return xml

    @staticmethod
    def success_reply() -> str:
        """The empty answer WeChat expects when there is nothing to say back."""
        return "success"


def _epoch(value: Any) -> int | None:
    if value is None:
        return None
    return int(value.timestamp()) if hasattr(value, "timestamp") else int(value)


def _as_template_data(data: dict) -> dict:
    """Accept {"k": "v"} or {"k": {"value": "v"}}; WeChat wants the latter."""
    out = {}
    for key, value in (data or {}).items():
        out[key] = value if isinstance(value, dict) else {"value": "" if value is None else str(value)}
    return out


# ------------------------------------------------------------------ the login provider "wechat"

class WeChatLogin:
    """POST /auth/wechat: wx.login()'s code -> jscode2session -> the account holding the openid
    (a signed-in caller links it to their own account)."""

    def verify(self, settings: Any, credentials: Any, *, session: Any = None, redis: Any = None) -> dict[str, Any]:
        from server.core import clients

        return clients.wechat_mini(settings, redis).code_to_session(credentials["code"])

    def sign_in(self, session: Any, settings: Any, verified: Any, *, current: Any = None) -> Any:
        from server.core.identity.signin import do_sign_in_wechat

        return do_sign_in_wechat(session, settings, verified, current=current)


register("wechat")(WeChatLogin())
