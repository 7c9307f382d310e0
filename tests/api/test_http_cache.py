"""Public JSON is cacheable the web's way (issue 21.4): a strong ETag of the body, Cache-Control, and 304
for If-None-Match, through Flask and through the fast path alike; a change gives a new ETag at once."""
from __future__ import annotations

import pytest

from tests.api.test_public_fastpath import subscribed  # noqa: F401 - the fixture (Redis mirror live)
from tests.factories import settle

PATHS = ("/api/v1/public/stats", "/api/v1/public/rankings?industry=online_shopping", "/api/v1/public/index-method")


CONTROL = {"/api/v1/public/index-method": "public, no-cache"}  # exact after each commit: always revalidated


@pytest.mark.parametrize("path", PATHS)
def test_etag_and_304_through_flask_and_the_fast_path(app, client, path):
    control = CONTROL.get(path, "public, max-age=15")
    fast = app.extensions["smart315.fastpath"]
    first = client.get(path)
    assert first.status_code == 200
    etag = first.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert first.headers["Cache-Control"] == control
    answered = fast.answered
    again = client.get(path)  # learned: answered in front of Flask
    assert fast.answered == answered + 1
    assert again.headers["ETag"] == etag and again.data == first.data
    for _ in range(2):  # once through the fast path, once through Flask (a cookie sends it there)
        r = client.get(path, headers={"If-None-Match": f'"other", {etag}'})
        assert r.status_code == 304 and r.data == b""
        assert r.headers["ETag"] == etag and r.headers["Cache-Control"] == control
        client.set_cookie("unrelated", "1")
    client.delete_cookie("unrelated")


def test_a_change_gives_a_new_etag_at_once(client, auth):
    owner, biz = auth.business(name="北京某电器有限公司", industry="online_shopping")
    consumer, mediator = auth.consumer(), auth.mediator()
    path = f"/api/v1/businesses/{biz['id']}"  # a profile is exact after each commit (aggregates have a window)
    before = client.get(path)
    assert before.headers["Cache-Control"] == "public, no-cache"  # a browser must not show it stale
    tag = before.headers["ETag"]
    assert client.get(path, headers={"If-None-Match": tag}).status_code == 304
    settle(client, consumer, mediator, owner, biz["id"])
    fresh = client.get(path, headers={"If-None-Match": tag})
    assert fresh.status_code == 200 and fresh.headers["ETag"] != tag
    assert fresh.get_json() != before.get_json()
