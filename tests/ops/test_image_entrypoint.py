"""The image's own entry point (deploy/entrypoint.sh, the Dockerfile's ENTRYPOINT) started the way
deploy/compose.yaml starts it: env.example's values as the env_file, the compose `environment:` block over
them, and `/readyz` answered through the bound address (issue 23.4). Where a Docker daemon answers, the
image itself is built and run too."""
from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import requests
import yaml

from tests.security.procs import ROOT, free_port

DEPLOY = ROOT / "deploy"
ENTRYPOINT = DEPLOY / "entrypoint.sh"


def env_example() -> dict[str, str]:
    values = {}
    for line in (DEPLOY / "env.example").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            values[key.strip()] = value
    return values


def compose_environment() -> dict[str, str]:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    env = compose["x-app"]["environment"]
    return {k: re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", str(v)) for k, v in env.items()}


def dockerfile() -> str:
    return (DEPLOY / "Dockerfile").read_text(encoding="utf-8")


def test_the_dockerfile_runs_the_entry_point_and_compose_keeps_the_container_settings():
    text = dockerfile()
    assert 'ENTRYPOINT ["/app/deploy/entrypoint.sh"]' in text and 'CMD ["web"]' in text
    # The health check asks the address the published port reaches, through the same script.
    assert 'HEALTHCHECK' in text and '"/app/deploy/entrypoint.sh", "healthcheck"' in text
    env = compose_environment()
    # env.example is written for systemd behind a local nginx (BIND on loopback); compose's environment:
    # wins over its env_file, so the container listens on every interface of its own.
    assert env_example()["BIND"].startswith("127.0.0.1:")
    assert env["BIND"].startswith("0.0.0.0:")
    # The Prometheus directory compose names is the one the image prepares for its user.
    assert env["PROMETHEUS_MULTIPROC_DIR"] == "/tmp/prometheus"
    assert "install -d -o smart315 -g smart315" in text and "/tmp/prometheus" in text


def _container_env(database_url: str, folder: Path, port: int) -> dict[str, str]:
    """env.example, then compose's environment, with this machine's database, Redis, port and folders."""
    values = {**env_example(), **compose_environment()}
    for key, value in list(values.items()):
        if "CHANGE-ME" in value and key != "DATABASE_URL":  # the operator's secrets: real ones, production stays
            values[key] = secrets.token_urlsafe(32)
        for prefix in ("/var/lib/smart315", "/etc/smart315", "/run/smart315-web"):
            if value.startswith(prefix):
                values[key] = str(folder / value.lstrip("/"))
    values["DATABASE_URL"] = database_url
    redis = os.environ.get("TEST_REDIS_URL")
    if redis:
        values["REDIS_URL"] = redis
    else:
        values.pop("REDIS_URL")  # no Redis container here: the embedded fallbacks
    values["BIND"] = values["BIND"].rsplit(":", 1)[0] + f":{port}"
    values["ALIPAY_APPID"] = values.get("ALIPAY_APPID") or "2021000000000000"
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
    venv_bin = str(Path(sys.executable).parent)
    keep["PATH"] = venv_bin + os.pathsep + keep.get("PATH", "/usr/bin:/bin")
    return {**keep, **values, "SMART315_APP_DIR": str(ROOT), "PYTHONPATH": str(ROOT)}


@pytest.fixture
def entry_env(database_url):
    folder = Path(tempfile.mkdtemp(prefix="smart315-image-"))
    port = free_port()
    env = _container_env(database_url, folder, port)
    yield env, port, folder
    shutil.rmtree(folder, ignore_errors=True)


def _start(env: dict[str, str], *args: str, log: Path) -> subprocess.Popen:
    return subprocess.Popen([str(ENTRYPOINT), *args], cwd=str(ROOT), env=env, stdout=subprocess.DEVNULL,
                            stderr=open(log, "wb"), start_new_session=True)


def _wait_ready(proc: subprocess.Popen, url: str, log: Path) -> requests.Response:
    deadline = time.monotonic() + 60
    last = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError("the entry point exited: " + log.read_text()[-3000:])
        try:
            last = requests.get(url, timeout=3)
            if last.status_code == 200:
                return last
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise AssertionError(f"/readyz never answered 200 (last: {last and last.text}): " + log.read_text()[-3000:])


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


@pytest.mark.slow  # migrates a database and starts gunicorn (about 30 s on two cores)
def test_the_entry_point_migrates_serves_and_is_ready_on_the_bound_address(entry_env):
    env, port, folder = entry_env
    env["WEB_CONCURRENCY"] = "2"  # env.example leaves it to 2 x CPUs + 1; two are enough to prove the start
    # An unwritable PROMETHEUS_MULTIPROC_DIR (a path under a file: not even root can create it) does not
    # stop the web process: the entry point says so and uses a fresh directory.
    (folder / "not-a-dir").write_text("")
    env["PROMETHEUS_MULTIPROC_DIR"] = str(folder / "not-a-dir" / "prometheus")
    migrate = subprocess.run([str(ENTRYPOINT), "migrate"], cwd=str(ROOT), env=env, capture_output=True,
                             text=True, timeout=180)
    assert migrate.returncode == 0, migrate.stderr[-3000:]
    log = folder / "web.log"
    proc = _start(env, "web", log=log)
    try:
        ready = _wait_ready(proc, f"http://127.0.0.1:{port}/readyz", log)
        assert ready.json()["status"] == "ok"
        assert "is not writable" in log.read_text()
        metrics = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5,
                               headers={"Authorization": f"Bearer {env['METRICS_TOKEN']}"})
        assert metrics.status_code == 200 and "http_request" in metrics.text
        # The image's health check, run the way Docker runs it, passes against this server.
        health = subprocess.run([str(ENTRYPOINT), "healthcheck"], env=env, capture_output=True, text=True,
                                timeout=20)
        assert health.returncode == 0, health.stderr
    finally:
        _stop(proc)


def test_in_a_container_a_loopback_bind_is_refused_by_name(entry_env):
    """`docker run --env-file deploy/.env` without compose's environment: BIND=127.0.0.1 would publish a
    port that reaches nothing; the entry point refuses to start and says what to set."""
    env, _port, folder = entry_env
    env = {**env, "SMART315_CONTAINER": "1", "BIND": env_example()["BIND"]}
    done = subprocess.run([str(ENTRYPOINT), "web"], cwd=str(ROOT), env=env, capture_output=True, text=True,
                          timeout=30)
    assert done.returncode == 64
    assert "BIND=127.0.0.1:8000" in done.stderr and "0.0.0.0:8000" in done.stderr


def _docker_answers() -> str | None:
    if shutil.which("docker") is None:
        return "no docker command on this machine"
    try:
        info = subprocess.run(["docker", "info"], capture_output=True, text=True, timeout=20)
    except subprocess.TimeoutExpired:
        return "docker info timed out"
    if info.returncode != 0:
        return ("no Docker daemon answers here (docker info: "
                + (info.stderr.strip().splitlines() or ["failed"])[-1][:160]
                + "); the entry point itself is tested above without it")
    return None


@pytest.mark.slow
def test_the_image_builds_and_answers_readyz_on_its_published_port(tmp_path):
    reason = _docker_answers()
    if reason:
        pytest.skip(reason)
    tag = f"smart315-ci:{secrets.token_hex(4)}"
    build = subprocess.run(["docker", "build", "-f", str(DEPLOY / "Dockerfile"), "-t", tag, str(ROOT)],
                           capture_output=True, text=True, timeout=1800)
    assert build.returncode == 0, build.stderr[-3000:]
    env_file = tmp_path / "env"
    values = {**env_example()}
    for key, value in list(values.items()):
        if "CHANGE-ME" in value:
            values[key] = secrets.token_urlsafe(32)
    values.update({"DATABASE_URL": "sqlite:////var/lib/smart315/smart315.sqlite3", "REDIS_URL": "",
                   "AUDIT_SIGNING_KEY_FILE": "/var/lib/smart315/audit-signing-key.pem"})
    env_file.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
    port = free_port()
    name = f"smart315-ci-{secrets.token_hex(4)}"
    container_env = [arg for k, v in compose_environment().items() if k not in ("DATABASE_URL", "REDIS_URL")
                     for arg in ("-e", f"{k}={v}")]
    try:
        run = subprocess.run(["docker", "run", "--rm", "--env-file", str(env_file), *container_env, tag, "migrate"],
                             capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stderr[-3000:]
        started = subprocess.run(["docker", "run", "-d", "--name", name, "--env-file", str(env_file),
                                  *container_env, "-p", f"127.0.0.1:{port}:8000", tag],
                                 capture_output=True, text=True, timeout=120)
        assert started.returncode == 0, started.stderr
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if requests.get(f"http://127.0.0.1:{port}/readyz", timeout=3).status_code == 200:
                    break
            except requests.RequestException:
                pass
            time.sleep(1)
        else:
            logs = subprocess.run(["docker", "logs", name], capture_output=True, text=True).stderr
            raise AssertionError("the published port never answered /readyz: " + logs[-3000:])
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True)
        subprocess.run(["docker", "rmi", "-f", tag], capture_output=True)
