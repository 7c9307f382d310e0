"""Issue 16 item 2: every do_* that changes published data asks for the public cache explicitly
(public_changed_on_commit); the cached public answer changes once its transaction commits, and stays
served from the cache when it rolls back.

Each case: set up through the API, read the public resource twice (cached), run the core change in a
session and roll it back (the next read is still a cache hit, same answer), run it again and commit (the
next read shows the change). The cache's freshness window is an hour here, so an aggregate changes
only because the commit asked for it, never because its window ran out.
"""
from __future__ import annotations

from datetime import timedelta

import pytest

from server.core import cache as cache_mod
from server.core.actor import actor_for_user
from server.core.models import Appeal, Business, Complaint, User, utcnow
from tests.factories import act, complaint_body, file_complaint


@pytest.fixture
def public(app, client, monkeypatch):
    client.get("/api/v1/public/stats")  # builds the app's public cache
    cache = app.extensions["smart315.public_cache"]
    cache.fresh_seconds = 3600
    monkeypatch.setattr(cache_mod, "LOCAL_SCOPED_SECONDS", 3600)  # without Redis: profiles trusted as long
    return cache


def _get(client, url):
    r = client.get(url)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def _check(app, client, cache, url, change, stale=None):
    """`change(session, settings)` is invisible at `url` after a rollback and visible after the commit.

    stale: an API write made after the first read that the cached answer does not show yet (it asks for
    no invalidation), for changes whose own effect on the answer is elsewhere: the commit of `change`
    must bring the answer up to date."""
    db, settings = app.extensions["smart315.db"], app.config["SMART315"]
    before = _get(client, url)
    if stale is not None:
        stale()
    misses = cache.misses
    assert _get(client, url) == before and cache.misses == misses  # served from the cache
    with db.session() as s:
        change(s, settings)
        s.flush()
        s.rollback()
    assert _get(client, url) == before and cache.misses == misses  # a rollback drops nothing
    with db.session() as s:
        change(s, settings)
        s.commit()
    after = _get(client, url)
    assert after != before and cache.misses > misses
    return before, after


def _actor(s, login):
    return actor_for_user(s, s.get(User, login.user_id))


def _profile(biz):
    return f"/api/v1/businesses/{biz['id']}"


def _forwarded(client, auth, biz):
    consumer, mediator = auth.consumer("王五"), auth.mediator("1101")
    c = file_complaint(client, consumer, biz["id"], public_consent=True)
    act(client, mediator, c["id"], "accept")
    return consumer, mediator, c


def test_filing_a_complaint(app, client, auth, public):
    _, biz = auth.business()
    consumer = auth.consumer("赵六")

    def change(s, settings):
        from server.core.complaints.actions import do_create_complaint

        data = complaint_body(biz["id"])
        data.pop("amount_claimed")
        data["purchase_date"] = None
        do_create_complaint(s, settings, _actor(s, consumer), data)

    before, after = _check(app, client, public, _profile(biz), change)
    assert after["counts"]["total"] == before["counts"]["total"] + 1


def test_a_transition(app, client, auth, public):
    owner, biz = auth.business()
    _, _, c = _forwarded(client, auth, biz)

    def change(s, settings):
        from server.core.complaints.actions import do_transition

        do_transition(s, settings, _actor(s, owner), s.get(Complaint, c["id"]), "respond", note="同意退款")

    before, after = _check(app, client, public, _profile(biz), change)
    assert after["counts"].get("responded") == 1 and "responded" not in before["counts"]


def test_a_system_step(app, client, auth, public):
    _, biz = auth.business()
    _, _, c = _forwarded(client, auth, biz)

    def change(s, settings):
        from server.core.complaints.actions import do_system_step

        do_system_step(s, settings, s.get(Complaint, c["id"]), "response_timeout", utcnow())

    _, after = _check(app, client, public, _profile(biz), change)
    assert after["counts"].get("mediating") == 1


@pytest.mark.parametrize("step", ["verify", "reject", "reapply"])
def test_a_business_review(app, client, auth, public, step):
    owner, biz = auth.business(verify=False)
    admin = auth.admin("review-admin")
    if step == "reapply":
        r = client.post(f"/api/v1/businesses/{biz['id']}/reject", headers=admin.headers, json={"note": "执照不清晰"})
        assert r.status_code == 200, r.get_json()

    def change(s, settings):
        from server.core import staff
        from server.core.businesses import do_verify_business

        b = s.get(Business, biz["id"])
        if step == "verify":
            do_verify_business(s, _actor(s, admin), b)
        elif step == "reject":
            staff.do_reject_business(s, settings, _actor(s, admin), b, "执照不清晰")
        else:
            staff.do_reapply_business(s, _actor(s, owner), b, "已补充执照")

    _, after = _check(app, client, public, _profile(biz), change)
    assert after["status"] == {"verify": "verified", "reject": "rejected", "reapply": "pending"}[step]


def test_erasing_a_consumer_withdraws_their_open_complaint(app, client, auth, public):
    _, biz = auth.business()
    consumer, _, _ = _forwarded(client, auth, biz)

    def change(s, settings):
        from server.core.identity.accounts import do_erase_user

        do_erase_user(s, s.get(User, consumer.user_id), settings)

    _, after = _check(app, client, public, _profile(biz), change)
    assert after["counts"].get("withdrawn") == 1


def test_a_publication_decision(app, client, auth, public):
    _, biz = auth.business()
    _, mediator, c = _forwarded(client, auth, biz)

    def change(s, settings):
        from server.core import publication

        publication.do_decide_publication(s, settings, _actor(s, mediator), s.get(Complaint, c["id"]), True, None)

    before, after = _check(app, client, public, f"/api/v1/public/complaints?business_id={biz['id']}", change)
    assert before["items"] == [] and [i["public_no"] for i in after["items"]] == [c["public_no"]]


def test_a_message_that_holds_a_published_complaint(app, client, auth, public):
    _, biz = auth.business()
    consumer, mediator, c = _forwarded(client, auth, biz)
    r = client.post(f"/api/v1/complaints/{c['id']}/publication", headers=mediator.headers, json={"approve": True})
    assert r.status_code == 200, r.get_json()

    def change(s, settings):
        from server.core.complaints.actions import do_post_message

        do_post_message(s, settings, _actor(s, consumer), s.get(Complaint, c["id"]), "对方疑似传销组织，请平台核实")

    before, after = _check(app, client, public, f"/api/v1/public/complaints?business_id={biz['id']}", change)
    assert [i["public_no"] for i in before["items"]] == [c["public_no"]] and after["items"] == []


def test_a_public_reply(app, client, auth, public):
    owner, biz = auth.business()
    _, mediator, c = _forwarded(client, auth, biz)
    r = client.post(f"/api/v1/complaints/{c['id']}/publication", headers=mediator.headers, json={"approve": True})
    assert r.status_code == 200, r.get_json()

    def change(s, settings):
        from server.core.casefile import do_set_public_reply

        do_set_public_reply(s, settings, _actor(s, owner), s.get(Complaint, c["id"]), "您好，已安排退款。")

    _, after = _check(app, client, public, f"/api/v1/public/complaints?business_id={biz['id']}", change)
    assert after["items"][0]["business_reply"]["text"] == "您好，已安排退款。"


def test_index_weights(app, client, auth, public):
    def change(s, settings):
        from server.core.scoring.actions import do_set_weights, get_weights

        weights = dict(get_weights(s))
        first = next(iter(weights))
        weights[first] = weights[first] + 1
        do_set_weights(s, settings, weights)

    before, after = _check(app, client, public, "/api/v1/public/index-method", change)
    assert after != before


def test_publishing_a_disclosure(app, client, auth, public):
    period = (utcnow().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")

    def change(s, settings):
        from server.core.scoring.disclosure import do_publish_disclosure

        do_publish_disclosure(s, settings, period)

    before, after = _check(app, client, public, "/api/v1/public/disclosures", change)
    assert before["total"] == 0 and [i["period"] for i in after["items"]] == [period]


def test_refreshing_industry_means_refreshes_every_aggregate(app, client, auth, public):
    _, biz = auth.business()
    consumer = auth.consumer("钱七")

    def change(s, settings):
        from server.core.scoring.actions import recompute_all

        recompute_all(s, settings, refresh_means=True)

    before, after = _check(app, client, public, "/api/v1/public/stats", change,
                           stale=lambda: file_complaint(client, consumer, biz["id"]))
    assert after["complaints_total"] == 1 != before["complaints_total"]


def test_an_appeal_decision_refreshes_every_aggregate(app, client, auth, public):
    owner, biz = auth.business()
    consumer, mediator, c = _forwarded(client, auth, biz)
    act(client, owner, c["id"], "respond", note="我们愿意换货")
    act(client, consumer, c["id"], "dispute")
    act(client, mediator, c["id"], "mediate_fail", note="双方未达成一致")
    r = client.post(f"/api/v1/complaints/{c['id']}/appeals", headers=owner.headers,
                    json={"reason": "malicious", "note": "该用户在多家店铺以同样理由索要赔偿"})
    assert r.status_code == 201, r.get_json()
    appeal_id = r.get_json()["id"]
    other = auth.consumer("孙八")

    def change(s, settings):
        from server.core.appeals import do_decide_appeal

        assert s.get(Appeal, appeal_id).state == "pending"
        do_decide_appeal(s, settings, _actor(s, mediator), s.get(Complaint, c["id"]), appeal_id, True, "成立")

    before, after = _check(app, client, public, "/api/v1/public/stats", change,
                           stale=lambda: file_complaint(client, other, biz["id"]))
    assert after["complaints_total"] == 2 != before["complaints_total"]  # the appealed one and the stale one
