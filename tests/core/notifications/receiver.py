"""A real webhook receiver for tests: an HTTP server in a thread that checks every signature the way
API.md tells integrators to, records what arrived, and can answer errors or hold requests."""
from __future__ import annotations

import contextlib
import json
import threading
from collections import Counter
from collections.abc import Iterator

from flask import Flask, Response, request

from server.core.notifications.webhooks import verify_signature
from server.simulators.runner import start_in_thread


class Receiver:
    def __init__(self) -> None:
        self.secrets: list[str] = []
        self.lock = threading.Lock()
        self.requests: list[dict] = []  # every request, verified or not
        self.status_plan: list[int] = []  # answer these statuses first, then 200
        self.hold_first = 0  # hold this many requests until release() (or the client goes away)
        self.held = threading.Event()
        self._release = threading.Event()
        self.app = self._build()
        self.url = ""

    def _build(self) -> Flask:
        app = Flask("webhook-receiver")

        @app.post("/hook")
        def hook():
            raw = request.get_data()
            header = request.headers.get("X-Smart315-Signature", "")
            ok = any(verify_signature(s, header, raw) for s in self.secrets)
            body = json.loads(raw)
            with self.lock:
                entry = {"delivery": request.headers.get("X-Smart315-Delivery"),
                         "event": request.headers.get("X-Smart315-Event"), "signature_ok": ok, "body": body}
                self.requests.append(entry)
                hold = self.hold_first > 0
                if hold:
                    self.hold_first -= 1
                status = self.status_plan.pop(0) if self.status_plan else 200
            if hold:
                self.held.set()
                self._release.wait(30)
            if not ok:
                return Response("bad signature", status=400)
            return Response(json.dumps({"ok": status < 300}), status=status, content_type="application/json")

        return app

    def release(self) -> None:
        self._release.set()

    @property
    def hook_url(self) -> str:
        return self.url + "/hook"

    def verified(self) -> list[dict]:
        with self.lock:
            return [r for r in self.requests if r["signature_ok"]]

    def delivery_counts(self) -> Counter:
        return Counter(r["delivery"] for r in self.verified())


@contextlib.contextmanager
def running_receiver() -> Iterator[Receiver]:
    rec = Receiver()
    rec.url, shutdown = start_in_thread(rec.app)
    try:
        yield rec
    finally:
        rec.release()
        shutdown()
