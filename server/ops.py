"""Operational endpoints and hooks: /healthz, /readyz, /metrics (Prometheus), request ids, optional Sentry.

Metrics work in one process and under gunicorn's pre-fork workers: with PROMETHEUS_MULTIPROC_DIR set
(deploy/gunicorn.conf.py sets it) each worker writes its samples to files there and /metrics merges them.
Gauges that describe the database (complaints by status, outbox depth, deadline backlog) are computed at
scrape time by one cheap grouped query each, cached for a few seconds so several scrapers cost one query.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select, text

from server.logging_setup import reset_request_id, set_request_id
from server.redis_client import get_redis

bp = Blueprint("ops", __name__)
log = logging.getLogger("smart315.http")

# Buckets from 2.5 ms to 10 s: public reads should sit in the first few, uploads and LLM calls in the last.
REQUEST_LATENCY = Histogram(
    "smart315_http_request_duration_seconds",
    "HTTP request latency by route (the URL rule, not the raw path), method and status",
    ["method", "route", "status"],
    buckets=(0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)

OPEN_STATES = ("submitted", "accepted", "forwarded", "responded", "mediating")


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
    replica = current_app.extensions["smart315.db"].replica_engine
    if replica is not None:  # reported, not required: public aggregates fall back to the primary without it
        try:
            with replica.connect() as conn:
                conn.execute(text("SELECT 1"))
            checks["replica"] = "ok"
        except Exception as exc:
            checks["replica"] = f"error: {type(exc).__name__} (public aggregates read from the primary)"
    r = get_redis(current_app)
    if r is not None:
        try:
            r.ping()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"error: {type(exc).__name__}"
            ok = False
    cfg = current_app.config["SMART315"]
    if cfg.get("UPLOAD_STORAGE") == "s3":  # reported, not required: only uploads and downloads need it
        from server.core.storage import get_store

        try:
            get_store(cfg).client.head_bucket(Bucket=cfg["S3_BUCKET"])
            checks["storage"] = "ok"
        except Exception as exc:
            checks["storage"] = f"error: {type(exc).__name__} (uploads and downloads answer 503)"
    # Reported, not required: a missing calendar year makes deadlines count Monday to Friday, which an
    # operator must fix (WORKING_DAY_CALENDAR), but it is no reason to take the server out of service.
    from datetime import UTC, datetime

    from server.core.timeutil import calendar_status, local_today

    calendar = calendar_status(local_today(datetime.now(UTC)))
    return jsonify(status="ok" if ok else "unavailable", checks=checks, calendar=calendar), 200 if ok else 503


def _metrics_refusal() -> Response | None:
    """/metrics needs `Authorization: Bearer <METRICS_TOKEN>` (issue 15.12), not only nginx's allow list.
    Without METRICS_TOKEN it answers 404 in production, and stays open in development."""
    import hmac

    from server.errors_http import problem

    cfg = current_app.config["SMART315"]
    token = cfg.get("METRICS_TOKEN")
    if not token:
        if cfg.get("SMART315_ENV") == "development":
            return None
        return problem(404, "not_found", "未找到", "请求的地址不存在")
    given = request.headers.get("Authorization", "")
    if given.startswith("Bearer ") and hmac.compare_digest(given[7:].strip().encode(), token.encode()):
        return None
    resp = problem(401, "unauthorized", "请先登录", "访问监控指标需要有效的令牌")
    resp.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
    return resp


@bp.get("/metrics")
def metrics():
    refused = _metrics_refusal()
    if refused is not None:
        return refused
    body = generate_latest(_process_registry())
    body += generate_latest(current_app.extensions["smart315.metrics_registry"])
    resp = Response(body, mimetype=None)
    resp.headers["Content-Type"] = CONTENT_TYPE_LATEST
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _process_registry():
    """Samples of every gunicorn worker when multiprocess mode is on; this process's otherwise."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


class DatabaseCollector:
    """Gauges read from the database at scrape time (shared truth across all processes)."""

    def __init__(self, app: Flask, ttl: float = 5.0):
        self.app = app
        self.ttl = ttl
        self._lock = threading.Lock()
        self._cached: tuple[float, list] | None = None

    def describe(self):
        return []  # computed at scrape; nothing to describe up front (avoids a query at registration)

    def collect(self):
        with self._lock:
            now = time.monotonic()
            if self._cached is None or now - self._cached[0] > self.ttl:
                self._cached = (now, self._query())
            families = self._cached[1]
        yield from families

    def _query(self) -> list:
        from server.core.models import Complaint, Notification, utcnow

        db = self.app.extensions["smart315.db"]
        up = GaugeMetricFamily("smart315_database_up", "1 when the database answered the metrics queries")
        complaints = GaugeMetricFamily("smart315_complaints", "Complaints by lifecycle status", labels=["status"])
        notifications = GaugeMetricFamily("smart315_notifications", "Outbox rows by channel and send state",
                                          labels=["channel", "state"])
        depth = GaugeMetricFamily("smart315_notification_queue_depth",
                                  "Outbox rows waiting for delivery (pending or sending) by channel", labels=["channel"])
        failures = GaugeMetricFamily("smart315_notification_failures",
                                     "Outbox rows that failed (retrying) or are dead, by channel and state",
                                     labels=["channel", "state"])
        backlog = GaugeMetricFamily("smart315_deadline_backlog",
                                    "Open complaints whose deadline has passed but is not yet applied", labels=["status"])
        try:
            with db.Session() as s:
                for status, n in s.execute(select(Complaint.status, func.count()).group_by(Complaint.status)):
                    complaints.add_metric([status], n)
                queued: dict[str, int] = {}
                for channel, state, n in s.execute(
                        select(Notification.channel, Notification.send_state, func.count())
                        .group_by(Notification.channel, Notification.send_state)):
                    notifications.add_metric([channel, state], n)
                    if state in ("pending", "sending"):
                        queued[channel] = queued.get(channel, 0) + n
                    if state in ("failed", "dead"):
                        failures.add_metric([channel, state], n)
                for channel, n in queued.items():
                    depth.add_metric([channel], n)
                now = utcnow()
                for status, n in s.execute(select(Complaint.status, func.count())
                                           .where(Complaint.status.in_(OPEN_STATES), Complaint.deadline_at < now)
                                           .group_by(Complaint.status)):
                    backlog.add_metric([status], n)
            up.add_metric([], 1)
        except Exception:
            log.warning("metrics: database query failed", exc_info=True)
            up.add_metric([], 0)
            return [up]
        from server.core.timeutil import calendar_status, local_today

        status = calendar_status(local_today(utcnow()))
        calendar = GaugeMetricFamily("smart315_calendar_ok", "1 while the official working-day calendar covers "
                                     "this year and, from 1 October, the next (see /readyz)")
        calendar.add_metric([], 1 if status["ok"] else 0)
        return [up, complaints, notifications, depth, failures, backlog, calendar]


def _init_sentry(app: Flask, settings: dict[str, Any]) -> None:
    dsn = settings.get("SENTRY_DSN")
    if not dsn:
        return
    import sentry_sdk
    from sentry_sdk.integrations.flask import FlaskIntegration

    sentry_sdk.init(dsn=dsn, integrations=[FlaskIntegration()], send_default_pii=False,
                    traces_sample_rate=float(os.environ.get("SENTRY_TRACES_SAMPLE_RATE") or 0),
                    environment=os.environ.get("SENTRY_ENVIRONMENT") or "production")
    app.extensions["smart315.sentry"] = True


def register_ops(app: Flask) -> None:
    app.register_blueprint(bp)
    registry = CollectorRegistry(auto_describe=False)
    collector = DatabaseCollector(app, ttl=float(app.config["SMART315"].get("METRICS_CACHE_SECONDS", 5)))
    registry.register(collector)
    app.extensions["smart315.metrics_collector"] = collector
    app.extensions["smart315.metrics_registry"] = registry

    @app.before_request
    def _ops_before():
        # app.py's hook ran first and chose g.request_id (the caller's X-Request-Id or a fresh one).
        rid = g.get("request_id") or request.headers.get("X-Request-Id") or None
        g._ops_rid_token = set_request_id(rid)
        g._ops_started = time.perf_counter()

    @app.after_request
    def _ops_after(resp):
        started = g.pop("_ops_started", None)
        if started is not None:
            rule = request.url_rule.rule if request.url_rule is not None else "<unmatched>"
            REQUEST_LATENCY.labels(request.method, rule, str(resp.status_code)).observe(time.perf_counter() - started)
        if not resp.headers.get("X-Request-Id") and g.get("request_id"):
            resp.headers["X-Request-Id"] = g.request_id
        return resp

    @app.teardown_request
    def _ops_teardown(_exc):
        token = g.pop("_ops_rid_token", None)
        if token is not None:
            reset_request_id(token)

    _init_sentry(app, app.config["SMART315"])
