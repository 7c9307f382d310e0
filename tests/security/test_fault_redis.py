"""Redis killed and started again under a running app: the API keeps accepting complaints, rate limits
fall back to per-process windows (still limiting), cached public pages are computed uncached, and the
notifications written while Redis was down are delivered once it is back (the outbox is in the
database; Redis only carries wake-ups). Uses a private redis-server on a free port."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import func, select

from tests.factories import complaint_body

# make test-fast leaves this out; make test and CI run it: a private redis-server killed under a running app.
pytestmark = pytest.mark.slow


@pytest.fixture
def settings_overrides(settings_overrides, private_redis):
    return {**settings_overrides, "REDIS_URL": private_redis.url, "LOGIN_LIMIT_PER_SUBJECT": 5}


@pytest.fixture
def receiver():
    got: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            got.append({"delivery": self.headers.get("X-Smart315-Delivery"), "body": json.loads(body or b"{}")})
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", got
    server.shutdown()


def test_api_survives_redis_outage_and_notifications_catch_up(app, client, auth, db, settings, private_redis,
                                                             receiver):
    from server.core.models import Notification
    from server.tasks.worker import run_once

    url, got = receiver
    owner, biz = auth.business()
    hook = client.post(f"/api/v1/businesses/{biz['id']}/webhooks", headers=owner.headers, json={"url": url, "events": []})
    assert hook.status_code == 201, hook.get_json()
    consumer = auth.consumer()
    mediator = auth.mediator("1101")
    assert client.post("/api/v1/complaints", headers=consumer.headers, json=complaint_body(biz["id"])).status_code == 201
    assert client.get("/api/v1/public/stats").status_code == 200  # warms the Redis-backed public cache

    private_redis.kill()

    filed = []
    for i in range(5):
        t0 = time.monotonic()
        r = client.post("/api/v1/complaints", headers={**consumer.headers, "Idempotency-Key": f"redis-down-{i}"},
                        json=complaint_body(biz["id"], title=f"Redis 停机期间的投诉 {i}"))
        assert r.status_code == 201, r.get_json()
        assert time.monotonic() - t0 < 5, "a request must not hang on a dead Redis"
        filed.append(r.get_json()["id"])
    # Replaying a key still answers from the database, not from Redis.
    again = client.post("/api/v1/complaints", headers={**consumer.headers, "Idempotency-Key": "redis-down-0"},
                        json=complaint_body(biz["id"], title="Redis 停机期间的投诉 0"))
    assert again.status_code == 201 and again.get_json()["id"] == filed[0]
    for cid in filed:
        r = client.post(f"/api/v1/complaints/{cid}/transitions", headers=mediator.headers, json={"action": "accept"})
        assert r.status_code == 200, r.get_json()
    for path in ("/api/v1/public/stats", "/api/v1/public/rankings", "/api/v1/public/complaints",
                 "/api/v1/businesses", f"/api/v1/businesses/{biz['id']}", "/api/v1/industries"):
        assert client.get(path).status_code == 200, path
    assert client.post("/api/v1/auth/sms/send", json={"phone": "13712345678"}).status_code == 202

    # Rate limits degrade to per-process windows: still limiting, never failing open or with 500.
    codes = [client.post("/api/v1/auth/sms/login", json={"phone": "13712345679", "code": "000000"}).status_code
             for _ in range(7)]
    assert codes[:5] == [401] * 5 and codes[5:] == [429, 429], codes
    # Password failures are counted in the database: a captcha is asked for, Redis or not.
    codes = [client.post("/api/v1/auth/password", json={"username": "nobody", "password": "wrong-password-9"}).status_code
             for _ in range(4)]
    assert codes == [401, 401, 401, 428], codes

    with db.session() as s:
        pending = s.execute(select(func.count()).select_from(Notification).where(
            Notification.channel == "webhook", Notification.send_state == "pending")).scalar_one()
    assert pending >= len(filed)  # accepted + forwarded events for the business, waiting in the outbox

    private_redis.start()  # same port: the app's clients reconnect
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        run_once(db, settings)
        with db.session() as s:
            left = s.execute(select(func.count()).select_from(Notification).where(
                Notification.channel == "webhook", Notification.send_state.in_(("pending", "sending")))).scalar_one()
        if left == 0:
            break
        time.sleep(0.5)
    assert left == 0, f"{left} webhook notifications still undelivered after Redis came back"
    # Each complaint forwarded while Redis was down reached the business's webhook once.
    forwarded = sorted(g["body"]["data"]["complaint_id"] for g in got if g["body"]["type"] == "complaint.forwarded")
    assert forwarded == sorted(filed), (forwarded, filed)
    ids = [g["delivery"] for g in got]
    assert len(ids) == len(set(ids)), "a delivery was sent twice"
    # And with Redis back, the limits are shared again (Redis counts from zero in a new window).
    assert client.get("/api/v1/public/stats").status_code == 200
