"""Static assets served the web's way: versioned URLs cached for a year, everything else revalidated, and
text compressed for the clients that accept it (issue 21.5: the home page's first load).

- `asset(path)` (a Jinja global) is `/static/<path>?v=<content hash>`. A request carrying the current hash
  is answered `Cache-Control: public, max-age=31536000, immutable`: the URL changes whenever the file does.
  Any other static request (the ES modules' relative imports such as `./lib.js`, an old or missing `v`) is
  `public, no-cache`: the browser revalidates with the ETag Flask's send_file gives and gets a 304.
- Flask-Compress compresses HTML, CSS, JavaScript and SVG (zstd, br, gzip or deflate, whichever the client
  accepts first in that order). A strong ETag gets the coding appended (`"x"` -> `"x:gzip"`) and the
  conditional request is evaluated after compression, so `If-None-Match` still answers 304. Public JSON is
  left alone: its ETag/304 and the fast path in front of Flask (server/http_cache.py, server/fastpath.py)
  answer identical bytes with or without Flask, and nginx compresses it in production (deploy/nginx).
  Already-compressed types (images, PDF, uploads) are not in the list.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Flask, request
from flask_compress import Compress

STATIC = Path(__file__).parent / "static"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "public, no-cache"
COMPRESSED_TYPES = ["text/html", "text/css", "text/javascript", "application/javascript", "image/svg+xml",
                    "text/plain"]

_versions: dict[str, tuple[float, str]] = {}


def version(path: str) -> str:
    """A short hash of the file's bytes (recomputed when its mtime changes; '' for a missing file)."""
    file = STATIC / path
    try:
        mtime = file.stat().st_mtime
    except OSError:
        return ""
    known = _versions.get(path)
    if known is None or known[0] != mtime:
        known = (mtime, hashlib.blake2b(file.read_bytes(), digest_size=6).hexdigest())
        _versions[path] = known
    return known[1]


def asset(path: str) -> str:
    v = version(path)
    return f"/static/{path}?v={v}" if v else f"/static/{path}"


def static_cache_headers(resp):
    if request.endpoint == "web.static" and resp.status_code in (200, 304):
        filename = (request.view_args or {}).get("filename", "")
        fresh = request.args.get("v") and request.args.get("v") == version(filename)
        resp.headers["Cache-Control"] = IMMUTABLE if fresh else REVALIDATE
        resp.expires = None
    return resp


def init_assets(app: Flask) -> None:
    app.after_request(static_cache_headers)
    app.jinja_env.globals["asset"] = asset
    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESSED_TYPES)
    # Static files are streamed from disk (send_file): compressed as a stream, gzip included, and their
    # If-None-Match evaluated after compression like any other response.
    app.config.setdefault("COMPRESS_ALGORITHM_STREAMING", ["zstd", "br", "gzip", "deflate"])
    app.config.setdefault("COMPRESS_STREAMING_ENDPOINT_CONDITIONAL", ["web.static"])
    Compress(app)
