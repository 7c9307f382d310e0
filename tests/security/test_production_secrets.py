"""Issue 15.2: outside SMART315_ENV=development no process starts on a published default secret or a
CHANGE-ME placeholder, and each refusal names the setting. With the default SECRET_KEY an admin token
could be forged; in production the server now does not start at all, so there is nothing to forge against."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from server.app import create_app
from server.config import InsecureSettings, insecure_secrets, load_config
from tests.security.procs import ROOT, free_port

PUBLISHED = ["SECRET_KEY", "FIELD_ENCRYPTION_KEY", "WECHAT_OA_TOKEN", "WECHAT_OA_SECRET", "WECHAT_MINI_SECRET"]


def secret_names() -> list[str]:
    """Every secret setting that has a development default (AUDIT_KEY and later ones included)."""
    return insecure_secrets(load_config(environ={}))


def real_secrets() -> dict[str, str]:
    return {name: f"real-{name.lower()}-9f2c1e7a4b" for name in secret_names()}


def test_every_published_default_is_a_refused_secret():
    assert set(PUBLISHED) <= set(secret_names())


@pytest.mark.parametrize("name", sorted(set(PUBLISHED) | set(secret_names())))
@pytest.mark.parametrize("bad", ["default", "CHANGE-ME"])
def test_production_app_refuses_each_default_by_name(database_url, name, bad):
    over = {**real_secrets(), "DATABASE_URL": database_url, "SMART315_ENV": "production", "SMART315_TESTING": True}
    over[name] = load_config(environ={})[name] if bad == "default" else "CHANGE-ME"
    with pytest.raises(InsecureSettings) as refused:
        create_app(over)
    assert refused.value.names == [name]
    assert name in str(refused.value)


def test_production_app_starts_with_real_secrets_and_development_accepts_defaults(database_url):
    assert create_app({**real_secrets(), "DATABASE_URL": database_url, "SMART315_ENV": "production",
                       "SMART315_TESTING": True, "EMBEDDED_WORKER": False})
    assert create_app({"DATABASE_URL": database_url, "SMART315_ENV": "development", "SMART315_TESTING": True,
                       "EMBEDDED_WORKER": False})


def _env(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in set(secret_names()) | {"SMART315_ENV"}}
    return {**env, "DATABASE_URL": database_url, "REDIS_URL": "", **extra}


@pytest.mark.parametrize("command", [["worker", "--once"], ["scheduler", "--once"], ["serve"]])
def test_cli_processes_refuse_to_start_naming_the_setting(database_url, command):
    env = _env(database_url, **{**real_secrets(), "SECRET_KEY": ""})  # unset: the published default
    if command == ["serve"]:
        command = ["serve", "--bind", f"127.0.0.1:{free_port()}", "--workers", "1"]
    out = subprocess.run([sys.executable, "-m", "server.cli", *command], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 2, out.stderr[-2000:]
    assert "SECRET_KEY" in out.stderr and "FIELD_ENCRYPTION_KEY" not in out.stderr


def test_gunicorn_with_the_default_secret_never_serves_a_forged_admin_token(database_url):
    """The probe forged an admin token with the published SECRET_KEY; production gunicorn exits instead."""
    port = free_port()
    env = _env(database_url, **{**real_secrets(), "SECRET_KEY": "", "WECHAT_OA_TOKEN": "CHANGE-ME"})
    out = subprocess.run([sys.executable, "-m", "gunicorn", "-c", str(ROOT / "deploy" / "gunicorn.conf.py"),
                          "server.wsgi:app", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode != 0
    assert "SECRET_KEY" in out.stderr and "WECHAT_OA_TOKEN" in out.stderr
    assert "Traceback" not in out.stderr


def test_wsgi_module_refuses_too(database_url):
    env = _env(database_url, **{**real_secrets(), "FIELD_ENCRYPTION_KEY": ""})
    out = subprocess.run([sys.executable, "-c", "import server.wsgi"], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 2
    assert "FIELD_ENCRYPTION_KEY" in out.stderr
