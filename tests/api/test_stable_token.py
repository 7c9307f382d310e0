"""WeChat access tokens come from POST cgi-bin/stable_token and are shared by every process through Redis
(key expiring a little before WeChat's expires_in); without Redis each process keeps its own."""
from __future__ import annotations

import pytest

from server.core import clients
from server.tasks.worker import run_once
from tests.core.notifications.helpers import act, file_and_forward, give_identities, grant, rows
from tests.simulators import fixtures

wechat_sim = fixtures.wechat_sim
redis_db15 = fixtures.redis_db15


@pytest.fixture
def redis_url(redis_db15):
    kw = redis_db15.connection_pool.connection_kwargs
    return f"redis://{kw.get('host', '127.0.0.1')}:{kw.get('port', 6379)}/{kw.get('db', 0)}"


def test_two_app_instances_share_one_token_through_redis(app, auth, db, settings_overrides, wechat_sim, redis_db15,
                                                        redis_url):
    from server.app import create_app

    shared = {**settings_overrides, "REDIS_URL": redis_url, "WECHAT_API_BASE_URL": wechat_sim.base_url,
              "WECHAT_TIMEOUT_SECONDS": 2}
    first, second = create_app(shared), create_app(shared)
    owner, biz = auth.business()
    consumer, mediator = auth.consumer(), auth.mediator("1101")
    give_identities(db, consumer.user_id, alipay=None)
    client = first.test_client()
    wx = first.config["SMART315"]["WECHAT_SUBSCRIBE_TEMPLATES"]
    grant(client, consumer, "wechat", wx["complaint.forwarded"], wx["complaint.responded"])
    cid = file_and_forward(client, consumer, mediator, biz["id"])

    clients.reset()  # the first process
    run_once(first.extensions["smart315.db"], first.config["SMART315"])
    act(client, owner, cid, "respond", note="同意退款")
    clients.reset()  # another process: nothing in memory, the token in Redis
    run_once(second.extensions["smart315.db"], second.config["SMART315"])

    assert [r.send_state for r in rows(db, channel="wechat_subscribe")] == ["sent", "sent"]
    stats = wechat_sim.stats()
    assert stats.get("stable_token") == 1 and stats.get("token") == 1  # one fetch, and from stable_token
    key = f"smart315:wechat:{first.config['SMART315']['WECHAT_MINI_APPID']}_access_token"
    ttl = redis_db15.ttl(key)
    assert 0 < ttl < 7200  # shorter than WeChat's expires_in
    for a in (first, second):
        a.extensions["smart315.db"].dispose()


def test_without_redis_a_process_fetches_once_and_refreshes_after_a_rejected_token(wechat_sim):
    from server.core.identity.providers.wechat import WeChatMini

    mini = WeChatMini(wechat_sim.settings)
    token = mini.get_access_token()
    assert mini.get_access_token() == token
    assert wechat_sim.stats()["stable_token"] == 1
    # A second client (another process) in normal mode gets the same token: nobody's is retired.
    assert WeChatMini(wechat_sim.settings).get_access_token() == token
    wechat_sim.post("/_sim/expire_tokens")
    mini.client.forget_access_token()  # what _invoke does after 40001/42001
    assert mini.get_access_token() != token
    assert wechat_sim.stats()["stable_token"] == 3
