"""Webhooks as a business integrator sees them: signed deliveries at a real receiver, retries that keep
the delivery id, the deliveries log with responses, redelivery, URL safety, giving up into "dead"."""
from __future__ import annotations

import time
from datetime import timedelta

import pytest

from server.core.models import utcnow
from server.core.notifications.webhooks import UnsafeUrl, check_url, sign, verify_signature
from server.tasks.worker import run_once
from tests.core.notifications.helpers import add_webhook, file_and_forward, rows
from tests.core.notifications.receiver import running_receiver

QUICK = {"NOTIFY_BACKOFF_BASE_SECONDS": 0.01, "NOTIFY_BACKOFF_MAX_SECONDS": 0.02}


@pytest.fixture
def parties(client, auth):
    owner, biz = auth.business()
    return owner, biz, auth.consumer(), auth.mediator("1101")


def test_signed_delivery_retried_on_non_2xx_with_the_same_id(client, db, settings, parties):
    owner, biz, consumer, mediator = parties
    with running_receiver() as rec:
        hook = add_webhook(client, owner, biz["id"], rec.hook_url, events=["complaint.forwarded"])
        assert hook["secret"].startswith("whsec_") and hook["events"] == ["complaint.forwarded"]
        rec.secrets.append(hook["secret"])
        rec.status_plan = [500, 404]
        cid = file_and_forward(client, consumer, mediator, biz["id"])
        wsettings = {**settings, **QUICK}
        for _ in range(3):
            run_once(db, wsettings)
            time.sleep(0.05)
        deliveries = rec.verified()
        assert [d["event"] for d in deliveries] == ["complaint.forwarded"] * 3
        assert len({d["delivery"] for d in deliveries}) == 1  # receivers dedupe on it
        assert len({str(d["body"]) for d in deliveries}) == 1  # the same body every time
        body = deliveries[0]["body"]
        assert body["type"] == "complaint.forwarded" and body["data"]["complaint_id"] == cid
        assert body["created_at"].endswith("+08:00")

    [row] = rows(db, channel="webhook")
    assert row.send_state == "sent" and row.attempts == 3
    log = client.get(f"/api/v1/businesses/{biz['id']}/webhooks/{hook['id']}/deliveries", headers=owner.headers)
    assert log.status_code == 200, log.get_json()
    [item] = log.get_json()["items"]
    assert item["delivery_id"] == deliveries[0]["delivery"] and item["state"] == "sent"
    assert [r["status_code"] for r in item["responses"]] == [500, 404, 200]
    assert item["responses"][2]["response_excerpt"] == '{"ok": true}'
    assert all(r["duration_ms"] is not None for r in item["responses"])
    # The secret is never shown again.
    listed = client.get(f"/api/v1/businesses/{biz['id']}/webhooks", headers=owner.headers).get_json()
    assert listed == [{"id": hook["id"], "url": hook["url"], "events": ["complaint.forwarded"],
                       "created_at": hook["created_at"]}]


def test_redeliver_sends_the_same_delivery_again(client, db, settings, parties):
    owner, biz, consumer, mediator = parties
    with running_receiver() as rec:
        hook = add_webhook(client, owner, biz["id"], rec.hook_url)
        rec.secrets.append(hook["secret"])
        file_and_forward(client, consumer, mediator, biz["id"])
        run_once(db, settings)
        [first] = rec.verified()
        r = client.post(f"/api/v1/businesses/{biz['id']}/webhooks/deliveries/{first['delivery']}/redeliver",
                        headers=owner.headers)
        assert r.status_code == 202, r.get_json()
        again = r.get_json()
        assert again["delivery_id"] == first["delivery"] and again["state"] == "pending"
        # By notification id too.
        r2 = client.post(f"/api/v1/businesses/{biz['id']}/webhooks/deliveries/{again['redelivery_of']}/redeliver",
                         headers=owner.headers)
        assert r2.status_code == 202 and r2.get_json()["notification_id"] != again["notification_id"]
        run_once(db, settings)
        got = rec.verified()
        assert [d["delivery"] for d in got] == [first["delivery"]] * 3
        assert got[1]["body"] == first["body"]
    # Unknown ids are 404; people who are not the owner are refused.
    assert client.post(f"/api/v1/businesses/{biz['id']}/webhooks/deliveries/999999/redeliver",
                       headers=owner.headers).status_code == 404
    consumer_try = client.post(f"/api/v1/businesses/{biz['id']}/webhooks/deliveries/{first['delivery']}/redeliver",
                               headers=consumer.headers)
    assert consumer_try.status_code == 403


def test_only_http_urls_and_no_private_targets_unless_allowed(client, settings_overrides, parties):
    owner, biz, _, _ = parties
    for bad in ("ftp://example.com/hook", "file:///etc/passwd", "javascript:alert(1)", "http://user:pw@example.com/x"):
        r = client.post(f"/api/v1/businesses/{biz['id']}/webhooks", headers=owner.headers, json={"url": bad})
        assert r.status_code == 422, bad
    r = client.post(f"/api/v1/businesses/{biz['id']}/webhooks", headers=owner.headers,
                    json={"url": "https://example.com/hook", "events": ["complaint.unknown"]})
    assert r.status_code == 422
    # Tests allow private networks; a consumer still cannot add one.
    consumer = parties[2]
    assert client.post(f"/api/v1/businesses/{biz['id']}/webhooks", headers=consumer.headers,
                       json={"url": "http://127.0.0.1:1/x"}).status_code == 403


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/hook", "http://localhost/hook", "http://10.1.2.3/x",
                                 "http://192.168.1.10/x", "http://169.254.169.254/latest/meta-data",
                                 "http://[::1]/x", "http://[fe80::1]/x", "http://0.0.0.0/x", "http://224.0.0.1/x",
                                 "http://[::ffff:127.0.0.1]/x", "http://100.64.0.1/x"])
def test_private_loopback_link_local_refused(url):
    with pytest.raises(UnsafeUrl):
        check_url(url, allow_private=False)
    assert check_url(url, allow_private=True) == url


def test_public_address_accepted():
    assert check_url("http://8.8.8.8/hook", allow_private=False) == "http://8.8.8.8/hook"


def test_private_target_refused_at_creation_and_at_send_time(app, client, db, settings, parties):
    owner, biz, consumer, mediator = parties
    strict = dict(settings, WEBHOOK_ALLOW_PRIVATE_NETWORKS=False)
    app.config["SMART315"] = strict
    try:
        r = client.post(f"/api/v1/businesses/{biz['id']}/webhooks", headers=owner.headers,
                        json={"url": "http://127.0.0.1:9/hook"})
        assert r.status_code == 422 and "内网" in r.get_json()["errors"][0]["message"]
    finally:
        app.config["SMART315"] = settings
    with running_receiver() as rec:
        hook = add_webhook(client, owner, biz["id"], rec.hook_url)  # allowed while creating (dev setting)
        rec.secrets.append(hook["secret"])
        file_and_forward(client, consumer, mediator, biz["id"])
        run_once(db, {**strict, **QUICK})  # ... but the worker runs with the production rule
        assert rec.requests == []
    [row] = rows(db, channel="webhook")
    assert row.send_state == "failed" and "unsafe" in row.last_error


def test_gives_up_into_dead_after_the_bound(client, db, settings, parties):
    owner, biz, consumer, mediator = parties
    from tests.simulators.fixtures import unused_port_url

    add_webhook(client, owner, biz["id"], unused_port_url() + "/hook")
    file_and_forward(client, consumer, mediator, biz["id"])
    wsettings = {**settings, "NOTIFY_BACKOFF_BASE_SECONDS": 60, "NOTIFY_BACKOFF_MAX_SECONDS": 3600}
    now = utcnow()
    run_once(db, wsettings, now=now)
    [row] = rows(db, channel="webhook")
    assert row.send_state == "pending" and row.attempts == 1 and "ConnectionError" in row.last_error
    # Nobody answers all day: the row ends visibly dead, not retried forever.
    later = now
    for _ in range(60):
        later = later + timedelta(hours=1)
        run_once(db, wsettings, now=later)
        [row] = rows(db, channel="webhook")
        if row.send_state == "dead":
            break
    assert row.send_state == "dead" and row.attempts >= 2


def test_deleted_webhook_gets_no_new_rows_and_pending_ones_are_skipped(client, db, settings, parties):
    owner, biz, consumer, mediator = parties
    hook = add_webhook(client, owner, biz["id"], "http://127.0.0.1:9/hook")
    cid = file_and_forward(client, consumer, mediator, biz["id"])
    assert client.delete(f"/api/v1/businesses/{biz['id']}/webhooks/{hook['id']}",
                         headers=owner.headers).status_code == 204
    assert client.get(f"/api/v1/businesses/{biz['id']}/webhooks", headers=owner.headers).get_json() == []
    run_once(db, settings)
    [row] = rows(db, channel="webhook")
    assert row.send_state == "skipped" and "deleted" in row.last_error
    r = client.post(f"/api/v1/complaints/{cid}/messages", headers=consumer.headers, json={"body": "还在吗"})
    assert r.status_code == 201
    assert len(rows(db, channel="webhook")) == 1


def test_signature_scheme_matches_api_md():
    body = b'{"id":"dlv_1","type":"complaint.forwarded","created_at":"x","data":{}}'
    header = sign("whsec_test", 1700000000, body)
    import hashlib
    import hmac

    expected = hmac.new(b"whsec_test", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={expected}"
    assert verify_signature("whsec_test", header, body, now=1700000010)
    assert not verify_signature("whsec_test", header, body + b" ", now=1700000010)
    assert not verify_signature("whsec_other", header, body, now=1700000010)
    assert not verify_signature("whsec_test", header, body, now=1700009999)  # too old: replay
