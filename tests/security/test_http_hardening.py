"""Security headers on every response (API, problems, files, pages), CORS for configured origins only,
request size limits, and HSTS only over https (through ProxyFix when behind trusted proxies)."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from server.security import API_CSP, JSON_BODY_LIMIT
from tests.factories import complaint_body, png_bytes

ORIGIN = "https://h5.smart315.example"


@pytest.fixture
def settings_overrides(settings_overrides):
    return {**settings_overrides, "CORS_ORIGINS": [ORIGIN]}


def _assert_hardened(resp, api=True):
    h = resp.headers
    assert h["X-Content-Type-Options"] == "nosniff", resp
    assert h["X-Frame-Options"] == "DENY", resp
    assert h["Referrer-Policy"], resp
    assert "frame-ancestors 'none'" in h["Content-Security-Policy"] or "frame-ancestors" in h["Content-Security-Policy"]
    if api:
        assert h["Content-Security-Policy"] == API_CSP
    assert "Strict-Transport-Security" not in h  # plain http


def test_headers_on_api_success_problems_files_and_pages(client, auth):
    consumer = auth.consumer()
    _assert_hardened(client.get("/api/v1/industries"))
    _assert_hardened(client.get("/api/v1/complaints"))  # 401 problem
    _assert_hardened(client.get("/api/v1/nowhere"))  # 404 problem
    _assert_hardened(client.put("/api/v1/industries"))  # 405 problem
    _assert_hardened(client.post("/api/v1/complaints", headers=consumer.headers, json={"x": 1}))  # 422
    up = client.post("/api/v1/uploads", headers=consumer.headers,
                     data={"file": (io.BytesIO(png_bytes(8, (200, 10, 10))), "a.png")}, content_type="multipart/form-data")
    assert up.status_code == 201
    dl = client.get(f"/api/v1/uploads/{up.get_json()['id']}", headers=consumer.headers)
    assert dl.status_code == 200
    _assert_hardened(dl)
    assert dl.headers["Content-Disposition"].startswith("attachment")
    _assert_hardened(client.get("/healthz"), api=False)
    page = client.get("/")
    _assert_hardened(page, api=False)
    # The web layer's own page CSP wins over the API default.
    assert page.headers["Content-Security-Policy"] != API_CSP


def test_hsts_only_over_https_behind_trusted_proxy(settings_overrides):
    from server.app import create_app

    plain = create_app({**settings_overrides, "TRUSTED_PROXIES": 0}).test_client()
    spoofed = plain.get("/api/v1/industries", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in spoofed.headers  # not trusted without TRUSTED_PROXIES

    proxied = create_app({**settings_overrides, "TRUSTED_PROXIES": 1}).test_client()
    r = proxied.get("/api/v1/industries", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"})
    assert r.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "Strict-Transport-Security" not in proxied.get("/api/v1/industries").headers
    direct = plain.get("/api/v1/industries", base_url="https://localhost")
    assert "Strict-Transport-Security" in direct.headers


def test_cors_only_for_configured_origin(client, auth):
    consumer = auth.consumer()
    pre = client.options("/api/v1/complaints", headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, idempotency-key, content-type"})
    assert pre.status_code == 204
    assert pre.headers["Access-Control-Allow-Origin"] == ORIGIN
    allowed_headers = {h.strip().lower() for h in pre.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "idempotency-key", "x-api-key", "content-type"} <= allowed_headers
    assert "POST" in pre.headers["Access-Control-Allow-Methods"]
    assert "Origin" in pre.headers["Vary"]
    assert "Access-Control-Allow-Credentials" not in pre.headers

    r = client.get("/api/v1/complaints", headers={**consumer.headers, "Origin": ORIGIN})
    assert r.status_code == 200 and r.headers["Access-Control-Allow-Origin"] == ORIGIN
    # Errors carry CORS too, so the browser app can read the problem body.
    assert client.get("/api/v1/complaints", headers={"Origin": ORIGIN}).headers[
        "Access-Control-Allow-Origin"] == ORIGIN

    for evil in ("https://evil.example", ORIGIN + ".evil.example", "http://h5.smart315.example", "null"):
        pre = client.options("/api/v1/complaints", headers={"Origin": evil, "Access-Control-Request-Method": "POST"})
        assert "Access-Control-Allow-Origin" not in pre.headers, evil
        assert "Access-Control-Allow-Headers" not in pre.headers, evil
        r = client.get("/api/v1/complaints", headers={**consumer.headers, "Origin": evil})
        assert "Access-Control-Allow-Origin" not in r.headers, evil


def test_json_body_limit_and_max_content_length(client, auth, settings_overrides):
    consumer = auth.consumer()
    body = complaint_body(description="很" * 40) | {"padding": "x" * (JSON_BODY_LIMIT + 10)}
    r = client.post("/api/v1/complaints", headers=consumer.headers, json=body)
    assert r.status_code == 413
    assert r.headers["Content-Type"].startswith("application/problem+json")
    assert r.get_json()["code"] == "payload_too_large"
    # Just under the limit is an ordinary validation answer, not 413.
    small = client.post("/api/v1/complaints", headers=consumer.headers, json=complaint_body() | {"padding": "x"})
    assert small.status_code == 422

    # A chunked body without Content-Length is bounded too.
    def gen():
        yield b'{"title": "'
        for _ in range(40):
            yield b"y" * 8192
        yield b'"}'

    r = client.post("/api/v1/complaints", headers={**consumer.headers, "Content-Type": "application/json",
                                                   "Transfer-Encoding": "chunked"}, input_stream=io.BytesIO(b"".join(gen())),
                    environ_overrides={"wsgi.input_terminated": True})  # as gunicorn sets for chunked bodies
    assert r.status_code == 413, r.get_json()

    # Uploads keep their own (larger) limit: a 300 KB image is fine...
    big = io.BytesIO()
    Image.effect_noise((400, 400), 80).convert("RGB").save(big, "PNG")
    assert big.tell() > JSON_BODY_LIMIT
    up = client.post("/api/v1/uploads", headers=consumer.headers,
                     data={"file": (io.BytesIO(big.getvalue()), "n.png")}, content_type="multipart/form-data")
    assert up.status_code == 201, up.get_json()


def test_max_content_length_is_a_problem(settings_overrides):
    from server.app import create_app

    app = create_app({**settings_overrides, "MAX_CONTENT_LENGTH": 64 * 1024})
    r = app.test_client().post("/api/v1/uploads", data={"file": (io.BytesIO(b"\0" * 100_000), "x.bin")},
                               content_type="multipart/form-data")
    assert r.status_code == 413
    assert r.get_json()["code"] == "payload_too_large"
    assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_nul_characters_and_huge_ids_are_client_errors(client, auth):
    """PostgreSQL refuses NUL in text and 32-bit columns refuse huge ids: both were 500s found by fuzzing."""
    consumer = auth.consumer()
    r = client.post("/api/v1/complaints", headers=consumer.headers, json=complaint_body(title="坏\u0000标题"))
    assert r.status_code == 400 and r.get_json()["code"] == "bad_request"
    assert client.get("/api/v1/businesses?q=%00abc").status_code == 400
    assert client.get("/api/v1/uploads/%00", headers=consumer.headers).status_code == 400
    # An escaped backslash followed by "u0000" is ordinary text.
    r = client.post("/api/v1/complaints", headers=consumer.headers,
                    json=complaint_body(description="路径写作 C:\\u0000\\file，商家拒绝处理退货"))
    assert r.status_code == 201, r.get_json()
    for path in ("/api/v1/complaints/2147483648", "/api/v1/complaints/99999999999999999999999",
                 "/api/v1/businesses/9223372036854775809"):
        r = client.get(path, headers=consumer.headers)
        assert r.status_code == 404, path
    r = client.post("/api/v1/complaints", headers=consumer.headers, json=complaint_body(amount_claimed="1e300"))
    assert r.status_code == 422
