"""The public fast path: anonymous GETs of cached public resources answered in front of Flask.

A public read that hits the cache still paid for Flask's whole request pipeline (request context,
URL routing, query validation, before/after hooks, the response object): most of its cost, and the
reason public reads ran at a third of a bare Flask endpoint's rate. This WSGI layer answers the same
request from the public cache's in-process memory without entering Flask at all:

- It learns. When Flask serves a GET through `server.api.public_cache.cached`, the view marks the request
  with its cache key; a 200 without cookies is remembered here as raw request (scheme, path, query
  string) -> (cache key, scope, route, response headers). The raw request determines the key exactly,
  because the key is derived from the validated query alone.
- It answers only what Flask would answer identically: GET, no Cookie or Origin header (a session
  cookie may be refreshed in the response, Origin brings CORS headers), no Authorization or X-Api-Key
  header unless the operation is `auth="none"` (then Flask never reads them: the mini-programs send
  their token with every call), a raw request learned before, and an entry the cache calls current
  without asking anyone (`PublicCache.peek_text`: mirrored generations, inside the freshness window). Everything else, a miss included, goes to Flask, which
  asks Redis, refreshes, validates and answers as always (and the next identical request is fast).
- The response is the one Flask sent (same headers, same body), with a fresh X-Request-Id (the
  caller's, when it is acceptable, as the Flask hook does), and the request is counted in the same
  latency histogram under its route.

Set PUBLIC_FAST_PATH=0 to turn it off (every request then goes through Flask).
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from flask import Flask

from server.http_cache import etag_for, not_modified
from server.logging_setup import choose_request_id

BYPASS_HEADERS = ("HTTP_COOKIE", "HTTP_ORIGIN", "HTTP_TRANSFER_ENCODING")
CREDENTIAL_HEADERS = ("HTTP_AUTHORIZATION", "HTTP_X_API_KEY")
PER_REQUEST_HEADERS = {"x-request-id", "content-length", "etag"}  # the ETag follows the current body
MAX_LEARNED = 20_000  # raw requests remembered per process (a few MB); forgotten all at once beyond


class Learned(NamedTuple):
    key: str
    scope: str | None
    route: str
    auth_free: bool  # the operation never reads credentials (auth="none")
    headers: tuple[tuple[str, str], ...]


class PublicFastPath:
    def __init__(self, app: Flask, wsgi_app: Callable):
        self.app = app
        self.wsgi_app = wsgi_app
        self.learned: dict[tuple[str, str, str], Learned] = {}
        self._header_sets: dict[tuple, tuple] = {}
        self._lock = threading.Lock()
        self.answered = 0
        from server.ops import REQUEST_LATENCY

        self._latency = REQUEST_LATENCY

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "GET" or any(h in environ for h in BYPASS_HEADERS) or \
                environ.get("CONTENT_LENGTH") not in (None, "", "0"):  # a GET with a body: Flask's limits decide
            return self.wsgi_app(environ, start_response)
        started = time.perf_counter()
        raw = (environ.get("wsgi.url_scheme", "http"), environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", ""))
        credentials = any(h in environ for h in CREDENTIAL_HEADERS)
        known = self.learned.get(raw)
        if known is not None and (known.auth_free or not credentials):
            cache = self.app.extensions.get("smart315.public_cache")
            text = cache.peek_text(known.key, known.scope) if cache is not None else None
            if text is not None:
                etag = etag_for(text)
                request_id = ("X-Request-Id", choose_request_id(environ.get("HTTP_X_REQUEST_ID")))
                self.answered += 1
                if not_modified(environ.get("HTTP_IF_NONE_MATCH"), etag):
                    start_response("304 Not Modified", [(k, v) for k, v in known.headers
                                                        if k.lower() == "cache-control" or k.lower() == "vary"]
                                   + [("ETag", etag), request_id])
                    self._latency.labels("GET", known.route, "304").observe(time.perf_counter() - started)
                    return [b""]
                body = text.encode("utf-8")
                start_response("200 OK", [*known.headers, ("ETag", etag), ("Content-Length", str(len(body))),
                                          request_id])
                self._latency.labels("GET", known.route, "200").observe(time.perf_counter() - started)
                return [body]
        return self._through_flask(raw, environ, start_response, credentials)

    def _through_flask(self, raw: tuple[str, str, str], environ: dict[str, Any], start_response: Callable,
                       credentials: bool) -> Iterable[bytes]:
        seen: dict[str, Any] = {}

        def remember(status: str, headers: list[tuple[str, str]], exc_info=None):
            seen["status"], seen["headers"] = status, headers
            return start_response(status, headers, exc_info)

        result = self.wsgi_app(environ, remember)
        mark = environ.get("smart315.cached")
        headers = seen.get("headers") or []
        if mark is not None and seen.get("status", "").startswith("200 ") and \
                not any(k.lower() == "set-cookie" for k, _ in headers):
            key, scope, route, auth_free = mark
            if credentials and not auth_free:
                return result
            keep = tuple((k, v) for k, v in headers if k.lower() not in PER_REQUEST_HEADERS)
            with self._lock:
                if len(self.learned) >= MAX_LEARNED:
                    self.learned.clear()
                # Responses share a handful of header sets: keep one copy of each.
                self.learned[raw] = Learned(key, scope, route, auth_free, self._header_sets.setdefault(keep, keep))
        return result


def install(app: Flask) -> None:
    """Put the fast path in front of Flask. Called before init_security, so that ProxyFix (when
    configured) wraps it and the scheme it keys on is the client's."""
    if not app.config["SMART315"]["PUBLIC_FAST_PATH"]:
        return
    fast = PublicFastPath(app, app.wsgi_app)
    app.wsgi_app = fast
    app.extensions["smart315.fastpath"] = fast
