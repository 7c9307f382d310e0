"""Browser fixtures: the test app served by werkzeug in a thread, and Debian's headless Chromium via Playwright.

A failing browser test leaves a full-page screenshot of every open page in test-artifacts/.
"""
from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-dev-shm-usage"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
def live_server(app):
    """The `app` fixture's app on 127.0.0.1:<free port>; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


class BrowserErrors:
    """Console errors and CSP violations seen by the pages: a strict CSP must not break anything."""

    def __init__(self):
        self.messages: list[str] = []
        self.page_errors: list[str] = []  # uncaught exceptions in the page's scripts

    def watch(self, page):
        page.on("console", lambda m: self.messages.append(f"{page.url}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: self.page_errors.append(f"{page.url}: {e}"))


@pytest.fixture
def browser_errors():
    return BrowserErrors()


@pytest.fixture
def new_context(browser, live_server, request, browser_errors):
    """Factory of isolated browser contexts (one per role: their own cookies), closed after the test."""
    contexts = []

    def make(viewport=None, **options):
        ctx = browser.new_context(base_url=live_server, locale="zh-CN", timezone_id="Asia/Shanghai",
                                  viewport=viewport or {"width": 1280, "height": 900}, **options)
        ctx.set_default_timeout(10000)
        ctx.on("page", browser_errors.watch)
        contexts.append(ctx)
        return ctx

    yield make
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    if failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)
        for i, ctx in enumerate(contexts):
            for j, page in enumerate(ctx.pages):
                try:
                    page.screenshot(path=str(ARTIFACTS / f"{name}-{i}-{j}.png"), full_page=True)
                except Exception:  # a crashed page must not hide the original failure
                    pass
    for ctx in contexts:
        ctx.close()
