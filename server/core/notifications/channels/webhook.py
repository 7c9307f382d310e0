"""Signed webhooks to the business's own systems (API.md): every non-2xx answer is retried.

The URL is checked again at send time (DNS may have changed since creation), and the request goes to
the address that was checked: the host is resolved once (webhooks.resolve_checked), every address
must be public (unless WEBHOOK_ALLOW_PRIVATE_NETWORKS), and the connection is made to the first one
getaddrinfo returned, never to a second resolution, which a hostile DNS server could answer with an
internal address (DNS rebinding). The request still carries the URL's Host header and path; over
https the TLS handshake sends the URL's host name as SNI and the certificate is verified against that
name (not the IP) with the certifi CA bundle (CA_CERTS). Only that one address is tried: if it
refuses, the attempt is retried later like any connection error.

Redirects are not followed (a redirect could lead inside the network); requests time out after
WEBHOOK_TIMEOUT_SECONDS (default 5). Each attempt's status, a response excerpt and the duration are
recorded. A host that does not resolve at send time is retried (DNS may be down for a while); an
unsafe URL or address fails the row.
"""
from __future__ import annotations

import time
from urllib.parse import SplitResult

import certifi
import urllib3

from server.core.errors import PermanentDeliveryError, TransientDeliveryError
from server.core.models import Webhook
from server.core.notifications.channels import Outcome, Skip, register
from server.core.notifications.webhooks import body_for, decrypt_secret, ensure_sendable, sign

EXCERPT_CHARS = 500
USER_AGENT = "Smart315-Webhook/1"
CA_CERTS = certifi.where()  # CA bundle for https webhooks (tests point it at a test CA)


def _pool(parts: SplitResult, address: str, timeout: float) -> urllib3.HTTPConnectionPool:
    """A one-off connection pool to `address` (the checked IP), speaking for the URL's host name."""
    host = f"[{address.replace('%', '%25')}]" if ":" in address else address  # IPv6 (with zone)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    options = dict(port=port, maxsize=1, retries=False, timeout=urllib3.Timeout(connect=timeout, read=timeout))
    if parts.scheme == "https":
        # SNI and certificate verification use the URL's host name; the socket goes to `address`.
        # With server_hostname set (and no assert_hostname), urllib3 lets the ssl module verify the
        # name during the handshake (check_hostname), as it does for any https URL.
        return urllib3.HTTPSConnectionPool(host, server_hostname=(parts.hostname or "").rstrip("."),
                                           cert_reqs="CERT_REQUIRED", ca_certs=CA_CERTS, **options)
    return urllib3.HTTPConnectionPool(host, **options)


@register("webhook")
def send(ctx, row) -> Outcome:
    with ctx.db.session() as s:
        hook = s.get(Webhook, int(row.target)) if (row.target or "").isdigit() else None
        if hook is None or hook.deleted_at is not None:
            raise Skip("webhook deleted")
        url, secret = hook.url, decrypt_secret(ctx.settings, hook)
    record = {"webhook_id": int(row.target), "status_code": None, "response_excerpt": None, "error": None,
              "duration_ms": 0}
    try:
        parts, address = ensure_sendable(ctx.settings, url)
    except PermanentDeliveryError as exc:
        record["error"] = str(exc)
        return Outcome("failed", str(exc), record)
    except TransientDeliveryError as exc:
        record["error"] = str(exc)
        return Outcome("retry", str(exc), record)
    body = body_for(row)
    delivery_id = (row.payload or {}).get("delivery_id") or ""
    headers = {
        "Host": parts.netloc,  # host[:port] as written in the URL (user info is refused)
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "X-Smart315-Event": row.event_type,
        "X-Smart315-Delivery": delivery_id,
        "X-Smart315-Signature": sign(secret, int(time.time()), body),
    }
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    timeout = float(ctx.settings["WEBHOOK_TIMEOUT_SECONDS"])
    started = time.perf_counter()
    try:
        pool = _pool(parts, address, timeout)
        try:
            resp = pool.urlopen("POST", target, body=body, headers=headers, redirect=False, retries=False,
                                timeout=urllib3.Timeout(connect=timeout, read=timeout), preload_content=False)
            try:
                excerpt = resp.read(EXCERPT_CHARS * 4, decode_content=True) or b""
            finally:
                resp.close()
        finally:
            pool.close()
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        record["duration_ms"] = int((time.perf_counter() - started) * 1000)
        record["error"] = f"{type(exc).__name__}"
        return Outcome("retry", f"webhook request failed: {type(exc).__name__}", record)
    record["duration_ms"] = int((time.perf_counter() - started) * 1000)
    record["status_code"] = resp.status
    record["response_excerpt"] = excerpt.decode("utf-8", "replace")[:EXCERPT_CHARS]
    if 200 <= resp.status < 300:
        return Outcome("sent", None, record)
    return Outcome("retry", f"webhook answered HTTP {resp.status}", record)
