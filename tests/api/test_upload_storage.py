"""Upload storage (issue 23.5): local directory or an S3-compatible bucket (moto's S3 server, tests/storage.py).
Whichever the store: uploads land there, downloads check visibility first and stream with the same headers."""
from __future__ import annotations

import io
import os
import socket
from pathlib import Path

import pikepdf
import pytest
from sqlalchemy import func, select

from server.core.models import Upload
from server.core.storage import get_store
from tests.factories import file_complaint, png_bytes
from tests.storage import both_backends, stored_objects


def upload(client, who, data: bytes, name="evidence.png"):
    return client.post("/api/v1/uploads", headers=who.headers, data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def big_pdf(size: int = 3 * 1024 * 1024) -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.Root.Evidence = pdf.make_stream(os.urandom(size))  # incompressible: stays ~size after re-writing
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


@both_backends
def test_upload_lands_in_the_configured_store_and_downloads_with_the_same_headers(client, auth, settings,
                                                                                upload_backend):
    consumer = auth.consumer()
    r = upload(client, consumer, png_bytes())
    assert r.status_code == 201, r.get_json()
    uid = r.get_json()["id"]
    [(name, data)] = stored_objects(settings).items()
    if upload_backend == "s3":  # nothing on this machine's disk
        assert not [p for p in Path(settings["UPLOAD_DIR"]).rglob("*") if p.is_file()]
    dl = client.get(f"/api/v1/uploads/{uid}", headers=consumer.headers)
    assert dl.status_code == 200
    assert dl.data == data
    assert dl.headers["Content-Type"] == "image/png"
    assert dl.headers["Content-Length"] == str(len(data))
    assert dl.headers["Content-Disposition"] == f"attachment; filename=evidence-{uid}.png"
    assert dl.headers["X-Content-Type-Options"] == "nosniff"
    assert dl.headers["Cache-Control"] == "private, no-store"
    assert dl.headers["ETag"] and dl.headers["Last-Modified"]
    again = client.get(f"/api/v1/uploads/{uid}", headers={**consumer.headers, "If-None-Match": dl.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    part = client.get(f"/api/v1/uploads/{uid}", headers={**consumer.headers, "Range": "bytes=8-15"})
    assert part.status_code == 206 and part.data == data[8:16]


@both_backends
def test_download_is_for_those_who_may_see_the_complaint(client, auth, settings):
    _, biz = auth.business()
    consumer = auth.consumer("王五", phone="13600136000")
    stranger = auth.consumer("赵六", phone="13500135000")
    uid = upload(client, consumer, png_bytes()).get_json()["id"]
    file_complaint(client, consumer, biz["id"], attachment_ids=[uid])
    for who, status in ((consumer, 200), (stranger, 404)):
        r = client.get(f"/api/v1/uploads/{uid}", headers=who.headers)
        assert r.status_code == status
    r = client.get(f"/api/v1/uploads/{uid}", headers=stranger.headers)
    assert r.headers["Content-Type"].startswith("application/problem+json")
    assert png_bytes()[:8] not in r.data
    assert client.get(f"/api/v1/uploads/{uid}").status_code in (401, 404)


@pytest.mark.parametrize("upload_backend", ["s3"])
def test_s3_visibility_is_checked_before_the_object_is_fetched(client, auth, settings):
    cfg = settings
    owner, stranger = auth.consumer(), auth.consumer("路人", phone="13400134000")
    uid = upload(client, owner, png_bytes()).get_json()["id"]
    fetched = []
    get_store(cfg).client.meta.events.register("before-call.s3.GetObject", lambda **kw: fetched.append(1))
    assert client.get(f"/api/v1/uploads/{uid}", headers=stranger.headers).status_code == 404
    assert fetched == []  # the refusal never touched the bucket
    assert client.get(f"/api/v1/uploads/{uid}", headers=owner.headers).status_code == 200
    assert fetched == [1]


@both_backends
def test_big_downloads_are_streamed_in_chunks(client, auth, settings):
    consumer = auth.consumer()
    r = upload(client, consumer, big_pdf(), name="big.pdf")
    assert r.status_code == 201, r.get_json()
    [stored] = stored_objects(settings).values()
    assert len(stored) > 3 * 1024 * 1024
    dl = client.get(f"/api/v1/uploads/{r.get_json()['id']}", headers=consumer.headers, buffered=False)
    try:
        assert dl.is_streamed and dl.headers["Content-Length"] == str(len(stored))
        chunks = list(dl.response)
    finally:
        dl.close()
    assert len(chunks) > 1 and max(len(c) for c in chunks) <= 1024 * 1024  # never the whole file at once
    assert b"".join(chunks) == stored


def test_s3_unreachable_is_a_503_problem_and_stores_nothing(client, auth, app, db):
    cfg = app.config["SMART315"]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cfg.update({"UPLOAD_STORAGE": "s3", "S3_ENDPOINT_URL": f"http://127.0.0.1:{port}", "S3_BUCKET": "gone",
                "S3_ACCESS_KEY_ID": "k", "S3_SECRET_ACCESS_KEY": "s", "S3_REGION": "us-east-1",
                "S3_ADDRESSING_STYLE": "path", "S3_TIMEOUT_SECONDS": 2})
    r = upload(client, auth.consumer(), png_bytes())
    assert r.status_code == 503 and r.headers["Content-Type"].startswith("application/problem+json")
    assert "存储" in r.get_json()["detail"]
    with db.session() as s:
        assert s.execute(select(func.count()).select_from(Upload)).scalar() == 0


def test_misconfigured_storage_refuses_to_start(settings_overrides):
    from server.app import create_app

    for bad in ({"UPLOAD_STORAGE": "ftp"}, {"UPLOAD_STORAGE": "s3"},
                {"UPLOAD_STORAGE": "s3", "S3_BUCKET": "b", "S3_ADDRESSING_STYLE": "sideways"}):
        with pytest.raises(RuntimeError, match="UPLOAD_STORAGE|S3_"):
            create_app({**settings_overrides, **bad})


@pytest.mark.parametrize("upload_backend", ["s3"])
def test_readyz_reports_the_bucket(client, settings):
    assert client.get("/readyz").get_json()["checks"]["storage"] == "ok"
    settings["S3_BUCKET"] = "no-such-bucket"
    r = client.get("/readyz")
    assert r.status_code == 200 and r.get_json()["checks"]["storage"].startswith("error")
