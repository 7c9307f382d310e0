"""Hostile uploads and downloads: path traversal on GET /uploads/<id>, very long ids, polyglots,
trailing data after the image, decompression bombs. Each is refused or neutralised."""
from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from tests.factories import png_bytes
from tests.storage import both_backends, stored_objects

# Every test here runs against local disk and against an S3 bucket (moto's S3 server, tests/storage.py).
pytestmark = both_backends


def upload(client, login, data: bytes, name="evidence.png"):
    return client.post("/api/v1/uploads", headers=login.headers, data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def stored_bytes(settings, upload_json) -> bytes:
    files = list(stored_objects(settings).values())
    assert len(files) == 1
    return files[0]


@pytest.mark.parametrize("evil", [
    "../../../../etc/passwd",
    "..%2F..%2F..%2F..%2Fetc%2Fpasswd",
    "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "..%252F..%252Fetc%252Fpasswd",
    "....//....//etc/passwd",
    "%00",
    "..\\..\\windows\\win.ini",
    "a" * 5000,
    "0" * 33,
])
def test_download_path_traversal_and_long_ids(client, auth, settings, evil):
    consumer = auth.consumer()
    # A real file sits in the upload directory; the secret one sits next to it, outside.
    assert upload(client, consumer, png_bytes()).status_code == 201
    secret = Path(settings["UPLOAD_DIR"]).parent / "secret.txt"
    secret.write_text("TOP-SECRET")
    r = client.get(f"/api/v1/uploads/{evil}", headers=consumer.headers)
    assert r.status_code in (400, 404, 414), (evil, r.status_code)
    assert b"TOP-SECRET" not in r.data and b"root:" not in r.data
    assert r.headers["Content-Type"].startswith("application/problem+json")


def test_png_with_trailing_script_is_reencoded(client, auth, settings):
    consumer = auth.consumer()
    payload = b"<script>alert(document.cookie)</script><?php system($_GET['c']); ?>"
    r = upload(client, consumer, png_bytes() + payload)
    assert r.status_code == 201
    data = stored_bytes(settings, r.get_json())
    assert payload not in data and b"<script" not in data and b"<?php" not in data
    Image.open(io.BytesIO(data)).verify()  # still a valid image
    dl = client.get(f"/api/v1/uploads/{r.get_json()['id']}", headers=consumer.headers)
    assert dl.headers["Content-Type"] == "image/png"
    assert dl.headers["Content-Disposition"].startswith("attachment")
    assert dl.headers["X-Content-Type-Options"] == "nosniff"


def test_exif_gps_is_stripped(client, auth, settings):
    consumer = auth.consumer()
    img = Image.new("RGB", (32, 32), (10, 200, 10))
    exif = Image.Exif()
    exif[0x010F] = "SpyCam Maker"  # Make
    exif[0x8825] = {1: "N", 2: (39.0, 54.0, 27.0), 3: "E", 4: (116.0, 23.0, 17.0)}  # GPS IFD
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif)
    assert b"SpyCam" in buf.getvalue()
    r = upload(client, consumer, buf.getvalue(), "photo.jpg")
    assert r.status_code == 201
    data = stored_bytes(settings, r.get_json())
    assert b"SpyCam" not in data and b"Exif" not in data
    assert not Image.open(io.BytesIO(data)).getexif()


def test_html_polyglot_with_image_magic_is_refused(client, auth):
    consumer = auth.consumer()
    fake = b"\x89PNG\r\n\x1a\n" + b"<html><body><script>alert(1)</script></body></html>" * 20
    r = upload(client, consumer, fake, "x.png")
    assert r.status_code == 415
    gif = b"GIF89a<script>alert(1)</script>"  # type by content: GIF is not allowed at all
    assert upload(client, consumer, gif, "x.gif").status_code == 415
    html = b"<!doctype html><script>alert(1)</script>"
    assert upload(client, consumer, html, "x.png").status_code == 415
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'
    assert upload(client, consumer, svg, "x.svg").status_code == 415


def test_pdf_polyglot_is_served_as_inert_attachment(client, auth):
    consumer = auth.consumer()
    from tests.security.test_probe_findings import pdf_bytes

    pdf_html = pdf_bytes() + b"\n<html><script>alert(document.domain)</script></html>\n%%EOF"
    r = upload(client, consumer, pdf_html, "invoice.html")
    assert r.status_code == 201 and r.get_json()["mime"] == "application/pdf"
    dl = client.get(f"/api/v1/uploads/{r.get_json()['id']}", headers=consumer.headers)
    # The browser is told: a PDF, to be downloaded, never sniffed into HTML, and nothing may run in it.
    assert dl.headers["Content-Type"] == "application/pdf"
    assert dl.headers["Content-Disposition"].startswith("attachment")
    assert dl.headers["X-Content-Type-Options"] == "nosniff"
    assert dl.headers["Content-Security-Policy"].startswith("default-src 'none'")


def _png_bomb(width: int, height: int) -> bytes:
    """A greyscale PNG whose few KB inflate to width*height bytes of zeros."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    row = b"\x00" + b"\x00" * width
    comp = zlib.compressobj(9)
    raw = b"".join(comp.compress(row) for _ in range(height)) + comp.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


@pytest.mark.parametrize("width,height", [(12_000, 12_000), (8_000, 7_000)])
def test_decompression_bomb_is_refused(client, auth, width, height):
    """144 Mpx is past Pillow's hard limit; 56 Mpx is past ours (50 Mpx) but only warned about by Pillow."""
    consumer = auth.consumer()
    bomb = _png_bomb(width, height)
    assert len(bomb) < 200_000
    r = upload(client, consumer, bomb, "bomb.png")
    assert r.status_code == 415, r.get_json()
