"""Clients of the outside sign-in and messaging services: WeChat, Alipay, SMS.

Nothing of a token, code, secret or session key is ever logged here; errors carry only
the service's error code, never the request URL (which holds the code and the secret).
"""
from __future__ import annotations

import logging
import re

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
