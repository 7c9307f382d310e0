"""Login providers and the clients of the outside sign-in and messaging services: WeChat, Alipay, SMS.

The login providers are a registry (server.core.registry): each module registers its provider under
the name LOGIN_PROVIDERS lists (wechat, alipay, sms, password; all by default). A provider turns what
the client sent into a verified identity (`verify`: the outside call or the credential check, before
any account is written) and signs that identity in (`sign_in`: server.core.identity.signin). The views
of POST /auth/* ask `get_login_provider(settings, name)`, which refuses a provider the deployment did
not enable (403 login_method_disabled). The outside clients come from server.core.clients (one per
process and configuration, shared with the notification worker and moderation).

Nothing of a token, code, secret or session key is ever logged here; errors carry only
the service's error code, never the request URL (which holds the code and the secret).
"""
from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from server.core.errors import LoginMethodDisabled
from server.core.registry import Registry

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from server.core.models import User

_SECRET_PARAMS = re.compile(
    r"((?:access_token|secret|js_code|code|auth_code|sign|Signature|AccessKeyId|TemplateParam)=)[^&\s\"']+"
)


class _RedactQueryFilter(logging.Filter):
    """urllib3 logs request lines (with query strings) at DEBUG: blank out credentials in them."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken record is not ours to fix
            return True
        redacted = _SECRET_PARAMS.sub(r"\1***", message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


_FILTER = _RedactQueryFilter()


def install_log_redaction() -> None:
    """Attach the redacting filter to the HTTP library loggers (idempotent)."""
    for name in ("urllib3.connectionpool", "urllib3", "requests"):
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)


def redact(text: str) -> str:
    """Blank credentials out of a URL or message before it is shown anywhere."""
    return _SECRET_PARAMS.sub(r"\1***", text)


# ------------------------------------------------------------------ the login-provider registry

class LoginProvider(Protocol):
    def verify(self, settings: Mapping[str, Any], credentials: Mapping[str, Any], *,
               session: Session | None = None, redis: Any = None) -> Any:
        """Check the credentials (with the outside service, or a stored code or password hash) and
        answer the verified identity; raises a DomainError (e.g. 401 invalid_code) otherwise.
        Writes only what a failed attempt must leave behind (a counted SMS attempt)."""

    def sign_in(self, session: Session, settings: Mapping[str, Any], verified: Any, *,
                current: User | None = None) -> User:
        """The account for the verified identity (linked to `current` where the provider links)."""


LOGIN_PROVIDERS: Registry[LoginProvider] = Registry(
    "login provider", __name__, ("wechat", "alipay", "sms", "password"), "LOGIN_PROVIDERS")
register = LOGIN_PROVIDERS.register


def enabled_login_providers(settings: Mapping[str, Any]) -> tuple[str, ...]:
    """The names LOGIN_PROVIDERS enables (ValueError naming an unknown one)."""
    return LOGIN_PROVIDERS.enabled(settings)


def get_login_provider(settings: Mapping[str, Any], name: str) -> LoginProvider:
    """The enabled provider `name`; LoginMethodDisabled (403) when this deployment switched it off."""
    provider = LOGIN_PROVIDERS.get_enabled(settings, name)
    if provider is None:
        raise LoginMethodDisabled()
    return provider
