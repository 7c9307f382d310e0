"""Operations: /metrics names and per-route latency, /readyz when the database is down, request ids, JSON logs."""
from __future__ import annotations

import gzip
import http.server
import io
import json
import logging
import threading

import pytest
from prometheus_client.parser import text_string_to_metric_families

from server.logging_setup import RequestIdFilter, json_formatter
from tests.factories import complaint_body


@pytest.fixture(autouse=True)
def _fresh_gauges(request):
    """The database gauges are cached for a few seconds per process; these tests read them back at once."""
    if "app" in request.fixturenames:
        request.getfixturevalue("app").extensions["smart315.metrics_collector"].ttl = 0


def _samples(client):
    r = client.get("/metrics")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/plain")
    out = {}
    for fam in text_string_to_metric_families(r.get_data(as_text=True)):
        for s in fam.samples:
            out.setdefault(s.name, []).append((s.labels, s.value))
    return out


def _count(samples, route, status, method="GET"):
    for labels, value in samples.get("smart315_http_request_duration_seconds_count", []):
        if labels == {"method": method, "route": route, "status": status}:
            return value
    return 0.0


def test_metrics_names_and_latency_by_route_not_raw_path(client, auth):
    consumer = auth.consumer()
    owner, biz = auth.business()
    before = _samples(client)
    r = client.post("/api/v1/complaints", headers=consumer.headers, json=complaint_body(biz["id"]))
    assert r.status_code == 201
    cid = r.get_json()["id"]
    for _ in range(3):
        assert client.get(f"/api/v1/complaints/{cid}", headers=consumer.headers).status_code == 200
    assert client.get("/api/v1/complaints/999999", headers=consumer.headers).status_code == 404
    assert client.get("/no/such/page").status_code == 404
    after = _samples(client)

    assert any(lbl.get("route", "").startswith("/api/v1/complaints/<") for lbl, _ in
               after["smart315_http_request_duration_seconds_count"]), "route label is the URL rule"
    routes = {lbl["route"] for lbl, _ in after["smart315_http_request_duration_seconds_count"]}
    assert f"/api/v1/complaints/{cid}" not in routes and "/api/v1/complaints/999999" not in routes, routes
    assert "/no/such/page" not in routes
    rule = "/api/v1/complaints/<int:complaint_id>"
    assert _count(after, rule, "200") - _count(before, rule, "200") == 3
    assert _count(after, rule, "404") - _count(before, rule, "404") == 1
    assert _count(after, "<unmatched>", "404") - _count(before, "<unmatched>", "404") == 1
    assert _count(after, "/api/v1/complaints", "201", "POST") - _count(before, "/api/v1/complaints", "201", "POST") == 1

    # Database gauges, computed at scrape time.
    assert ({"status": "submitted"}, 1.0) in after["smart315_complaints"]
    assert after["smart315_database_up"] == [({}, 1.0)]
    for name in ("smart315_notifications", "smart315_notification_queue_depth", "smart315_notification_failures",
                 "smart315_deadline_backlog"):
        assert f"# TYPE {name} gauge" in client.get("/metrics").get_data(as_text=True), name


def test_deadline_backlog_and_queue_depth_reflect_the_database(app, client, auth, session):
    from datetime import timedelta

    from server.core.models import Complaint, Notification, utcnow

    consumer = auth.consumer()
    mediator = auth.mediator("1101")
    owner, biz = auth.business()
    ids = [client.post("/api/v1/complaints", headers=consumer.headers, json=complaint_body(biz["id"])).get_json()["id"]
           for _ in range(2)]
    client.post(f"/api/v1/complaints/{ids[0]}/transitions", headers=mediator.headers, json={"action": "accept"})
    session.query(Complaint).filter(Complaint.id.in_(ids)).update(
        {Complaint.deadline_at: utcnow() - timedelta(hours=1)}, synchronize_session=False)
    session.add(Notification(event_type="complaint.forwarded", complaint_id=ids[0], recipient_id=None,
                             channel="webhook", dedupe_key="ops-test-1", send_state="pending"))
    session.add(Notification(event_type="complaint.forwarded", complaint_id=ids[0], recipient_id=None,
                             channel="webhook", dedupe_key="ops-test-2", send_state="dead"))
    session.commit()
    s = _samples(client)
    backlog = {lbl["status"]: v for lbl, v in s["smart315_deadline_backlog"]}
    assert backlog == {"submitted": 1.0, "forwarded": 1.0}
    depth = {lbl["channel"]: v for lbl, v in s["smart315_notification_queue_depth"]}
    assert depth["webhook"] == 1.0
    fails = {(lbl["channel"], lbl["state"]): v for lbl, v in s["smart315_notification_failures"]}
    assert fails[("webhook", "dead")] == 1.0


def test_readyz_fails_when_database_unreachable(settings_overrides):
    from server.app import create_app

    app = create_app({**settings_overrides, "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/nowhere",
                      "REDIS_URL": None})
    r = app.test_client().get("/readyz")
    assert r.status_code == 503
    body = r.get_json()
    assert body["status"] == "unavailable" and body["checks"]["database"].startswith("error")
    assert app.test_client().get("/healthz").status_code == 200
    # /metrics still answers, saying the database is down, rather than failing the scrape.
    m = app.test_client().get("/metrics").get_data(as_text=True)
    assert "smart315_database_up 0.0" in m
    app.extensions["smart315.db"].dispose()


def test_readyz_ok(client):
    r = client.get("/readyz")
    assert r.status_code == 200 and r.get_json()["checks"]["database"] == "ok"


class _Capture(logging.Handler):
    def __init__(self):
        super().__init__()
        self.addFilter(RequestIdFilter())
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


def test_request_id_echoed_logged_and_stamped_on_outbox_rows(app, client, auth, session):
    from server.core.models import Notification

    cap = _Capture()
    logging.getLogger().addHandler(cap)
    probe = logging.getLogger("smart315.test.probe")

    @app.get("/__probe")
    def _probe():  # a route that logs, so the record's request_id can be checked
        probe.warning("inside the request")
        return {"ok": True}

    try:
        r = client.get("/__probe", headers={"X-Request-Id": "req-abc-123"})
        assert r.headers["X-Request-Id"] == "req-abc-123"
        r2 = client.get("/__probe")
        fresh = r2.headers["X-Request-Id"]
        assert fresh and fresh != "req-abc-123"
    finally:
        logging.getLogger().removeHandler(cap)
    ids = [rec.request_id for rec in cap.records if rec.name == "smart315.test.probe"]
    assert ids == ["req-abc-123", fresh]
    # Outside a request, records carry "-".
    rec = logging.LogRecord("x", logging.INFO, __file__, 1, "m", None, None)
    RequestIdFilter().filter(rec)
    assert rec.request_id == "-"

    # The outbox rows a request writes carry its id for the worker's logs.
    owner, biz = auth.business()
    consumer = auth.consumer()
    mediator = auth.mediator("1101")
    hook = client.post(f"/api/v1/businesses/{biz['id']}/webhooks", headers=owner.headers,
                       json={"url": "http://127.0.0.1:9/hook", "events": ["complaint.forwarded"]})
    assert hook.status_code == 201
    cid = client.post("/api/v1/complaints", headers=consumer.headers, json=complaint_body(biz["id"])).get_json()["id"]
    r = client.post(f"/api/v1/complaints/{cid}/transitions", headers={**mediator.headers, "X-Request-Id": "accept-42"},
                    json={"action": "accept"})
    assert r.status_code == 200
    rows = session.query(Notification).filter(Notification.complaint_id == cid).all()
    assert rows, "forwarding notifies the business"
    assert {n.payload.get("request_id") for n in rows} == {"accept-42"}

    # ... and the worker logs each delivery under that id.
    from server.tasks.worker import run_once

    session.rollback()  # end the test's read transaction: on SQLite it would hold the write lock
    cap = _Capture()
    worker_log = logging.getLogger("smart315.notifications")
    old_level = worker_log.level
    worker_log.setLevel(logging.INFO)
    logging.getLogger().addHandler(cap)
    try:
        run_once(app.extensions["smart315.db"], app.config["SMART315"])
    finally:
        logging.getLogger().removeHandler(cap)
        worker_log.setLevel(old_level)
    delivered = [rec for rec in cap.records if rec.name.startswith("smart315.notifications")
                 and "via" in rec.getMessage()]
    assert delivered and {rec.request_id for rec in delivered} == {"accept-42"}


def test_json_log_format():
    buf = io.StringIO()
    handler = logging.StreamHandler(buf)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(json_formatter())
    logger = logging.getLogger("smart315.test.json")
    logger.propagate = False
    logger.addHandler(handler)
    from server.logging_setup import request_id_context

    with request_id_context("job-7"):
        logger.error("投诉 %s 已送达", "TS1", extra={"notification_id": 9})
    logger.removeHandler(handler)
    line = buf.getvalue().strip()
    assert "\n" not in line
    doc = json.loads(line)
    assert doc["message"] == "投诉 TS1 已送达" and "投诉" in line  # not \u-escaped
    assert doc["level"] == "ERROR" and doc["logger"] == "smart315.test.json"
    assert doc["request_id"] == "job-7" and doc["notification_id"] == 9 and doc["time"]


def test_sentry_receives_an_unhandled_error_only_when_dsn_set(settings_overrides):
    import sentry_sdk

    from server.app import create_app

    received: list[bytes] = []

    class Receiver(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.headers.get("Content-Encoding") == "gzip":
                raw = gzip.decompress(raw)
            elif self.headers.get("Content-Encoding") == "br":
                import brotli

                raw = brotli.decompress(raw)
            received.append(raw)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *a):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        plain = create_app(settings_overrides)
        assert "smart315.sentry" not in plain.extensions
        app = create_app({**settings_overrides, "SENTRY_DSN": f"http://pub@127.0.0.1:{srv.server_port}/1"})
        assert app.extensions.get("smart315.sentry") is True

        @app.get("/__boom")
        def _boom():
            raise RuntimeError("boom for sentry")

        assert app.test_client().get("/__boom").status_code == 500
        sentry_sdk.flush(timeout=5)
        assert any(b"boom for sentry" in body for body in received), [(b[:300]) for b in received]
    finally:
        sentry_sdk.init()  # no DSN: the client goes inactive for the rest of the run
        srv.shutdown()


def test_field_key_rotation_keeps_phone_sign_in_and_webhook_secrets(app, auth, session, settings):
    """deploy/rotate_field_key.py: after rotating, the app on the new key decrypts and looks up as before."""
    import importlib.util
    from pathlib import Path

    from server.core.identity.accounts import cipher, find_user_by_phone
    from server.core.models import Business, User

    spec = importlib.util.spec_from_file_location(
        "rotate_field_key", Path(__file__).resolve().parents[2] / "deploy" / "rotate_field_key.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)

    consumer = auth.consumer("李四", "13812345678")
    owner, biz = auth.business()
    new_settings = {**settings, "FIELD_ENCRYPTION_KEY": "a-brand-new-field-key"}
    assert find_user_by_phone(session, new_settings, "13812345678") is None  # new key alone: lost
    done = mod.rotate(session, settings["FIELD_ENCRYPTION_KEY"], "a-brand-new-field-key")
    session.commit()
    assert done["user_phone"] >= 1 and done["business_phone"] == 1
    user = find_user_by_phone(session, new_settings, "13812345678")
    assert user is not None and user.id == consumer.user_id
    assert cipher(new_settings).decrypt(session.get(User, user.id).phone_enc) == "13812345678"
    b = session.get(Business, biz["id"])
    assert cipher(new_settings).decrypt(b.contact_phone_enc)
    # A second run finds nothing left to do.
    again = mod.rotate(session, settings["FIELD_ENCRYPTION_KEY"], "a-brand-new-field-key")
    assert again["user_phone"] == 0 and again["business_phone"] == 0
