"""Operational endpoints: /healthz (process up) and /readyz (database and, if configured, Redis)."""
from __future__ import annotations

from flask import Blueprint, Flask, current_app, jsonify
from sqlalchemy import text

from server.redis_client import get_redis

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    checks = {}
    ok = True
    try:
        with current_app.extensions["smart315.db"].engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # any failure means not ready
        checks["database"] = f"error: {type(exc).__name__}"
        ok = False
    r = get_redis(current_app)
    if r is not None:
        try:
            r.ping()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"error: {type(exc).__name__}"
            ok = False
    return jsonify(status="ok" if ok else "unavailable", checks=checks), 200 if ok else 503


def register_ops(app: Flask) -> None:
    app.register_blueprint(bp)
