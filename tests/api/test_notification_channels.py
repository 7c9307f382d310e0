"""NOTIFICATION_CHANNELS: a channel left out gets no rows, and rows it already had end "skipped"
(never sent); the inbox is always on."""
from __future__ import annotations

from server.tasks.worker import run_once
from tests.core.notifications.helpers import bind_oa, file_and_forward, give_identities, grant, rows
from tests.simulators import fixtures

wechat_sim = fixtures.wechat_sim


def _parties(auth, db, **identities):
    owner, biz = auth.business()
    consumer = auth.consumer()
    give_identities(db, consumer.user_id, **identities)
    bind_oa(db, owner.user_id)
    return owner, biz, consumer, auth.mediator("1101")


def test_a_channel_left_out_gets_no_rows(client, auth, db, settings):
    settings["NOTIFICATION_CHANNELS"] = ["alipay"]  # the live app settings: the next request reads them
    owner, biz, consumer, mediator = _parties(auth, db)
    file_and_forward(client, consumer, mediator, biz["id"])
    got = {(r.channel, r.recipient_id) for r in rows(db, event_type="complaint.forwarded")}
    assert got == {("inbox", consumer.user_id), ("inbox", owner.user_id), ("alipay", consumer.user_id)}
    mine = client.get("/api/v1/notifications", headers=consumer.headers).get_json()
    assert [n["type"] for n in mine["items"]] == ["complaint.forwarded"]


def test_rows_of_a_channel_switched_off_later_are_skipped_not_sent(client, auth, db, settings, wechat_sim):
    owner, biz, consumer, mediator = _parties(auth, db, alipay=None)
    grant(client, consumer, "wechat", settings["WECHAT_SUBSCRIBE_TEMPLATES"]["complaint.forwarded"])
    file_and_forward(client, consumer, mediator, biz["id"])
    wechat = [r for r in rows(db, event_type="complaint.forwarded") if r.channel.startswith("wechat")]
    assert {r.channel for r in wechat} == {"wechat_subscribe", "wechat_template"}
    worker_settings = {**settings, "WECHAT_API_BASE_URL": wechat_sim.settings["WECHAT_API_BASE_URL"],
                       "NOTIFICATION_CHANNELS": "inbox,alipay,webhook"}
    counts = run_once(db, worker_settings)
    assert counts == {"claimed": 2, "skipped": 2}
    for row in rows(db, event_type="complaint.forwarded"):
        if row.channel.startswith("wechat"):
            assert row.send_state == "skipped" and "NOTIFICATION_CHANNELS" in row.last_error
    assert wechat_sim.messages() == []
