"""HTTP caching of public JSON, done the web's way: a strong ETag of the exact body, `Cache-Control:
public, max-age=PUBLIC_HTTP_MAX_AGE`, and `304 Not Modified` for a matching `If-None-Match`, so nginx's
micro-cache, a CDN and every client can reuse an answer. Used by `server.api.public_cache.cached` (through
Flask) and by the fast path in front of Flask (server/fastpath.py): both answer the same headers.

The ETag is a hash of the body, so it changes exactly when the body does; the max-age is short because
public figures change with every transition, and revalidation with the ETag costs a 304 of no body."""
from __future__ import annotations

import hashlib


def etag_for(text: str) -> str:
    return '"' + hashlib.blake2b(text.encode("utf-8"), digest_size=12).hexdigest() + '"'


def not_modified(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 §13.1.2: `*`, or the ETag among the listed ones (weak comparison: W/ prefixes ignored)."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    bare = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == bare for tag in if_none_match.split(","))


def cache_control(settings, exact: bool = False) -> str:
    """Aggregates (stats, rankings, industries: already served on a freshness window) may be reused for
    PUBLIC_HTTP_MAX_AGE seconds; resources that are exact after each commit (a business profile, the index
    method, the public cases) are revalidated on every use: `no-cache` costs a 304 without a body."""
    if exact:
        return "public, no-cache"
    return f"public, max-age={int(settings.get('PUBLIC_HTTP_MAX_AGE', 15))}"
