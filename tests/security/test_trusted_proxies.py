"""Behind the shipped nginx (TRUSTED_PROXIES=1) rate limits see the client's address, not the proxy's: two
clients get two budgets, and an X-Forwarded-For a client sends itself changes nothing. The shipped files
(deploy/env.example, the nginx site, deploy/README.md) set it up that way."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from server.config import load_config

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
CLASSIFY = "/api/v1/assist/classify"


@pytest.fixture
def proxied(settings_overrides):
    """The app as nginx reaches it: from 127.0.0.1, one trusted proxy in front, three requests a minute per caller."""
    from server.api.limits import reset_limits
    from server.app import create_app

    app = create_app({**settings_overrides, "TRUSTED_PROXIES": 1, "ASSIST_RATE_LIMIT": "3/minute"})
    reset_limits(app)
    return app.test_client()


def _classify(client, forwarded: str | None):
    headers = {"X-Forwarded-For": forwarded} if forwarded is not None else {}
    return client.post(CLASSIFY, json={"text": "冰箱漏水商家不修"}, headers=headers,
                       environ_base={"REMOTE_ADDR": "127.0.0.1"})


def test_two_clients_behind_the_proxy_have_their_own_budgets(proxied):
    assert [_classify(proxied, "203.0.113.7").status_code for _ in range(4)] == [200, 200, 200, 429]
    # Another client behind the same nginx is not limited by the first one's use.
    assert [_classify(proxied, "198.51.100.23").status_code for _ in range(3)] == [200, 200, 200]


def test_a_spoofed_forwarded_entry_does_not_change_the_counted_address(proxied):
    # nginx overwrites X-Forwarded-For with $remote_addr; with an appending proxy the client's own entries
    # would come first. Either way only the last entry, the one the trusted proxy wrote, is counted.
    codes = [_classify(proxied, f"10.9.8.{i}, 203.0.113.7").status_code for i in range(4)]
    assert codes == [200, 200, 200, 429]
    assert _classify(proxied, "203.0.113.7").status_code == 429


def test_without_trusted_proxies_a_forwarded_header_is_ignored(settings_overrides):
    from server.api.limits import reset_limits
    from server.app import create_app

    app = create_app({**settings_overrides, "TRUSTED_PROXIES": 0, "ASSIST_RATE_LIMIT": "2/minute"})
    reset_limits(app)
    client = app.test_client()
    # A client that invents a new address on every request still has one budget: its own.
    assert [_classify(client, f"203.0.113.{i}").status_code for i in range(3)] == [200, 200, 429]


def _env_file() -> dict[str, str]:
    out = {}
    for line in (DEPLOY / "env.example").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            out[key.strip()] = value.strip()
    return out


def test_the_shipped_configuration_trusts_exactly_the_nginx_in_front():
    env = _env_file()
    assert env["TRUSTED_PROXIES"] == "1"
    assert load_config(environ=env)["TRUSTED_PROXIES"] == 1
    site = "\n".join(line.split("#", 1)[0] for line in
                     (DEPLOY / "nginx" / "smart315.conf").read_text(encoding="utf-8").splitlines())
    forwarded = re.findall(r"^\s*proxy_set_header\s+X-Forwarded-For\s+(\S+);", site, re.M)
    assert forwarded and all(v == "$remote_addr" for v in forwarded), forwarded  # overwritten, never appended
    assert "$proxy_add_x_forwarded_for" not in site
    assert "TRUSTED_PROXIES=1" in (DEPLOY / "README.md").read_text(encoding="utf-8")
