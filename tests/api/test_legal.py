"""The privacy policy and user agreement (API.md "Mini-programs in the field"): versions and links, pages in
Chinese, and each user's consent recorded with time and channel."""
from __future__ import annotations

from server.core.legal import DOCUMENTS


def test_documents_have_versions_urls_and_pages(client):
    body = client.get("/api/v1/legal").get_json()
    assert set(body) == {"privacy", "terms"}
    for name, doc in body.items():
        assert doc["version"] == DOCUMENTS[name]["version"]
        assert doc["url"].endswith(f"/legal/{name}")
        page = client.get(f"/legal/{name}")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert doc["version"] in html and doc["title"] in html
    assert "个人信息保护法" in client.get("/legal/privacy").get_data(as_text=True)
    assert 'href="/legal/privacy"' in client.get("/").get_data(as_text=True)


def test_consent_is_recorded_once_per_version_with_its_channel(client, auth):
    who = auth.consumer()
    version = DOCUMENTS["privacy"]["version"]
    r = client.post("/api/v1/me/consents", headers=who.headers,
                    json={"document": "privacy", "version": version, "channel": "wechat"})
    assert r.status_code == 201, r.get_json()
    first = r.get_json()
    assert first["channel"] == "wechat" and first["current"] is True and first["agreed_at"]
    again = client.post("/api/v1/me/consents", headers=who.headers, json={"document": "privacy", "version": version})
    assert again.status_code == 201 and again.get_json() == first  # the first agreement stands
    client.post("/api/v1/me/consents", headers=who.headers,
                json={"document": "terms", "version": DOCUMENTS["terms"]["version"]})
    items = client.get("/api/v1/me/consents", headers=who.headers).get_json()["items"]
    assert [(i["document"], i["channel"]) for i in items] == [("privacy", "wechat"), ("terms", "api")]
    other = auth.consumer(phone="13900000077")
    assert client.get("/api/v1/me/consents", headers=other.headers).get_json()["items"] == []


def test_an_outdated_or_unknown_document_is_refused_and_nothing_is_stored(client, auth):
    who = auth.consumer()
    r = client.post("/api/v1/me/consents", headers=who.headers, json={"document": "privacy", "version": "2020-01-01"})
    assert r.status_code == 409
    problem = r.get_json()
    assert "已更新" in problem["detail"] and problem["current_version"] == DOCUMENTS["privacy"]["version"]
    assert client.post("/api/v1/me/consents", headers=who.headers,
                       json={"document": "cookies", "version": "1"}).status_code == 422
    assert client.post("/api/v1/me/consents", json={"document": "privacy", "version": "x"}).status_code == 401
    assert client.get("/api/v1/me/consents", headers=who.headers).get_json()["items"] == []

