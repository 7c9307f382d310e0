"""DATABASE_REPLICA_URL against a real streaming replica (tests/replica.py): the public aggregates are
computed on the replica, everything that must see a commit at once stays on the primary, and a replica
that goes away costs nothing but a warning."""
from __future__ import annotations

import logging
import time

import pytest

from server.app import create_app
from server.core.reference import ensure_reference_data
from server.db import Database
from server.migrate import upgrade
from tests.factories import AuthActions, act, file_complaint
from tests.replica import pause_replay, resume_replay, stop_standby, wait_replayed


def _app(settings_overrides, pair):
    """A fresh app (so a fresh in-process public cache: no Redis here) on the pair."""
    return create_app({**settings_overrides, "DATABASE_URL": pair.primary_url, "DATABASE_REPLICA_URL": pair.standby_url,
                       "REDIS_URL": None, "EMBEDDED_WORKER": False})


@pytest.mark.postgres_only
def test_public_aggregates_read_the_replica_and_survive_its_loss(pg_replica_pair, settings_overrides, caplog):
    pair = pg_replica_pair
    upgrade(pair.primary_url)
    db = Database(pair.primary_url)
    with db.session() as s:
        ensure_reference_data(s)
        s.commit()
    db.dispose()

    app = _app(settings_overrides, pair)
    client = app.test_client()
    auth = AuthActions(app, client)
    _, biz = auth.business()
    consumer = auth.consumer()
    admin = auth.admin("replica-admin")
    first = file_complaint(client, consumer, biz["id"])
    wait_replayed(pair.primary_url, pair.standby_url)

    # The replica stops replaying: from now on it shows the platform as it was.
    pause_replay(pair.standby_url)
    second = file_complaint(client, consumer, biz["id"])  # committed on the primary only
    act(client, admin, first["id"], "accept")  # forwarded: the business's index counts it

    # Public statistics are computed on the replica: the second complaint is not there yet.
    stats = client.get("/api/v1/public/stats")
    assert stats.status_code == 200 and stats.get_json()["complaints_total"] == 1
    # What must be current reads the primary: the consumer's own complaint, the business's profile.
    mine = client.get(f"/api/v1/complaints/{second['id']}", headers=consumer.headers)
    assert mine.status_code == 200 and mine.get_json()["status"] == "submitted"
    profile = client.get(f"/api/v1/businesses/{biz['id']}").get_json()
    assert profile["index"]["n_complaints"] == 1, profile

    # Replay resumes: a new cache computes from the caught-up replica.
    resume_replay(pair.standby_url)
    wait_replayed(pair.primary_url, pair.standby_url)
    client = _app(settings_overrides, pair).test_client()
    assert client.get("/api/v1/public/stats").get_json()["complaints_total"] == 2

    # The replica goes away: public pages still answer, from the primary, and quickly; /readyz says so.
    stop_standby(pair)
    later = _app(settings_overrides, pair)
    client = later.test_client()
    with caplog.at_level(logging.WARNING, logger="smart315.db"):
        started = time.monotonic()
        r = client.get("/api/v1/public/rankings")
        assert r.status_code == 200, r.get_json()
        stats = client.get("/api/v1/public/stats")
        assert stats.status_code == 200 and stats.get_json()["complaints_total"] == 2
        assert time.monotonic() - started < 5
    assert any("read replica failed" in rec.getMessage() for rec in caplog.records)
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json()["checks"]["database"] == "ok"
    assert ready.get_json()["checks"]["replica"].startswith("error")
    later.extensions["smart315.db"].dispose()
