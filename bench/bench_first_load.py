"""Bytes a phone transfers to open the home page the first time (issue 21.5: at most 300 KB).

    .venv/bin/python bench/bench_first_load.py [--url http://127.0.0.1:8000] [--out bench/results/first_load.json]

Debian's headless Chromium (through Playwright) opens `--url`/ in a fresh context at 390×844 (empty cache),
waits until both charts are drawn and the network is idle, and sums every response's transferred size as the
DevTools protocol reports it (Network.loadingFinished's encodedDataLength: headers and body as they crossed
the wire). A second page in the same context shows what a returning visitor transfers. Serve the app first,
e.g. `make run` (SQLite with demo data); tests/web/test_first_load_browser.py asserts the same budget.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 390, "height": 844}
BUDGET = 300_000


def first_load(page, path: str = "/") -> list[dict]:
    """Open `path` in `page` and return every response: url, status, content-encoding, transferred bytes."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    responses: dict[str, dict] = {}

    def received(e):
        headers = {k.lower(): v for k, v in e["response"]["headers"].items()}
        responses.setdefault(e["requestId"], {}).update(
            url=e["response"]["url"], status=e["response"]["status"], encoding=headers.get("content-encoding"))

    cdp.on("Network.responseReceived", received)
    cdp.on("Network.loadingFinished",
           lambda e: responses.setdefault(e["requestId"], {}).update(transferred=int(e["encodedDataLength"])))
    page.goto(path)
    page.wait_for_load_state("networkidle")
    if path == "/":
        page.locator("#figures:not([aria-busy])").wait_for()
        page.locator("#chart-monthly canvas").first.wait_for()
        page.locator("#chart-industries canvas").first.wait_for()
    page.wait_for_timeout(300)  # the last loadingFinished events
    return [r for r in responses.values() if "url" in r and not r["url"].startswith("data:")]


def table(responses: list[dict]) -> str:
    rows = sorted(responses, key=lambda r: -r.get("transferred", 0))
    return "\n".join(f"{r.get('transferred', 0):>9,}  {r.get('encoding') or '-':>7}  {r['status']}  {r['url']}"
                     for r in rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", default="http://127.0.0.1:8000")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        ctx = browser.new_context(base_url=args.url, viewport=PHONE, is_mobile=True, has_touch=True,
                                  locale="zh-CN")
        first = first_load(ctx.new_page())
        again = first_load(ctx.new_page())
        browser.close()
    total, repeat = sum(r.get("transferred", 0) for r in first), sum(r.get("transferred", 0) for r in again)
    print(table(first))
    print(f"first load: {total:,} bytes in {len(first)} responses (budget {BUDGET:,}: "
          f"{'within' if total <= BUDGET else 'OVER'}); second visit: {repeat:,} bytes in {len(again)} responses")
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps({"url": args.url, "first_load_bytes": total, "second_visit_bytes": repeat,
                                              "first": first, "again": again}, indent=2))


if __name__ == "__main__":
    main()
