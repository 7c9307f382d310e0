"""Redis stopped while complaints keep arriving: the API keeps accepting, the outbox rows are written,
and the worker (woken through Redis until then) falls back to polling and catches up. Uses a
redis-server of its own on another port; the machine's Redis is never touched."""
from __future__ import annotations

import shutil
import socket
import subprocess
import time

import pytest
import redis
from sqlalchemy import func, select

from server.core.models import Notification
from tests.core.notifications.helpers import add_receiver_webhook, complaint_parties, file_and_forward
from tests.core.notifications.receiver import running_receiver
from tests.faults.workers import start_worker, stop, wait_until

# make test-fast leaves this out; make test and CI run it: a private redis-server and worker processes, killed and restarted.
pytestmark = pytest.mark.slow


def _free_port(preferred: int = 6390) -> int:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", preferred))
            return preferred
        except OSError:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]


@pytest.fixture(scope="module")
def own_redis():
    port = _free_port()
    proc = subprocess.Popen([shutil.which("redis-server") or "redis-server", "--port", str(port), "--bind", "127.0.0.1",
                             "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    assert wait_until(lambda: _ping(client), 10), "redis-server did not start"
    yield {"url": url, "proc": proc}
    if proc.poll() is None:
        proc.kill()
        proc.wait(5)


def _ping(client) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


@pytest.fixture
def settings_overrides(settings_overrides, own_redis):
    return {**settings_overrides, "REDIS_URL": own_redis["url"]}


def _sent(db) -> int:
    with db.session() as s:
        return s.execute(select(func.count()).select_from(Notification).where(
            Notification.channel == "webhook", Notification.send_state == "sent")).scalar_one()


def test_redis_stopped_while_complaints_keep_arriving(client, auth, db, settings, own_redis, tmp_path):
    owner, biz, consumer, mediator = complaint_parties(auth)
    with running_receiver() as rec:
        add_receiver_webhook(client, owner, biz["id"], rec, events=["complaint.forwarded"])
        # Poll rarely, so a quick delivery can only come from the Redis wake-up.
        proc = start_worker(settings, tmp_path / "worker.log", REDIS_URL=own_redis["url"], NOTIFY_POLL_SECONDS=8)
        try:
            time.sleep(2.5)  # the worker is up and waiting in BLPOP
            started = time.monotonic()
            file_and_forward(client, consumer, mediator, biz["id"])
            assert wait_until(lambda: _sent(db) == 1, 7), (tmp_path / "worker.log").read_text()
            woken_in = time.monotonic() - started
            assert woken_in < 6, woken_in

            own_redis["proc"].kill()
            own_redis["proc"].wait(5)
            for _ in range(6):  # the API keeps accepting while Redis is gone
                file_and_forward(client, consumer, mediator, biz["id"])
            with db.session() as s:
                assert s.execute(select(func.count()).select_from(Notification)
                                 .where(Notification.channel == "webhook")).scalar_one() == 7
            # No wake-ups any more: the worker's polling finds the rows.
            assert wait_until(lambda: _sent(db) == 7, 40), (tmp_path / "worker.log").read_text()
            assert proc.poll() is None, "the worker must survive Redis going away"
        finally:
            stop(proc)
        per_delivery = rec.delivery_counts()
    assert len(per_delivery) == 7 and set(per_delivery.values()) == {1}
