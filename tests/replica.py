"""A private PostgreSQL streaming-replication pair for tests that must prove reads go to a real replica.

`pg_replica_pair` initdb's a primary in a temporary directory, takes a base backup of it with
`pg_basebackup -R -X stream` and starts that as a hot standby streaming from the primary, both on free
loopback ports with their unix sockets in their own data directories: never the machine's shared
PostgreSQL. When run as root (CI), the servers run as the `postgres` OS user, since PostgreSQL refuses root.

tests/conftest.py makes the fixture available to every test (`def test_something(pg_replica_pair):`), which gets a `ReplicaPair` with `primary_url` and `standby_url` (SQLAlchemy URLs,
postgresql+psycopg://postgres@127.0.0.1:<port>/postgres). The helpers below wait for the standby to
catch up, pause and resume its replay (so a test can tell a replica read from a primary read), and stop it.
"""
from __future__ import annotations

import os
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from tests.security.procs import free_port

START_TIMEOUT = 30  # seconds, per server start / stop
LOG_TAIL_LINES = 40


@dataclass
class ReplicaPair:
    primary_url: str
    standby_url: str
    primary_port: int
    standby_port: int
    root: Path  # the temporary directory holding both data directories and their logs
    primary_data: Path
    standby_data: Path
    primary_log: Path
    standby_log: Path
    bindir: Path
    standby_running: bool = False
    primary_running: bool = False


# --- helpers for the tests -------------------------------------------------------------------------------


def connect(url: str) -> psycopg.Connection:
    """psycopg 3 connection (autocommit) from a SQLAlchemy URL such as postgresql+psycopg://..."""
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    return psycopg.connect(conninfo, autocommit=True, connect_timeout=5)


def wait_replayed(primary_url: str, standby_url: str, timeout: float = 10) -> str:
    """Wait until the standby has replayed all WAL the primary had written when this was called.

    Returns the primary LSN waited for; raises TimeoutError (with both positions) if the standby does not
    get there within `timeout` seconds."""
    with connect(primary_url) as conn:
        target = conn.execute("SELECT pg_current_wal_lsn()::text").fetchone()[0]
    deadline = time.monotonic() + timeout
    replayed = None
    with connect(standby_url) as conn:
        while True:
            replayed, done = conn.execute(
                "SELECT pg_last_wal_replay_lsn()::text, coalesce(pg_last_wal_replay_lsn() >= %s::pg_lsn, false)",
                (target,),
            ).fetchone()
            if done:
                return target
            if time.monotonic() >= deadline:
                raise TimeoutError(f"standby replayed up to {replayed}, primary was at {target}: "
                                   f"not caught up after {timeout}s")
            time.sleep(0.02)


def pause_replay(standby_url: str, timeout: float = 5) -> None:
    """Pause WAL replay on the standby: it keeps receiving WAL but applies none of it until resumed."""
    with connect(standby_url) as conn:
        conn.execute("SELECT pg_wal_replay_pause()")
        # The pause is requested at once and takes effect before the next record is applied; wait until
        # the startup process confirms it, so the caller sees a standby that is really standing still.
        deadline = time.monotonic() + timeout
        while conn.execute("SELECT pg_get_wal_replay_pause_state()").fetchone()[0] != "paused":
            if time.monotonic() >= deadline:
                raise TimeoutError(f"standby replay not paused after {timeout}s")
            time.sleep(0.02)


def resume_replay(standby_url: str) -> None:
    """Resume WAL replay on the standby (it then catches up on what it received meanwhile)."""
    with connect(standby_url) as conn:
        conn.execute("SELECT pg_wal_replay_resume()")


def stop_standby(pair: ReplicaPair) -> None:
    """Fast shutdown of the standby only (the primary keeps running): the replica going away."""
    if not pair.standby_running:
        return
    proc = _pg_ctl(pair, pair.standby_data, "-m", "fast", "-w", "-t", str(START_TIMEOUT), "stop")
    if proc.returncode != 0:
        raise RuntimeError(f"could not stop the standby:\n{proc.stderr}\n{_log_tail(pair.standby_log)}")
    pair.standby_running = False


# --- the fixture ------------------------------------------------------------------------------------------


@pytest.fixture
def pg_replica_pair():
    """A primary and a hot standby streaming from it, private to the test; both stopped and removed after."""
    bindir = _pg_bindir()
    as_root = os.geteuid() == 0
    if as_root:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.fail("running as root but there is no `postgres` OS user to run the PostgreSQL servers as")
    root = Path(tempfile.mkdtemp(prefix="smart315-replica-", dir="/tmp"))
    os.chmod(root, 0o755)
    if as_root:
        shutil.chown(root, "postgres", "postgres")
    pair = ReplicaPair(
        primary_url="", standby_url="", primary_port=0, standby_port=0, root=root,
        primary_data=root / "primary", standby_data=root / "standby",
        primary_log=root / "primary.log", standby_log=root / "standby.log", bindir=bindir,
    )
    try:
        _setup(pair)
        yield pair
    finally:
        for data, attr in ((pair.standby_data, "standby_running"), (pair.primary_data, "primary_running")):
            if getattr(pair, attr) or (data / "postmaster.pid").exists():
                _stop_immediate(pair, data)
                setattr(pair, attr, False)
        shutil.rmtree(root, ignore_errors=True)


def _setup(pair: ReplicaPair) -> None:
    # Primary.
    _run_or_fail(pair, [str(pair.bindir / "initdb"), "-D", str(pair.primary_data), "--auth=trust", "-U", "postgres",
                        "-E", "UTF8", "--locale=C", "--no-sync"], "initdb of the primary")
    with open(pair.primary_data / "postgresql.conf", "a", encoding="utf-8") as f:
        f.write(
            "\n# smart315 test primary (tests/replica.py)\n"
            "listen_addresses = '127.0.0.1'\n"
            f"unix_socket_directories = '{pair.primary_data}'\n"
            "wal_level = replica\n"
            "max_wal_senders = 5\n"
            "hot_standby = on\n"
            "fsync = off\n"
            "shared_buffers = 32MB\n"
        )
    with open(pair.primary_data / "pg_hba.conf", "a", encoding="utf-8") as f:
        f.write("\nhost all all 127.0.0.1/32 trust\nhost replication all 127.0.0.1/32 trust\n")
    pair.primary_port = _start(pair, pair.primary_data, pair.primary_log, "primary")
    pair.primary_running = True
    pair.primary_url = _url(pair.primary_port)
    _wait_accepting(pair, pair.primary_url, pair.primary_log, "primary", want_recovery=False)

    # Standby: a base backup of the primary with its replication settings (-R: standby.signal and
    # primary_conninfo in postgresql.auto.conf), then its own socket directory and port.
    _run_or_fail(pair, [str(pair.bindir / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(pair.primary_port),
                        "-U", "postgres", "-D", str(pair.standby_data), "-R", "-X", "stream",
                        "--checkpoint=fast", "--no-sync"], "pg_basebackup of the standby")
    with open(pair.standby_data / "postgresql.conf", "a", encoding="utf-8") as f:
        f.write(
            "\n# smart315 test standby (tests/replica.py)\n"
            f"unix_socket_directories = '{pair.standby_data}'\n"
            "hot_standby = on\n"
            "wal_receiver_status_interval = 1s\n"
        )
    pair.standby_port = _start(pair, pair.standby_data, pair.standby_log, "standby")
    pair.standby_running = True
    pair.standby_url = _url(pair.standby_port)
    _wait_accepting(pair, pair.standby_url, pair.standby_log, "standby", want_recovery=True)
    _wait_streaming(pair)


def _url(port: int) -> str:
    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"


def _pg_bindir() -> Path:
    """The newest PostgreSQL server binaries installed under /usr/lib/postgresql/<version>/bin."""
    base = Path("/usr/lib/postgresql")
    found = []
    if base.is_dir():
        for d in base.iterdir():
            m = re.fullmatch(r"(\d+)(?:\.(\d+))?", d.name)
            if m and (d / "bin" / "initdb").exists() and (d / "bin" / "pg_basebackup").exists():
                found.append(((int(m.group(1)), int(m.group(2) or 0)), d / "bin"))
    if not found:
        pytest.fail("PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup) not found under "
                    "/usr/lib/postgresql/<version>/bin: install postgresql to run the replica tests")
    return max(found)[1]


def _run(pair: ReplicaPair, cmd: list[str]) -> subprocess.CompletedProcess:
    """Run a PostgreSQL tool, as the postgres OS user when we are root, from a directory it can read."""
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}  # no stray PGHOST/PGPORT/PGDATA
    return subprocess.run(cmd, cwd=pair.root, env=env, capture_output=True, text=True, timeout=120)


def _pg_ctl(pair: ReplicaPair, data: Path, *args: str) -> subprocess.CompletedProcess:
    return _run(pair, [str(pair.bindir / "pg_ctl"), "-D", str(data), *args])


def _run_or_fail(pair: ReplicaPair, cmd: list[str], what: str) -> None:
    proc = _run(pair, cmd)
    if proc.returncode != 0:
        pytest.fail(f"{what} failed (exit {proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
                    f"{_logs(pair)}", pytrace=False)


def _start(pair: ReplicaPair, data: Path, log: Path, role: str) -> int:
    """Start the server on a free port; if another process took the port meanwhile, try another one."""
    for _attempt in range(3):
        port = free_port()
        with open(data / "postgresql.conf", "a", encoding="utf-8") as f:
            f.write(f"port = {port}\n")  # the last setting in the file wins
        proc = _pg_ctl(pair, data, "-l", str(log), "-w", "-t", str(START_TIMEOUT), "start")
        if proc.returncode == 0:
            return port
        if "could not bind" in _log_tail(log) and not (data / "postmaster.pid").exists():
            continue
        break
    pytest.fail(f"the {role} did not start (pg_ctl exit {proc.returncode}):\n{proc.stdout[-2000:]}\n"
                f"{proc.stderr[-2000:]}{_logs(pair)}", pytrace=False)


def _wait_accepting(pair: ReplicaPair, url: str, log: Path, role: str, want_recovery: bool) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    last = None
    while time.monotonic() < deadline:
        try:
            with connect(url) as conn:
                in_recovery = conn.execute("SELECT pg_is_in_recovery()").fetchone()[0]
            if in_recovery == want_recovery:
                return
            last = f"pg_is_in_recovery() is {in_recovery}"
        except psycopg.OperationalError as e:
            last = str(e).strip()
        time.sleep(0.05)
    pytest.fail(f"the {role} is not ready after {START_TIMEOUT}s ({last}){_logs(pair)}", pytrace=False)


def _wait_streaming(pair: ReplicaPair) -> None:
    """Wait until the standby's WAL receiver is streaming from the primary."""
    deadline = time.monotonic() + START_TIMEOUT
    status = None
    with connect(pair.standby_url) as conn:
        while time.monotonic() < deadline:
            row = conn.execute("SELECT status FROM pg_stat_wal_receiver").fetchone()
            status = row[0] if row else None
            if status == "streaming":
                return
            time.sleep(0.05)
    pytest.fail(f"the standby's WAL receiver is not streaming after {START_TIMEOUT}s (status {status})"
                f"{_logs(pair)}", pytrace=False)


def _stop_immediate(pair: ReplicaPair, data: Path) -> None:
    """Teardown: immediate shutdown; if pg_ctl cannot, SIGKILL the postmaster this fixture started."""
    proc = _pg_ctl(pair, data, "-m", "immediate", "-w", "-t", str(START_TIMEOUT), "stop")
    pidfile = data / "postmaster.pid"
    if proc.returncode != 0 and pidfile.exists():
        try:
            os.kill(int(pidfile.read_text().split()[0]), signal.SIGKILL)
        except (OSError, ValueError, IndexError):
            pass


def _log_tail(log: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        return "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _logs(pair: ReplicaPair) -> str:
    return "".join(f"\n--- {log.name} (last {LOG_TAIL_LINES} lines) ---\n{_log_tail(log)}"
                   for log in (pair.primary_log, pair.standby_log) if log.exists())
