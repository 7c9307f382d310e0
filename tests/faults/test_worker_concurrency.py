"""Two worker processes over thousands of due notifications: every one delivered exactly once per
recipient and channel, counted at the receivers (a signed-webhook receiver and the WeChat simulator).
NOTIFY_LOAD_N (default 2000) sets the number of rows."""
from __future__ import annotations

import os
import re
from collections import Counter

from sqlalchemy import func, insert, select

from server.core.models import Notification, utcnow
from tests.core.notifications.helpers import add_receiver_webhook
from tests.core.notifications.receiver import running_receiver
from tests.faults.workers import start_worker, stop, wait_until
from tests.simulators import fixtures

wechat_sim = fixtures.wechat_sim  # pytest finds fixtures by module attribute

N = int(os.environ.get("NOTIFY_LOAD_N") or 2000)


def _open(db) -> int:
    with db.session() as s:
        return s.execute(select(func.count()).select_from(Notification).where(
            Notification.send_state.in_(("pending", "sending")))).scalar_one()


def test_two_workers_deliver_each_notification_exactly_once(client, auth, db, settings, wechat_sim, tmp_path):
    owner, biz = auth.business()
    template = settings["WECHAT_OA_TEMPLATES"]["complaint.forwarded"]
    with running_receiver() as rec:
        hook = add_receiver_webhook(client, owner, biz["id"], rec)
        now = utcnow()
        half = N // 2
        webhook_rows = [dict(event_type="complaint.forwarded", business_id=biz["id"], channel="webhook",
                             target=str(hook["id"]), dedupe_key=f"load:{i}:webhook", title="收到新的投诉",
                             body=f"load {i}", payload={"delivery_id": f"dlv_load_{i}", "data": {"n": i}},
                             send_state="pending", attempts=0, next_attempt_at=now, created_at=now)
                        for i in range(half)]
        oa_rows = [dict(event_type="complaint.forwarded", recipient_id=owner.user_id, channel="wechat_template",
                        target=f"o-load-{i}", dedupe_key=f"load:{i}:oa", title="收到新的投诉", body=f"load {i}",
                        payload={"template_id": template, "public_no": f"TS{i:06d}", "status": "forwarded"},
                        send_state="pending", attempts=0, next_attempt_at=now, created_at=now)
                   for i in range(N - half)]
        with db.session() as s:
            s.execute(insert(Notification), webhook_rows + oa_rows)
            s.commit()
        env = dict(WECHAT_API_BASE_URL=wechat_sim.base_url, NOTIFY_CONCURRENCY=4, NOTIFY_BATCH_SIZE=25,
                   NOTIFY_POLL_SECONDS=1)
        workers = [start_worker(settings, tmp_path / f"worker{i}.log", **env) for i in range(2)]
        try:
            done = wait_until(lambda: _open(db) == 0, timeout=240, interval=0.5)
        finally:
            codes = [stop(w) for w in workers]
        logs = [(tmp_path / f"worker{i}.log").read_text() for i in range(2)]
        assert done, logs
        assert codes == [0, 0], logs
        per_delivery = rec.delivery_counts()
        unsigned = [r for r in rec.requests if not r["signature_ok"]]

    assert unsigned == []
    assert len(per_delivery) == half and set(per_delivery.values()) == {1}
    per_openid = Counter(m["touser"] for m in wechat_sim.messages() if m["kind"] == "template")
    assert len(per_openid) == N - half and set(per_openid.values()) == {1}
    with db.session() as s:
        states = dict(s.execute(select(Notification.send_state, func.count()).group_by(Notification.send_state)).all())
        attempts = set(s.execute(select(Notification.attempts)).scalars())
    assert states == {"sent": N} and attempts == {1}
    # Both processes did part of the work.
    for log in logs:
        delivered = sum(int(n) for n in re.findall(r"'sent': (\d+)", log))
        assert delivered > 0, log
