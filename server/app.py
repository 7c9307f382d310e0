"""create_app(config=None): configuration, extensions, blueprints and error handlers."""
from __future__ import annotations

import logging
import time
from typing import Any

from flask import Flask, g, request

from server.config import load_config, refuse_insecure_settings
from server.db import Database, sqlite_write_intent
from server.errors_http import register_error_handlers
from server.logging_setup import choose_request_id


def create_app(config: dict[str, Any] | None = None) -> Flask:
    settings = load_config(config)
    # Production never runs on a published default secret (issue 15.2): raises InsecureSettings naming it.
    refuse_insecure_settings(settings)
    from server.core.storage import get_store

    get_store(settings)  # UPLOAD_STORAGE / S3_* misconfigured: refuse to start rather than 500 on an upload
    app = Flask(__name__, static_folder=None)
    app.config["SMART315"] = settings
    app.config["SECRET_KEY"] = settings["SECRET_KEY"]
    app.config["MAX_CONTENT_LENGTH"] = settings["MAX_CONTENT_LENGTH"]
    app.config["JSON_AS_ASCII"] = False
    app.json.ensure_ascii = False
    app.json.sort_keys = False

    db = Database.from_settings(settings)
    app.extensions["smart315.db"] = db

    from server.redis_client import init_redis

    init_redis(app, settings)

    @app.before_request
    def _request_id():
        g.request_id = choose_request_id(request.headers.get("X-Request-Id"))
        g.started = time.perf_counter()
        sqlite_write_intent.set(request.method not in ("GET", "HEAD", "OPTIONS"))

    @app.after_request
    def _stamp(resp):
        resp.headers["X-Request-Id"] = g.get("request_id", "")
        return resp

    @app.teardown_appcontext
    def _close_session(exc):
        s = g.pop("db_session", None)
        if s is not None:
            if exc is not None:
                s.rollback()
            s.close()
        for fn in g.pop("after_session", []):
            fn()

    register_error_handlers(app)

    from server.fastpath import install as install_fast_path

    install_fast_path(app)

    from server.security import init_security

    init_security(app)

    from server.api import register_api

    register_api(app)

    from server.web import register_web

    register_web(app)

    from server.ops import register_ops

    register_ops(app)
    # Embedded default (no Redis): deliver notifications and apply deadlines in-process. No-op in tests.
    from server.tasks import scheduler, worker

    worker.start_embedded(app)
    scheduler.start_embedded(app)
    app.wsgi_app = QueryStringLimit(app.wsgi_app, int(settings.get("MAX_QUERY_STRING_BYTES") or 4096))
    logging.getLogger(__name__).debug("app created on %s", db.engine.dialect.name)
    return app


class QueryStringLimit:
    """Answer a problem document 414 for a query string over the limit before any routing (issue 15.8):
    gunicorn's own limit answers an HTML page; this one stays below it (deploy/gunicorn.conf.py)."""

    def __init__(self, wsgi_app, limit: int):
        self.wsgi_app, self.limit = wsgi_app, limit

    def __call__(self, environ, start_response):
        if len(environ.get("QUERY_STRING") or "") > self.limit:
            import json

            body = json.dumps({"type": "https://smart315.org/problems/uri_too_long", "title": "请求地址过长",
                               "status": 414, "detail": f"查询字符串不能超过 {self.limit} 字节",
                               "code": "uri_too_long"}, ensure_ascii=False).encode()
            start_response("414 URI Too Long", [("Content-Type", "application/problem+json"),
                                               ("Content-Length", str(len(body)))])
            return [body]
        return self.wsgi_app(environ, start_response)
