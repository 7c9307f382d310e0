"""Alipay mini-app login (alipay.system.oauth.token) and mini-app messages through python-alipay-sdk.

Requests are signed RSA2 with the app private key (ALIPAY_APP_PRIVATE_KEY_FILE) by the SDK; every
answer's signature is checked with the Alipay public key (ALIPAY_PUBLIC_KEY_FILE) by the SDK's
`_verify_and_return_sync_response` (error envelopes too, here). The gateway is ALIPAY_GATEWAY_URL,
the real one or the local simulator.
"""
from __future__ import annotations

import json
import logging
import os
import re
import urllib.error
from pathlib import Path
from typing import Any

from alipay import AliPay
from alipay.compat import urlopen
from alipay.exceptions import AliPayException, AliPayValidationError
from alipay.utils import AliPayConfig

from server.core.errors import (
    InvalidCode,
    PermanentDeliveryError,
    TransientDeliveryError,
    UpstreamUnavailable,
)
from server.core.identity.providers import register

logger = logging.getLogger(__name__)

SUCCESS = "10000"
# Login codes that are wrong, expired or already used.
INVALID_CODE_SUB_CODES = frozenset({"isv.code-invalid", "isv.code-expired", "isv.invalid-auth-code",
                                    "isv.auth-code-expired", "isv.invalid-code"})
# Sending will fail the same way if retried.
PERMANENT_SEND_CODES = frozenset({"40002", "40004", "40006", "20001"})
USER_ID_RE = re.compile(r"^2088\d{12}$")


class _Failure(Exception):
    def __init__(self, kind: str, code: str | None = None, sub_code: str | None = None):
        super().__init__(f"{kind}:{code}:{sub_code}")
        self.kind = kind  # "alipay" | "unreachable" | "http" | "bad_signature" | "bad_response"
        self.code = code
        self.sub_code = sub_code


class _Gateway(AliPay):
    """The SDK client with a configurable gateway and an error-aware call path."""

    def __init__(self, gateway: str, timeout: float, **kwargs: Any):
        super().__init__(config=AliPayConfig(timeout=timeout), **kwargs)
        self._gateway = gateway

    def call(self, method: str, biz_content: dict | None = None, **params: Any) -> dict:
        """Sign and send one request; return the verified response object, else raise _Failure."""
        data = self.build_body(method, biz_content, **params)
        if not biz_content:
            data.pop("biz_content", None)  # e.g. oauth.token takes only top-level parameters
        url = self._gateway + "?" + self.sign_data(data)
        response_type = method.replace(".", "_") + "_response"
        try:
            raw = urlopen(url, timeout=self._config.timeout).read().decode("utf-8")
        except urllib.error.HTTPError as exc:
            raise _Failure("http", str(exc.code)) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError, OSError):
            raise _Failure("unreachable") from None
        try:
            doc = json.loads(raw)
        except ValueError:
            raise _Failure("bad_response") from None
        if not isinstance(doc, dict):
            raise _Failure("bad_response")
        if "error_response" in doc:
            # The SDK does not check error envelopes; Alipay signs them too, so do check when signed.
            sign = doc.get("sign")
            if sign is not None:
                if not isinstance(sign, str):
                    raise _Failure("bad_signature")
                try:
                    verified = self._verify(self._get_string_to_be_signed(raw, "error_response"), sign)
                except Exception:  # noqa: BLE001 - not base64 (binascii.Error), wrong length, ...: unverifiable
                    verified = False
                if not verified:
                    raise _Failure("bad_signature")
            err = doc["error_response"]
            if not isinstance(err, dict):
                raise _Failure("bad_response")
            sub_code = err.get("sub_code")
            raise _Failure("alipay", str(err.get("code")), sub_code if isinstance(sub_code, str) else None)
        try:
            content = self._verify_and_return_sync_response(raw, response_type)
        except AliPayValidationError:
            raise _Failure("bad_signature") from None
        except AliPayException:
            # An unsigned answer: nothing in it can be trusted.
            raise _Failure("bad_response") from None
        except Exception:  # noqa: BLE001 - any bytes: a signature that is not base64, odd JSON shapes
            raise _Failure("bad_signature") from None
        if not isinstance(content, dict):
            raise _Failure("bad_response")
        code = content.get("code")
        if code is not None and str(code) != SUCCESS:
            raise _Failure("alipay", str(code), content.get("sub_code"))
        return content


def _read_key(path: str | None, private: bool) -> str:
    if not path:
        raise UpstreamUnavailable("支付宝服务未配置", status=503)
    try:
        text = Path(path).read_text().strip()
    except OSError:
        raise UpstreamUnavailable("支付宝服务未配置", status=503) from None
    if "-----BEGIN" not in text:
        # Alipay's key tool exports bare base64 (PKCS#8 private, X.509 public): add the PEM armour.
        body = "\n".join(text[i:i + 64] for i in range(0, len(text), 64))
        kind = "PRIVATE KEY" if private else "PUBLIC KEY"
        text = f"-----BEGIN {kind}-----\n{body}\n-----END {kind}-----"
    return text


class AlipayMini:
    """The Alipay mini-app: login by auth_code and subscribe (template) messages."""

    # Every setting the client is built from (server.core.clients keys its cache on their values and
    # on the key files' versions, so the files are read once per client, not once per login).
    KEY_FILE_SETTINGS = ("ALIPAY_APP_PRIVATE_KEY_FILE", "ALIPAY_PUBLIC_KEY_FILE")
    SETTINGS = ("ALIPAY_APPID", "ALIPAY_GATEWAY_URL", "ALIPAY_TIMEOUT_SECONDS", *KEY_FILE_SETTINGS)

    def __init__(self, settings: dict[str, Any]):
        self.appid = str(settings["ALIPAY_APPID"])
        self.client = _Gateway(
            settings["ALIPAY_GATEWAY_URL"],
            float(settings["ALIPAY_TIMEOUT_SECONDS"]),
            appid=self.appid,
            app_private_key_string=_read_key(settings.get("ALIPAY_APP_PRIVATE_KEY_FILE"), private=True),
            alipay_public_key_string=_read_key(settings.get("ALIPAY_PUBLIC_KEY_FILE"), private=False),
            sign_type="RSA2",
        )

    def oauth_token(self, auth_code: str) -> dict[str, Any]:
        """Exchange my.getAuthCode()'s code: {user_id|None, open_id|None, access_token}."""
        if not auth_code or not isinstance(auth_code, str):
            raise InvalidCode("缺少支付宝授权码")
        try:
            result = self.client.call("alipay.system.oauth.token", grant_type="authorization_code",
                                      code=auth_code)
        except _Failure as failure:
            raise self._auth_error(failure) from None
        user_id, open_id = result.get("user_id") or None, result.get("open_id") or None
        token = result.get("access_token")
        if not (user_id or open_id) or not token or not all(
                v is None or (isinstance(v, str) and len(v) <= 128) for v in (user_id, open_id, token)):
            raise UpstreamUnavailable("支付宝服务返回异常", status=502)
        return {"user_id": user_id, "open_id": open_id, "access_token": result["access_token"]}

    def send_subscribe_message(self, open_or_user_id: str, template_id: str, data: dict,
                               page: str | None = None) -> None:
        """Send a subscribed mini-app message (alipay.open.app.mini.templatemessage.send)."""
        to_key = "to_user_id" if USER_ID_RE.match(open_or_user_id or "") else "to_open_id"
        biz = {
            to_key: open_or_user_id,
            "user_template_id": template_id,
            "page": page or "pages/index/index",
            "data": json.dumps({k: v if isinstance(v, dict) else {"value": "" if v is None else str(v)}
                                for k, v in (data or {}).items()}, ensure_ascii=False),
        }
        try:
            self.client.call("alipay.open.app.mini.templatemessage.send", biz)
        except _Failure as failure:
            if failure.kind == "alipay" and failure.code in PERMANENT_SEND_CODES \
                    and not (failure.sub_code or "").startswith("isp."):
                raise PermanentDeliveryError(f"alipay {failure.code} {failure.sub_code}",
                                             code=failure.sub_code or failure.code) from None
            raise TransientDeliveryError(f"alipay {failure.kind} {failure.code or ''} {failure.sub_code or ''}",
                                         code=failure.sub_code or failure.code) from None

    @staticmethod
    def _auth_error(failure: _Failure) -> Exception:
        if failure.kind == "alipay" and (failure.sub_code in INVALID_CODE_SUB_CODES):
            return InvalidCode("支付宝授权码无效或已使用，请重试", upstream_code=failure.sub_code)
        if failure.kind in ("unreachable", "http") or (failure.kind == "alipay" and (
                failure.code == "20000" or (failure.sub_code or "").startswith("isp."))):
            return UpstreamUnavailable("支付宝服务繁忙，请稍后再试", status=503, upstream_code=failure.sub_code)
        logger.warning("Alipay oauth.token failed: kind=%s code=%s sub_code=%s",
                       failure.kind, failure.code, failure.sub_code)
        return UpstreamUnavailable("支付宝服务返回异常", status=502, upstream_code=failure.sub_code)


def generate_dev_keys(directory: str | os.PathLike) -> tuple[str, str, str, str]:
    """Write RSA-2048 key pairs for development and tests; returns the four file paths:
    (app_private_key_file, app_public_key_file, alipay_private_key_file, alipay_public_key_file).

    The app signs requests with its private key; the simulator ("alipay") checks them with the app
    public key and signs answers with the alipay private key, which the app checks with the alipay
    public key.
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    paths: list[str] = []
    for owner in ("app", "alipay"):
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        private_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption())
        public_pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo)
        private_path, public_path = out / f"{owner}_private_key.pem", out / f"{owner}_public_key.pem"
        private_path.write_bytes(private_pem)
        os.chmod(private_path, 0o600)
        public_path.write_bytes(public_pem)
        paths += [str(private_path), str(public_path)]
    return paths[0], paths[1], paths[2], paths[3]


# ------------------------------------------------------------------ the login provider "alipay"

class AlipayLogin:
    """POST /auth/alipay: my.getAuthCode()'s code -> alipay.system.oauth.token -> the account holding
    the user_id or open_id (a signed-in caller links it to their own account)."""

    def verify(self, settings: Any, credentials: Any, *, session: Any = None, redis: Any = None) -> dict[str, Any]:
        from server.core import clients

        return clients.alipay_mini(settings).oauth_token(credentials["auth_code"])

    def sign_in(self, session: Any, settings: Any, verified: Any, *, current: Any = None) -> Any:
        from server.core.identity.signin import do_sign_in_alipay

        return do_sign_in_alipay(session, settings, verified, current=current)


register("alipay")(AlipayLogin())
