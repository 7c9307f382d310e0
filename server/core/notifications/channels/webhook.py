"""Signed webhooks to the business's own systems (API.md): every non-2xx answer is retried.

The URL is checked again at send time (DNS may have changed since creation); redirects are not
followed (a redirect could lead inside the network); requests time out after WEBHOOK_TIMEOUT_SECONDS
(default 5). Each attempt's status, a response excerpt and the duration are recorded.
"""
from __future__ import annotations

import time

import requests
import urllib3

from server.core.errors import PermanentDeliveryError
from server.core.models import Webhook
from server.core.notifications.channels import Outcome, Skip, register
from server.core.notifications.webhooks import body_for, decrypt_secret, ensure_sendable, sign

EXCERPT_CHARS = 500
USER_AGENT = "Smart315-Webhook/1"


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
        ensure_sendable(ctx.settings, url)
    except PermanentDeliveryError as exc:
        record["error"] = str(exc)
        return Outcome("failed", str(exc), record)
    body = body_for(row)
    delivery_id = (row.payload or {}).get("delivery_id") or ""
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "X-Smart315-Event": row.event_type,
        "X-Smart315-Delivery": delivery_id,
        "X-Smart315-Signature": sign(secret, int(time.time()), body),
    }
    timeout = float(ctx.settings.get("WEBHOOK_TIMEOUT_SECONDS") or 5)
    started = time.perf_counter()
    try:
        resp = requests.post(url, data=body, headers=headers, timeout=timeout, allow_redirects=False,
                             stream=True)
        try:
            excerpt = resp.raw.read(EXCERPT_CHARS * 4, decode_content=True) or b""
        finally:
            resp.close()
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
        record["duration_ms"] = int((time.perf_counter() - started) * 1000)
        record["error"] = f"{type(exc).__name__}"
        return Outcome("retry", f"webhook request failed: {type(exc).__name__}", record)
    record["duration_ms"] = int((time.perf_counter() - started) * 1000)
    record["status_code"] = resp.status_code
    record["response_excerpt"] = excerpt.decode("utf-8", "replace")[:EXCERPT_CHARS]
    if 200 <= resp.status_code < 300:
        return Outcome("sent", None, record)
    return Outcome("retry", f"webhook answered HTTP {resp.status_code}", record)
