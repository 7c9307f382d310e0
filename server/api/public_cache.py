"""How the API serves public reads from the public cache (server.core.cache): the per-app cache, the
read replica for aggregates, background refreshes, and the JSON response with ETag and Cache-Control
(server.http_cache) that the fast path in front of Flask (server.fastpath) learns from."""
from __future__ import annotations

import threading

from flask import Flask, current_app, request

from server import http_cache
from server.api.context import db_session, settings
from server.core import cache as core_cache
from server.db import sqlite_write_intent


def configure(app: Flask) -> None:
    """Called once when the public blueprint is registered: commits in this process bump the shared cache."""
    core_cache.configure(app.config["SMART315"])


def cache() -> core_cache.PublicCache:
    app = current_app
    c = app.extensions.get("smart315.public_cache")
    if c is None:
        c = app.extensions["smart315.public_cache"] = core_cache.PublicCache(
            app.extensions.get("smart315.redis"),
            fresh_seconds=app.config["SMART315"]["PUBLIC_CACHE_SECONDS"])
    return c


def _in_background(fn) -> None:
    """Run a stale aggregate's refresh in a thread with its own app context (and so its own session)."""
    app = current_app._get_current_object()

    def run() -> None:
        sqlite_write_intent.set(False)  # a read-only refresh must not take SQLite's write lock
        with app.app_context():
            fn()

    threading.Thread(target=run, name="smart315-cache-refresh", daemon=True).start()


def on_replica(compute):
    """Compute a public aggregate on the read replica (DATABASE_REPLICA_URL) when one is configured, else on
    the request's session. Only aggregates, which are cached on a freshness window anyway, read there: the
    replica's delay adds to that window. A business profile (exact after each commit) and the index
    method (the admin sees new weights at once) read the primary. See Database.on_replica."""
    return current_app.extensions["smart315.db"].on_replica(compute, db_session)


def cached(key: str, compute, scope: str | None = None, exact: bool = False):
    """A JSON response straight from the cache's stored text (a hit is neither decoded nor re-encoded).

    The request is marked with its cache key, so the fast path in front of Flask (server/fastpath.py)
    can answer the same anonymous request from memory next time."""
    text = cache().get_or_set_text(key, compute, scope=scope, background=_in_background)
    rule = request.url_rule.rule if request.url_rule is not None else request.path
    view = current_app.view_functions.get(request.endpoint)
    # An operation with auth="none" never looks at credentials: a token sent with it changes nothing.
    auth_free = getattr(view, "_openapi", {}).get("auth") == "none"
    request.environ["smart315.cached"] = (key, scope, rule, auth_free)
    etag = http_cache.etag_for(text)
    headers = {"ETag": etag, "Cache-Control": http_cache.cache_control(settings(), exact=exact)}
    if http_cache.not_modified(request.headers.get("If-None-Match"), etag):
        return current_app.response_class(status=304, headers=headers)
    return current_app.response_class(text, mimetype="application/json", headers=headers)
