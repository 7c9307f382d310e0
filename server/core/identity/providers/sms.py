"""SMS one-time codes behind one small interface: `console` (development) and `aliyun` (Aliyun SMS).

AliyunSms calls the dysmsapi SendSms action over the POP RPC API with signature method HMAC-SHA1
(signature version 1.0) as Aliyun documents it, POSTing the form so the code is not in any URL.
"""
from __future__ import annotations

import base64
import collections
import datetime as dt
import hashlib
import hmac
import json
import logging
import urllib.parse
import uuid
from typing import Any, Protocol

import requests

from server.core.errors import RateLimited, UpstreamUnavailable, ValidationFailed
from server.core.identity.providers import register

logger = logging.getLogger(__name__)



class SmsProvider(Protocol):
    def send_code(self, phone: str, code: str) -> None:
        """Send a one-time login code to a mainland mobile number; raise a DomainError on failure."""

    def send_notice(self, phone: str, text: str, params: dict[str, str]) -> None:
        """Send a notice (the SMS fallback of notifications): `text` as read, `params` the variables of
        the notice template (SMS_NOTIFY_TEMPLATE_CODE); raise a DomainError on failure."""


def mask_phone(phone: str) -> str:
    """138****5678: enough to recognise one's own number, not enough to collect numbers from logs."""
    digits = phone or ""
    if len(digits) >= 7:
        return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
    return "*" * len(digits)


class ConsoleSms:
    """DEVELOPMENT ONLY: writes the code to the log instead of sending it (that is its whole purpose)."""

    # The last codes "sent", for local demos and tests in this process.
    outbox: collections.deque = collections.deque(maxlen=200)

    def __init__(self, settings: dict[str, Any] | None = None):
        self.settings = settings or {}

    def send_code(self, phone: str, code: str) -> None:
        logger.info("[DEVELOPMENT SMS - console provider, never use in production] code for %s: %s",
                    mask_phone(phone), code)
        ConsoleSms.outbox.append({"phone": phone, "code": code})

    def send_notice(self, phone: str, text: str, params: dict[str, str]) -> None:
        logger.info("[DEVELOPMENT SMS - console provider] notice to %s: %s", mask_phone(phone), text)
        ConsoleSms.outbox.append({"phone": phone, "code": None, "text": text, "params": dict(params)})

    @classmethod
    def last_code(cls, phone: str) -> str | None:
        for item in reversed(cls.outbox):
            if item["phone"] == phone:
                return item["code"]
        return None


def percent_encode(value: str) -> str:
    """RFC 3986 encoding as Aliyun's signature wants: space -> %20, * -> %2A, ~ kept."""
    return urllib.parse.quote(str(value), safe="~")


def sign_rpc(params: dict[str, str], secret: str, method: str = "POST") -> str:
    """Aliyun POP RPC signature v1.0 (HMAC-SHA1) of all parameters except Signature."""
    canonical = "&".join(f"{percent_encode(k)}={percent_encode(v)}"
                         for k, v in sorted(params.items()) if k != "Signature")
    string_to_sign = f"{method}&{percent_encode('/')}&{percent_encode(canonical)}"
    digest = hmac.new((secret + "&").encode(), string_to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class AliyunSms:
    """Aliyun SMS (dysmsapi 2017-05-25 SendSms) with a template whose variable is ${code}."""

    def __init__(self, settings: dict[str, Any]):
        self.endpoint = settings["SMS_ENDPOINT"].rstrip("/") + "/"
        self.key_id = settings.get("SMS_ACCESS_KEY_ID")
        self.key_secret = settings.get("SMS_ACCESS_KEY_SECRET")
        self.sign_name = settings.get("SMS_SIGN_NAME") or ""
        self.template_code = settings.get("SMS_TEMPLATE_CODE") or ""
        self.notice_template_code = settings.get("SMS_NOTIFY_TEMPLATE_CODE") or ""
        self.region = settings["SMS_REGION_ID"]
        self.timeout = float(settings["SMS_TIMEOUT_SECONDS"])
        if not (self.key_id and self.key_secret):
            raise UpstreamUnavailable("短信服务未配置", status=503)
        self._http = requests.Session()

    def build_params(self, phone: str, code: str, template_code: str | None = None,
                     template_params: dict[str, str] | None = None) -> dict[str, str]:
        params = {
            "AccessKeyId": self.key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "PhoneNumbers": phone,
            "RegionId": self.region,
            "SignName": self.sign_name,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "TemplateCode": template_code or self.template_code,
            "TemplateParam": json.dumps(template_params if template_params is not None else {"code": code},
                                        ensure_ascii=False, separators=(",", ":")),
            "Timestamp": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25",
        }
        params["Signature"] = sign_rpc(params, self.key_secret, "POST")
        return params

    def send_notice(self, phone: str, text: str, params: dict[str, str]) -> None:
        """The notice template with its variables (Aliyun sends the template's own text)."""
        self._send(phone, self.build_params(phone, "", self.notice_template_code, dict(params)))

    def send_code(self, phone: str, code: str) -> None:
        self._send(phone, self.build_params(phone, code))

    def _send(self, phone: str, params: dict[str, str]) -> None:
        try:
            res = self._http.post(self.endpoint, data=params, timeout=self.timeout)
        except requests.RequestException:
            logger.warning("Aliyun SMS unreachable sending to %s", mask_phone(phone))
            raise UpstreamUnavailable("短信服务暂时不可用，请稍后再试", status=503) from None
        try:
            body = res.json()
        except ValueError:
            body = {}
        result = str(body.get("Code") or "")
        if res.status_code == 200 and result == "OK":
            logger.info("SMS sent to %s (BizId %s)", mask_phone(phone), body.get("BizId"))
            return
        logger.warning("Aliyun SMS refused sending to %s: HTTP %s Code=%s", mask_phone(phone), res.status_code,
                       result or "-")
        if result in ("isv.BUSINESS_LIMIT_CONTROL", "isv.DAY_LIMIT_CONTROL"):
            raise RateLimited("短信发送过于频繁，请稍后再试",
                              retry_after=3600 if "DAY" in body.get("Message", "") else 60)
        if result == "isv.MOBILE_NUMBER_ILLEGAL":
            raise ValidationFailed([{"field": "phone", "message": "手机号格式不正确"}])
        if res.status_code >= 500 or result.startswith("isp.") or not result:
            raise UpstreamUnavailable("短信服务暂时不可用，请稍后再试", status=503, upstream_code=result or None)
        raise UpstreamUnavailable("短信服务返回异常", status=502, upstream_code=result)


_PROVIDERS = {"console": ConsoleSms, "aliyun": AliyunSms}
# Every setting a provider is built from (server.core.clients keys its cache on their values).
SETTINGS = ("SMS_PROVIDER", "SMS_ENDPOINT", "SMS_ACCESS_KEY_ID", "SMS_ACCESS_KEY_SECRET", "SMS_SIGN_NAME",
            "SMS_TEMPLATE_CODE", "SMS_NOTIFY_TEMPLATE_CODE", "SMS_REGION_ID", "SMS_TIMEOUT_SECONDS")


def get_sms_provider(settings: dict[str, Any]) -> SmsProvider:
    """The provider named by settings["SMS_PROVIDER"] ("console" or "aliyun")."""
    name = settings["SMS_PROVIDER"].lower()
    try:
        return _PROVIDERS[name](settings)
    except KeyError:
        raise ValueError(f"unknown SMS_PROVIDER {name!r}; choose one of {sorted(_PROVIDERS)}") from None


# ------------------------------------------------------------------ the login provider "sms"

class SmsLogin:
    """POST /auth/sms/send then /auth/sms/login: a 6-digit code sent to the phone, then the account
    with that phone (a new consumer for a new number). Never links to a signed-in caller."""

    def send_code(self, settings: Any, phone: str, code: str) -> None:
        from server.core import clients

        clients.sms(settings).send_code(phone, code)

    def verify(self, settings: Any, credentials: Any, *, session: Any = None, redis: Any = None) -> str:
        """Use the code up (a wrong one is counted in `session`, which the caller commits); the phone."""
        from server.core.identity.sms_codes import do_consume_code

        do_consume_code(session, settings, credentials["phone"], credentials["code"])
        return credentials["phone"]

    def sign_in(self, session: Any, settings: Any, verified: Any, *, current: Any = None) -> Any:
        from server.core.identity.signin import do_sign_in_phone

        return do_sign_in_phone(session, settings, verified)


register("sms")(SmsLogin())
