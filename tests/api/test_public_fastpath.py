"""The public fast path (server/fastpath.py): anonymous GETs of cached public resources answered in front of
Flask must be indistinguishable from Flask's own answers, follow every commit at once, and step aside
whenever the response could differ (credentials, cookies, CORS, errors, stale aggregates)."""
from __future__ import annotations

import time

import pytest

from server.app import create_app
from tests.factories import settle

PUBLIC_GETS = (
    "/api/v1/public/stats",
    "/api/v1/public/industries",
    "/api/v1/public/rankings?industry=appliance",
    "/api/v1/public/rankings?industry=appliance&page=2&per_page=5",
    "/api/v1/public/complaints",
    "/api/v1/public/index-method",
    "/api/v1/public/disclosures",
)


def _fast(app):
    return app.extensions["smart315.fastpath"]


@pytest.fixture(autouse=True)
def subscribed(app, client):
    """With Redis, the fast path trusts mirrored generations only once this process's subscription to
    the bumps channel is confirmed (a fraction of a second after the first public read)."""
    client.get("/api/v1/public/index-method")
    mirror = app.extensions["smart315.public_cache"]._mirror
    deadline = time.monotonic() + 10
    while mirror is not None and not mirror.live and time.monotonic() < deadline:
        time.sleep(0.01)
    assert mirror is None or mirror.live


def _comparable(resp):
    headers = {k.lower(): v for k, v in resp.headers.items() if k.lower() != "x-request-id"}
    return resp.status_code, headers, resp.data


def test_fast_answers_are_flasks_answers(app, client, auth):
    owner, biz = auth.business("甲电器有限公司", industry="appliance")
    consumer, mediator = auth.consumer("王小明"), auth.admin("fast-admin")
    settle(client, consumer, mediator, owner, biz["id"])
    fast = _fast(app)
    for path in (*PUBLIC_GETS, f"/api/v1/businesses/{biz['id']}"):
        through_flask = client.get(path)
        assert through_flask.status_code == 200, (path, through_flask.get_json())
        answered = fast.answered
        again = client.get(path)
        assert fast.answered == answered + 1, f"{path} was not answered by the fast path"
        assert _comparable(again) == _comparable(through_flask), path
        assert again.headers["X-Request-Id"] and again.headers["X-Request-Id"] != through_flask.headers["X-Request-Id"]


def test_a_commit_is_visible_to_the_very_next_fast_read(app, client, auth):
    owner, biz = auth.business("乙数码专营店", industry="appliance")
    consumer, mediator = auth.consumer("李四"), auth.admin("fast-admin2")
    path = f"/api/v1/businesses/{biz['id']}"
    assert client.get(path).get_json()["counts"]["total"] == 0
    answered = _fast(app).answered
    assert client.get(path).get_json()["counts"]["total"] == 0
    assert _fast(app).answered == answered + 1
    for n in (1, 2):
        settle(client, consumer, mediator, owner, biz["id"])
        prof = client.get(path).get_json()
        assert prof["counts"]["total"] == n and prof["index"]["n_complaints"] == n


def test_requests_that_could_be_answered_differently_go_to_flask(app, client, auth):
    owner, biz = auth.business("丙旅行社有限公司", industry="travel")
    path = f"/api/v1/businesses/{biz['id']}"
    client.get(path)
    fast = _fast(app)
    answered = fast.answered
    assert client.get(path, headers={"Origin": "https://elsewhere.example"}).status_code == 200
    assert fast.answered == answered
    assert client.head(path).status_code == 200
    # A GET declaring a body beyond the limit: Flask refuses it before routing; so must this request.
    assert client.get(path, environ_overrides={"CONTENT_LENGTH": str(13 * 1024 * 1024)}).status_code == 413
    client.set_cookie("smart315_session", "x")  # a browser signed in to the web pages
    assert client.get(path).status_code == 200
    assert fast.answered == answered
    client.delete_cookie("smart315_session")
    # Errors are never remembered: a missing business stays Flask's 404 problem every time.
    for _ in range(2):
        r = client.get("/api/v1/businesses/999999")
        assert r.status_code == 404 and r.headers["Content-Type"].startswith("application/problem+json")
    for _ in range(2):
        assert client.get("/api/v1/public/rankings?page=0").status_code == 422
    assert fast.answered == answered


def test_caller_request_id_is_echoed_and_metrics_count_fast_answers(app, client, auth):
    owner, biz = auth.business("丁家电有限公司", industry="appliance")
    path = f"/api/v1/businesses/{biz['id']}"
    client.get(path)
    answered = _fast(app).answered
    assert client.get(path, headers={"X-Request-Id": "trace-315"}).headers["X-Request-Id"] == "trace-315"
    assert client.get(path, headers={"X-Request-Id": "bad\x01id"}).headers["X-Request-Id"] != "bad\x01id"
    assert _fast(app).answered == answered + 2
    metrics = client.get("/metrics").data.decode()
    line = next(x for x in metrics.splitlines() if x.startswith("smart315_http_request_duration_seconds_count")
                and 'route="/api/v1/businesses/<int:business_id>"' in x and 'method="GET"' in x)
    assert float(line.rsplit(" ", 1)[1]) >= 4


def test_stale_aggregates_are_not_answered_in_front_of_flask(app, client):
    client.get("/api/v1/public/stats")
    app.extensions["smart315.public_cache"].fresh_seconds = 0
    answered = _fast(app).answered
    assert client.get("/api/v1/public/stats").status_code == 200
    assert _fast(app).answered == answered


@pytest.fixture
def behind_proxy_app(settings_overrides):
    application = create_app({**settings_overrides, "TRUSTED_PROXIES": 1})
    yield application
    application.extensions["smart315.db"].dispose()


def test_the_scheme_is_part_of_what_is_remembered(behind_proxy_app):
    client = behind_proxy_app.test_client()
    https = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    assert "Strict-Transport-Security" in client.get("/api/v1/public/index-method", headers=https).headers
    assert "Strict-Transport-Security" in client.get("/api/v1/public/index-method", headers=https).headers
    assert "Strict-Transport-Security" not in client.get("/api/v1/public/index-method").headers
    assert "Strict-Transport-Security" not in client.get("/api/v1/public/index-method").headers
    assert _fast(behind_proxy_app).answered == 2


def test_it_can_be_turned_off(settings_overrides):
    application = create_app({**settings_overrides, "PUBLIC_FAST_PATH": False})
    try:
        assert "smart315.fastpath" not in application.extensions
        assert application.test_client().get("/api/v1/public/index-method").status_code == 200
    finally:
        application.extensions["smart315.db"].dispose()


def test_credentials_do_not_matter_to_public_operations_but_do_to_others(app, client, auth):
    """The mini-programs send their token with every call; a public (auth="none") operation never reads it,
    so a signed-in reader is answered by the fast path too, the same answer as anyone's."""
    owner, biz = auth.business("戊电器有限公司", industry="appliance")
    consumer = auth.consumer("周五")
    path = f"/api/v1/businesses/{biz['id']}"
    anonymous = client.get(path)
    answered = _fast(app).answered
    for headers in (consumer.headers, {"Authorization": "Bearer not-a-token"}, {"X-Api-Key": "nope"}):
        r = client.get(path, headers=headers)
        assert _comparable(r) == _comparable(anonymous)
    assert _fast(app).answered == answered + 3


def test_an_operation_that_reads_credentials_is_never_answered_for_a_caller_with_them():
    from server.fastpath import PublicFastPath

    calls = []

    def flask_like(environ, start_response):  # a cached view of an operation that is not auth="none"
        calls.append(environ.get("HTTP_AUTHORIZATION"))
        environ["smart315.cached"] = ("k", None, "/api/v1/mine", False)
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b"{}"]

    class Cache:
        def peek_text(self, key, scope=None):
            return "{}"

    class App:
        extensions = {"smart315.public_cache": Cache()}

    fast = PublicFastPath(App(), flask_like)
    env = {"REQUEST_METHOD": "GET", "PATH_INFO": "/api/v1/mine", "QUERY_STRING": "", "wsgi.url_scheme": "http"}
    for _ in range(2):
        fast({**env, "HTTP_AUTHORIZATION": "Bearer a"}, lambda *a: None)
    assert calls == ["Bearer a", "Bearer a"] and fast.answered == 0  # with credentials: never learned
    fast(dict(env), lambda *a: None)
    fast({**env, "HTTP_AUTHORIZATION": "Bearer b"}, lambda *a: None)
    assert calls[-1] == "Bearer b" and fast.answered == 0  # learned anonymously, still not for a caller
    fast(dict(env), lambda *a: None)
    assert fast.answered == 1
