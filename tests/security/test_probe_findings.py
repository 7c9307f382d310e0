"""One test per finding of the outside probe's items 8, 10, 11 and 12 (issue 15): each failed before its fix."""
from __future__ import annotations

import io
import zipfile

import pikepdf
import pytest

from server.core.notifications.webhooks import UnsafeUrl, resolve_checked
from server.simulators.wechat import build_oa_echo, build_oa_event
from tests.factories import act, complaint_body, file_complaint
from tests.storage import both_backends, stored_objects

OA_TOKEN = "smart315devtoken"


def assert_problem(r, *statuses):
    assert r.status_code in statuses, (r.status_code, r.get_data(as_text=True)[:500])
    assert r.mimetype == "application/problem+json"
    body = r.get_json()
    assert body["status"] == r.status_code and body["detail"]
    return body


def pdf_bytes(active: bool = False) -> bytes:
    """A one-page PDF; with `active`, an OpenAction JavaScript, page and document additional actions, a
    Launch link and an embedded file."""
    pdf = pikepdf.new()
    pdf.add_blank_page()
    if active:
        js = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Action, S=pikepdf.Name.JavaScript,
                                                  JS=pikepdf.String("app.alert('owned')")))
        pdf.Root.OpenAction = js
        pdf.Root.AA = pikepdf.Dictionary(WC=js)
        pdf.pages[0].obj.AA = pikepdf.Dictionary(O=js)
        launch = pikepdf.Dictionary(S=pikepdf.Name.Launch, F=pikepdf.String("cmd.exe"))
        pdf.pages[0].obj.Annots = pdf.make_indirect(pikepdf.Array([pikepdf.Dictionary(
            Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=[0, 0, 10, 10], A=launch)]))
        pdf.attachments["payload.exe"] = pikepdf.AttachedFileSpec(pdf, b"MZ-evil-payload")
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def upload(client, login, data: bytes, name="evidence.pdf"):
    return client.post("/api/v1/uploads", headers=login.headers, data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def stored(settings) -> bytes:
    [data] = stored_objects(settings).values()
    return data


# ------------------------------------------------------------------ 15.8: no 500s, every answer documented

def test_integers_of_2_31_and_more_are_refused_not_500(client, auth):
    consumer = auth.consumer()
    for big in (2**31, 2**63, 2**64):
        r = client.post("/api/v1/complaints", headers=consumer.headers, json=complaint_body(business_id=big))
        assert any(e["field"] == "business_id" for e in assert_problem(r, 422)["errors"])
        r = client.get(f"/api/v1/complaints?business_id={big}", headers=consumer.headers)
        assert_problem(r, 422)


def test_period_0000_01_is_refused_not_500(client):
    for period in ("0000-01", "9999-12"):
        for kind in ("json", "csv"):
            assert_problem(client.get(f"/api/v1/public/disclosures/{period}.{kind}"), 422)


def test_redeliver_reference_with_a_unicode_digit_is_404_not_500(client, auth):
    owner, biz = auth.business()
    for ref in ("²", "١٢", "99999999999999999999"):
        r = client.post(f"/api/v1/businesses/{biz['id']}/webhooks/deliveries/{ref}/redeliver", headers=owner.headers)
        assert_problem(r, 404)


def test_long_query_string_is_a_problem_414(client):
    r = client.get("/api/v1/public/businesses?q=" + "a" * 10000)
    assert assert_problem(r, 414)["code"] == "uri_too_long"


def test_openapi_documents_413_on_consult_401_on_optional_auth_and_errors_as_problems(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    consult = spec["paths"]["/consult"]["post"]["responses"]
    assert {"401", "413", "415", "414"} <= set(consult)
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            assert "414" in op["responses"], (method, path)
            if "requestBody" in op:
                assert "413" in op["responses"], (method, path)
            if {"bearer": []} in op.get("security", []):
                assert "401" in op["responses"], (method, path)
            for status, answer in op["responses"].items():
                if int(status) >= 400:
                    assert list(answer["content"]) == ["application/problem+json"], (method, path, status)


# ------------------------------------------------------------------ 15.10: uploads and money

@both_backends
def test_pdf_with_active_content_is_rewritten_without_it(client, auth, settings):
    consumer = auth.consumer()
    r = upload(client, consumer, pdf_bytes(active=True))
    assert r.status_code == 201, r.get_json()
    data = stored(settings)
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert len(pdf.pages) == 1
        assert "/OpenAction" not in pdf.Root and "/AA" not in pdf.Root and "/AA" not in pdf.pages[0].obj
        assert len(pdf.attachments) == 0
    for marker in (b"app.alert", b"cmd.exe", b"MZ-evil-payload", b"/JavaScript", b"/Launch"):
        assert marker not in data, marker
    assert r.get_json()["size"] == len(data)


@both_backends
def test_pdf_zip_polyglot_is_stored_as_a_clean_pdf_without_the_zip(client, auth, settings):
    consumer = auth.consumer()
    z = io.BytesIO()
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("evil.html", "<script>alert(1)</script>")
    r = upload(client, consumer, pdf_bytes() + z.getvalue())
    assert r.status_code == 201, r.get_json()
    data = stored(settings)
    assert b"PK\x03\x04" not in data and b"evil.html" not in data
    with pytest.raises(zipfile.BadZipFile):
        zipfile.ZipFile(io.BytesIO(data))
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert len(pdf.pages) == 1


@both_backends
def test_unparseable_pdf_is_a_422_problem_and_stores_nothing(client, auth, settings):
    consumer = auth.consumer()
    r = upload(client, consumer, b"%PDF-1.4\n<html><script>alert(1)</script></html>\n")
    assert any(e["field"] == "file" for e in assert_problem(r, 422)["errors"])
    assert stored_objects(settings) == {}


@pytest.mark.parametrize("amount", [True, "true", "1_000", "١٢٣", "１２３", "1e3"])
def test_money_accepts_ascii_digits_only(client, auth, amount):
    consumer = auth.consumer()
    r = client.post("/api/v1/complaints", headers=consumer.headers, json=complaint_body(amount_claimed=amount))
    [err] = [e for e in assert_problem(r, 422)["errors"] if e["field"] == "amount_claimed"]
    assert "金额" in err["message"]


# ------------------------------------------------------------------ 15.11: replayable WeChat callbacks

def test_wechat_callback_from_2001_is_refused(client):
    args, body = build_oa_event(token=OA_TOKEN, openid="o-probe", event="unsubscribe", timestamp=978307200)
    assert_problem(client.post("/wechat/oa/callback", query_string=args, data=body,
                               content_type="text/xml"), 403)
    echo = build_oa_echo(OA_TOKEN)
    echo_2001 = {**build_oa_echo(OA_TOKEN), "timestamp": "978307200"}
    from server.core.callback_signatures import wechat_signature

    echo_2001["signature"] = wechat_signature(OA_TOKEN, "978307200", echo_2001["nonce"])
    assert_problem(client.get("/wechat/oa/callback", query_string=echo_2001), 403)
    assert client.get("/wechat/oa/callback", query_string=echo).get_data(as_text=True) == "echo-from-wechat"


def test_wechat_callback_replay_is_refused(client):
    args, body = build_oa_event(token=OA_TOKEN, openid="o-probe", event="unsubscribe")
    first = client.post("/wechat/oa/callback", query_string=args, data=body, content_type="text/xml")
    assert first.status_code == 200, first.get_data(as_text=True)
    again = client.post("/wechat/oa/callback", query_string=args, data=body, content_type="text/xml")
    assert "已处理" in assert_problem(again, 403)["detail"]


# ------------------------------------------------------------------ 15.12: webhook addresses, /metrics, idempotency

@pytest.mark.parametrize("host", ["[2002:7f00:1::1]", "[::ffff:127.0.0.1]", "[64:ff9b::7f00:1]", "[::127.0.0.1]",
                                  "[2001:0:4136:e378:8000:63bf:80ff:fffe]", "[2002:a00:1::1]", "[64:ff9b::a9fe:a9fe]"])
def test_ipv6_forms_of_private_ipv4_are_refused_as_webhook_addresses(host):
    with pytest.raises(UnsafeUrl):
        resolve_checked(f"http://{host}/hook", allow_private=False)


def test_public_ipv6_and_6to4_of_a_public_ipv4_still_pass():
    assert resolve_checked("http://[2606:4700:4700::1111]/hook", allow_private=False)[1] == "2606:4700:4700::1111"
    assert resolve_checked("http://[2002:808:808::1]/hook", allow_private=False)[1] == "2002:808:808::1"


@pytest.fixture
def metrics_token_settings(settings_overrides):
    return {**settings_overrides, "METRICS_TOKEN": "metrics-token-7f1e"}


def test_metrics_needs_the_metrics_token(metrics_token_settings):
    from server.app import create_app

    client = create_app(metrics_token_settings).test_client()
    assert_problem(client.get("/metrics"), 401)
    assert_problem(client.get("/metrics", headers={"Authorization": "Bearer wrong"}), 401)
    ok = client.get("/metrics", headers={"Authorization": "Bearer metrics-token-7f1e"})
    assert ok.status_code == 200 and b"smart315_http_request_duration_seconds" in ok.data


def test_metrics_without_a_token_are_not_served_in_production(settings_overrides):
    from server.app import create_app

    real = {k: f"real-{k.lower()}-5d9a" for k in ("SECRET_KEY", "FIELD_ENCRYPTION_KEY", "WECHAT_OA_TOKEN",
                                                   "WECHAT_OA_SECRET", "WECHAT_MINI_SECRET")}
    from server.config import insecure_secrets, load_config

    real.update({k: f"real-{k.lower()}-5d9a" for k in insecure_secrets(load_config(environ={}))})
    client = create_app({**settings_overrides, **real, "SMART315_ENV": "production"}).test_client()
    assert_problem(client.get("/metrics"), 404)


def test_transition_retried_with_the_same_idempotency_key_gets_the_same_answer(client, auth):
    owner, biz = auth.business()
    consumer, mediator = auth.consumer(), auth.mediator("1101")
    c = file_complaint(client, consumer, biz["id"])
    headers = {**mediator.headers, "Idempotency-Key": "accept-once-1"}
    first = client.post(f"/api/v1/complaints/{c['id']}/transitions", headers=headers, json={"action": "accept"})
    assert first.status_code == 200, first.get_json()
    retry = client.post(f"/api/v1/complaints/{c['id']}/transitions", headers=headers, json={"action": "accept"})
    assert retry.status_code == 200, retry.get_json()
    assert retry.get_json() == first.get_json()
    assert [e["action"] for e in retry.get_json()["timeline"]].count("accept") == 1
    # Without the key the second accept is still a conflict, and a different body with the key is refused.
    act(client, mediator, c["id"], "accept", expect=409)
    other = client.post(f"/api/v1/complaints/{c['id']}/transitions", headers=headers, json={"action": "reject"})
    assert_problem(other, 409, 422)


def test_concurrent_retries_of_one_transition_with_one_key_all_get_the_answer(app, client, auth):
    import threading

    owner, biz = auth.business()
    consumer, mediator = auth.consumer(), auth.mediator("1101")
    c = file_complaint(client, consumer, biz["id"])
    results = []

    def send():
        with app.test_client() as tc:
            r = tc.post(f"/api/v1/complaints/{c['id']}/transitions",
                        headers={**mediator.headers, "Idempotency-Key": "weak-network-accept"}, json={"action": "accept"})
            results.append((r.status_code, r.get_json()))

    threads = [threading.Thread(target=send) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [s for s, _ in results] == [200] * 5, results
    assert len({str(b) for _, b in results}) == 1
