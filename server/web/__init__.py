"""Server-rendered pages (Simplified Chinese): public site, consumer pages, consoles.

Pages are Jinja shells; small ES modules under static/js call the JSON API. The browser is
signed in with a signed, HttpOnly session cookie (see session.py) that the API accepts through
the `smart315.web_actor` loader, with a double-submit CSRF header on every state-changing call.
"""
from __future__ import annotations

from datetime import timedelta

from flask import Flask


def register_web(app: Flask) -> None:
    from server.web import session as web_session
    from server.web.docs import bp as docs_bp
    from server.web.pages import bp as pages_bp

    settings = app.config["SMART315"]
    app.config.update(
        SESSION_COOKIE_NAME="smart315_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SECURE=bool(settings.get("SESSION_COOKIE_SECURE")),
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
    )
    app.register_blueprint(docs_bp)
    app.register_blueprint(pages_bp)
    app.register_blueprint(web_session.bp)
    app.extensions["smart315.web_actor"] = web_session.load_web_actor
    app.after_request(web_session.security_headers)
    from server.web.assets import init_assets

    init_assets(app)
