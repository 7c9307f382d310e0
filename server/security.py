"""HTTP hardening applied to every response: security headers, CORS for configured origins only,
request body size limits, and ProxyFix when the app runs behind known reverse proxies.

Registered with one line in create_app (`init_security(app)`) right after the error handlers, so
its after_request hook runs after the web layer's (Flask runs after_request hooks in reverse
order of registration): headers the pages already chose (their CSP) are kept.

CORS is a small after_request rather than flask-cors: the rules are four lines (exact origin match,
no wildcard, no credentials) and keeping them here lets the tests read the whole policy in one place.
"""
from __future__ import annotations

import re
from typing import Any

from flask import Flask, Response, abort, request

from server.core.errors import BadRequest, NotFound

# JSON bodies are small (a complaint is at most a few KB); 256 KB leaves room and stops memory abuse.
JSON_BODY_LIMIT = 256 * 1024
MAX_ID = 2**31 - 1  # integer primary keys are 32-bit on PostgreSQL
# A JSON \u0000 escape (not preceded by an escaped backslash) or a raw NUL byte.
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000|\x00")
UPLOAD_PATHS = ("/api/v1/uploads",)

API_CSP = "default-src 'none'; frame-ancestors 'none'"
HSTS = "max-age=31536000; includeSubDomains"
CORS_METHODS = "GET, POST, PATCH, DELETE, OPTIONS"
CORS_HEADERS = "Authorization, Content-Type, Idempotency-Key, X-Api-Key, X-Request-Id, X-CSRF-Token"
CORS_EXPOSE = "X-Request-Id, Retry-After, Location"
CORS_MAX_AGE = "600"


def _is_upload(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in UPLOAD_PATHS)


def allowed_origin(settings: dict[str, Any], origin: str | None) -> str | None:
    """The Origin header when it is exactly one of CORS_ORIGINS (scheme, host and port), else None."""
    if not origin:
        return None
    allowed = settings["CORS_ORIGINS"]
    return origin if origin in allowed else None


def _cors_headers(resp: Response, origin: str) -> None:
    resp.headers["Access-Control-Allow-Origin"] = origin
    resp.headers["Access-Control-Expose-Headers"] = CORS_EXPOSE
    resp.vary.add("Origin")


def init_security(app: Flask) -> None:
    settings = app.config["SMART315"]
    proxies = int(settings["TRUSTED_PROXIES"])
    if proxies > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Trust exactly `proxies` hops of X-Forwarded-For/-Proto/-Host; more would let clients spoof them.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)

    @app.before_request
    def _limit_and_preflight():
        # NUL is never meaningful in this API's text and PostgreSQL refuses it in text columns
        # (DataError -> 500): refuse it at the edge, in the path, the query string and JSON bodies.
        if "\x00" in request.path or b"%00" in request.query_string or b"\x00" in request.query_string:
            raise BadRequest("请求中包含不允许的空字符（NUL）")
        # An integer URL id beyond 32 bits names nothing; without this the database raises on it
        # (SQLite OverflowError, PostgreSQL "integer out of range") and the client would see a 500.
        for value in (request.view_args or {}).values():
            if isinstance(value, int) and not 0 <= value <= MAX_ID:
                raise NotFound()
        # CORS preflight from an allowed origin: answered here, before routing and auth.
        if request.method == "OPTIONS" and request.headers.get("Access-Control-Request-Method"):
            origin = allowed_origin(settings, request.headers.get("Origin"))
            if origin is not None:
                resp = Response(status=204)
                _cors_headers(resp, origin)
                resp.headers["Access-Control-Allow-Methods"] = CORS_METHODS
                resp.headers["Access-Control-Allow-Headers"] = CORS_HEADERS
                resp.headers["Access-Control-Max-Age"] = CORS_MAX_AGE
                return resp
        # Refuse an oversized declared body before auth or routing spend anything on it.
        overall = app.config.get("MAX_CONTENT_LENGTH")
        if overall and request.content_length is not None and request.content_length > overall:
            abort(413)
        if _is_upload(request.path) or request.method in ("GET", "HEAD", "OPTIONS"):
            return None
        if request.is_json or request.path.startswith("/api/"):
            length = request.content_length
            if length is not None:
                if length > JSON_BODY_LIMIT:
                    abort(413)
                request.max_content_length = JSON_BODY_LIMIT
            else:
                # A chunked body has no Content-Length: read at most one byte past the limit now
                # (werkzeug truncates silently at max_content_length) and refuse if it got there.
                request.max_content_length = JSON_BODY_LIMIT + 1
                if len(request.get_data(cache=True)) > JSON_BODY_LIMIT:
                    abort(413)
            if request.is_json and _JSON_NUL.search(request.get_data(cache=True)):
                raise BadRequest("请求中包含不允许的空字符（NUL）")
        return None

    @app.after_request
    def _security_headers(resp: Response) -> Response:
        h = resp.headers
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("X-Frame-Options", "DENY")
        h.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        # Pages set their own CSP in the web layer; everything else (JSON, problems, files) may load nothing.
        h.setdefault("Content-Security-Policy", API_CSP)
        if request.is_secure:
            h.setdefault("Strict-Transport-Security", HSTS)
        origin = allowed_origin(settings, request.headers.get("Origin"))
        if origin is not None and "Access-Control-Allow-Origin" not in h:
            _cors_headers(resp, origin)
        return resp
