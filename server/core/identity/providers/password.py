"""The login provider "password": POST /auth/password for business staff, mediators and admins.

The captcha and failure counting around it (server.core.identity.guards) stay with the view: they
depend on the caller's address and on committing a failure.
"""
from __future__ import annotations

from typing import Any

from server.core.identity.providers import register


class PasswordLogin:
    def verify(self, settings: Any, credentials: Any, *, session: Any = None, redis: Any = None) -> Any:
        """The account whose password this is; InvalidCredentials (401) or AccountDeactivated (403)."""
        from server.core.identity.accounts import authenticate_password

        return authenticate_password(session, credentials["username"], credentials["password"])

    def sign_in(self, session: Any, settings: Any, verified: Any, *, current: Any = None) -> Any:
        return verified  # the password check already found (and, if needed, rehashed) the account


register("password")(PasswordLogin())
