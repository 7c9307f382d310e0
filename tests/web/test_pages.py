"""Pages, cookie sessions, CSRF, security headers, the mediator CSV export and the admin endpoints."""
from __future__ import annotations

import csv
import gzip
import io
import re

import pytest

from server.web.session import CSP
from tests.factories import AuthActions

PUBLIC_PAGES = ["/", "/stats", "/rankings", "/cases", "/disclosures", "/index-method", "/consult", "/login", "/docs",
                "/help"]


def web_login(client, login) -> str:
    """Open a cookie session on `client` with the login's access token; returns the CSRF token."""
    r = client.post("/web/session", json={"access_token": login.token, "refresh_token": login.refresh})
    assert r.status_code == 200, r.get_json()
    return r.get_json()["csrf_token"]


def assert_page(r):
    assert r.status_code == 200, r.status_code
    assert r.mimetype == "text/html"
    assert r.headers["Content-Security-Policy"] == CSP
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"]
    html = r.get_data(as_text=True)
    # Strict CSP: no inline script or style may be needed, so none may be written.
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert " src=" in tag, tag
    assert not re.search(r"<script\b[^>]*>\s*[^<\s]", html)
    assert "<style" not in html and " style=" not in html and re.search(r"\son[a-z]+=", html) is None
    return html


@pytest.fixture
def business(auth):
    owner, biz = auth.business(owner_phone="13800138000")
    return owner, biz


@pytest.fixture
def complaint(auth, client, business):
    from tests.factories import complaint_body as body

    consumer = auth.consumer(phone="13900000001")
    r = client.post("/api/v1/complaints", headers=consumer.headers, json=body(business[1]["id"]))
    assert r.status_code == 201, r.get_json()
    return consumer, r.get_json()


def test_public_pages_render_with_security_headers(client, auth, business):
    for path in PUBLIC_PAGES + [f"/businesses/{business[1]['id']}"]:
        assert_page(client.get(path))


def test_static_files_and_vendored_echarts_are_served_locally(client):
    html = client.get("/").get_data(as_text=True)
    src = re.search(r'content="(/static/vendor/echarts\.custom\.min\.js\?v=[0-9a-f]+)"', html)
    assert src, "the home page names the custom ECharts bundle (fetched by its first chart) by a versioned URL"
    r = client.get(src.group(1))
    assert r.status_code == 200 and b"Apache ECharts 5.6.0" in r.data[:300]
    assert client.get("/static/vendor/echarts.min.js").status_code == 404  # the full build is gone
    assert client.get("/static/js/lib.js").status_code == 200
    assert "://" not in re.sub(r'href="https?://[^"]*"', "", html.split("<body")[0])


def test_text_is_compressed_for_clients_that_accept_it_and_etags_still_answer_304(client):
    """gzip (or br/zstd) for HTML, CSS and JS when asked for; identity otherwise; the coding's own strong
    ETag answers 304; versioned URLs are immutable for a year, unversioned ones revalidated."""
    html = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert html.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in html.headers["Vary"]
    page = gzip.decompress(html.data).decode()
    assert "让消费维权更简单" in page
    assert "Content-Encoding" not in client.get("/").headers  # a client that does not ask gets identity
    versioned = re.search(r'content="(/static/vendor/echarts\.custom\.min\.js\?v=[0-9a-f]+)"', page).group(1)
    r = client.get(versioned, headers={"Accept-Encoding": "gzip"})
    body = gzip.decompress(r.data)
    assert r.status_code == 200 and r.headers["Content-Encoding"] == "gzip" and len(r.data) < len(body) / 2
    assert r.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    etag = r.headers["ETag"]
    assert etag.endswith(':gzip"') and not etag.startswith("W/")
    again = client.get(versioned, headers={"Accept-Encoding": "gzip", "If-None-Match": etag})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == etag
    plain = client.get("/static/js/lib.js", headers={"Accept-Encoding": "br, gzip"})
    assert plain.headers["Cache-Control"] == "public, no-cache" and plain.headers["Content-Encoding"] == "br"
    assert client.get("/static/js/lib.js?v=stale").headers["Cache-Control"] == "public, no-cache"
    icon = client.get("/favicon.ico", headers={"Accept-Encoding": "gzip"})
    assert icon.status_code == 200 and "Content-Encoding" not in icon.headers
    api = client.get("/api/v1/public/stats", headers={"Accept-Encoding": "gzip"})
    assert api.status_code == 200 and "Content-Encoding" not in api.headers and api.get_json()  # nginx's job


def test_role_pages_need_sign_in_and_the_right_role(app, auth, business, complaint):
    consumer, c = complaint
    gated = ["/complaints/new", "/my/complaints", f"/my/complaints/{c['id']}", "/console/business",
             "/console/mediator", "/admin"]
    anon = app.test_client()
    for path in gated:
        r = anon.get(path)
        assert r.status_code == 302 and r.headers["Location"].startswith("/login?next=" + path.split("?")[0])

    cases = [
        (consumer, ["/complaints/new", "/my/complaints", f"/my/complaints/{c['id']}"], ["/console/business", "/console/mediator", "/admin"]),
        (business[0], ["/console/business", "/complaints/new", "/my/complaints"], ["/console/mediator", "/admin"]),
        (auth.mediator("1101"), ["/console/mediator"], ["/console/business", "/admin", "/complaints/new"]),
        (auth.admin(), ["/admin", "/console/mediator"], ["/console/business"]),
    ]
    for login, allowed, refused in cases:
        client = app.test_client()
        web_login(client, login)
        for path in allowed:
            html = assert_page(client.get(path))
            assert 'name="csrf-token" content="' in html
        for path in refused:
            r = client.get(path)
            assert r.status_code == 403 and "无权访问" in r.get_data(as_text=True)


def test_session_cookie_flags(app, auth, settings_overrides):
    client = app.test_client()
    r = client.post("/web/session", json={"access_token": auth.consumer().token})
    cookie = r.headers["Set-Cookie"]
    assert "smart315_session=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie

    from server.app import create_app

    secure_app = create_app({**settings_overrides, "SESSION_COOKIE_SECURE": True})
    r = secure_app.test_client().post("/web/session", json={"access_token": AuthActions(secure_app, secure_app.test_client()).consumer().token})
    assert "; Secure" in r.headers["Set-Cookie"]
    secure_app.extensions["smart315.db"].dispose()


def test_cookie_post_without_csrf_token_is_refused(app, complaint):
    consumer, c = complaint
    client = app.test_client()
    token = web_login(client, consumer)
    assert client.get("/api/v1/me").get_json()["id"] == consumer.user_id  # GET needs no token

    url = f"/api/v1/complaints/{c['id']}/messages"
    for headers in ({}, {"X-CSRF-Token": "wrong"}):
        r = client.post(url, json={"body": "请尽快处理"}, headers=headers)
        assert r.status_code == 403
        assert r.mimetype == "application/problem+json" and r.get_json()["code"] == "csrf_failed"
    assert client.get(url).get_json()["total"] == 0

    r = client.post(url, json={"body": "请尽快处理"}, headers={"X-CSRF-Token": token})
    assert r.status_code == 201
    r = client.patch("/api/v1/me", json={"display_name": "新名字"})
    assert r.status_code == 403 and r.get_json()["code"] == "csrf_failed"

    # A Bearer call is not cookie-authenticated and needs no CSRF token.
    bearer = app.test_client()
    assert bearer.post(url, json={"body": "第二条"}, headers=consumer.headers).status_code == 201


def test_session_opening_refuses_other_origins_and_bad_tokens(app, auth):
    client = app.test_client()
    login = auth.consumer()
    r = client.post("/web/session", json={"access_token": login.token}, headers={"Origin": "https://evil.example"})
    assert r.status_code == 403 and r.get_json()["code"] == "csrf_failed"
    assert client.post("/web/session", json={"access_token": "forged"}).status_code == 401
    assert client.get("/api/v1/me").status_code == 401
    r = client.post("/web/session", json={"access_token": login.token}, headers={"Origin": "http://localhost"})
    assert r.status_code == 200
    assert client.get("/api/v1/me").status_code == 200


def test_session_hands_over_refresh_token_and_logout_ends_it(app, auth):
    client = app.test_client()
    login = auth.consumer()
    token = web_login(client, login)
    # The refresh token given to /web/session is revoked: no long-lived token stays in the browser.
    assert app.test_client().post("/api/v1/auth/refresh", json={"refresh_token": login.refresh}).status_code == 401
    assert client.post("/web/logout").status_code == 403  # logout is state-changing too
    assert client.post("/web/logout", headers={"X-CSRF-Token": token}).status_code == 204
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/my/complaints").status_code == 302


def test_revoking_all_tokens_ends_the_web_session(app, auth):
    client = app.test_client()
    login = auth.consumer()
    web_login(client, login)
    assert client.get("/api/v1/me").status_code == 200
    r = app.test_client().post("/api/v1/auth/logout", headers=login.headers, json={})
    assert r.status_code == 204
    assert client.get("/api/v1/me").status_code == 401


def test_mediator_csv_export_is_regional_excel_ready_and_formula_safe(app, auth, client, business):
    from tests.factories import complaint_body

    consumer = auth.consumer(phone="13900000002")
    mine = client.post("/api/v1/complaints", headers=consumer.headers,
                       json=complaint_body(business[1]["id"], title="=HYPERLINK(\"x\")冰箱不制冷")).get_json()
    other = client.post("/api/v1/complaints", headers=consumer.headers,
                        json=complaint_body(None, business_name="上海某某商店", region_code="310101",
                                            title="上海的投诉")).get_json()
    mediator_client = app.test_client()
    web_login(mediator_client, auth.mediator("1101"))
    r = mediator_client.get("/console/mediator/export.csv?status=submitted")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert "attachment" in r.headers["Content-Disposition"]
    raw = r.get_data()
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][0] == "投诉编号" and len(rows) == 2
    assert rows[1][0] == mine["public_no"] and rows[1][1] == "待受理"
    assert rows[1][2] == "'=HYPERLINK(\"x\")冰箱不制冷"
    assert other["public_no"] not in raw.decode("utf-8-sig")
    assert mediator_client.get("/console/mediator/export.csv?status=bogus").status_code == 400

    consumer_client = app.test_client()
    web_login(consumer_client, consumer)
    assert consumer_client.get("/console/mediator/export.csv").status_code == 403


def test_admin_creates_staff_and_renames_an_industry(app, auth, client):
    admin = auth.admin()
    r = client.post("/api/v1/admin/staff", headers=admin.headers,
                    json={"username": "med_hd", "password": "mediate-2026", "role": "mediator", "region_code": "1101"})
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["kind"] == "mediator" and r.get_json()["region_code"] == "1101"
    staff = {u["username"]: u for u in client.get("/api/v1/admin/staff", headers=admin.headers).get_json()["items"]}
    assert staff["med_hd"]["region_name"] == "北京市"  # the admin page shows the region's name, not 1101
    # The new mediator can sign in.
    assert client.post("/api/v1/auth/password", json={"username": "med_hd", "password": "mediate-2026"}).status_code == 200
    bad = client.post("/api/v1/admin/staff", headers=admin.headers,
                      json={"username": "med_x", "password": "mediate-2026", "role": "mediator", "region_code": "9999"})
    assert bad.status_code == 422
    consumer = auth.consumer()
    assert client.get("/api/v1/admin/staff", headers=consumer.headers).status_code == 403

    old = {i["code"]: i["name"] for i in client.get("/api/v1/industries").get_json()["items"]}["travel"]
    try:
        r = client.patch("/api/v1/admin/industries/travel", headers=admin.headers, json={"name": "旅游服务"})
        assert r.status_code == 200
        assert {i["code"]: i["name"] for i in client.get("/api/v1/industries").get_json()["items"]}["travel"] == "旅游服务"
        assert client.patch("/api/v1/admin/industries/travel", headers=consumer.headers,
                            json={"name": "x"}).status_code == 403
        assert client.patch("/api/v1/admin/industries/nope", headers=admin.headers, json={"name": "x"}).status_code == 404
    finally:
        client.patch("/api/v1/admin/industries/travel", headers=admin.headers, json={"name": old})
