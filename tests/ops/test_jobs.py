"""Periodic jobs (issue 23.2): each once per interval however many schedulers tick and however often,
`smart315 jobs [--json]`, and `scheduler --once --now <future>` never delaying the live scheduler."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

from server.tasks.jobs import JOBS
from server.tasks.scheduler import tick
from tests.api.test_deadlines import ROOT, run_scheduler


def cli(settings, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": settings["DATABASE_URL"], "SECRET_KEY": settings["SECRET_KEY"],
           "FIELD_ENCRYPTION_KEY": settings["FIELD_ENCRYPTION_KEY"]}
    env.pop("REDIS_URL", None)
    out = subprocess.run([sys.executable, "-m", "server.cli", *args], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out


def jobs(settings) -> dict[str, dict]:
    return {j["name"]: j for j in json.loads(cli(settings, "jobs", "--json").stdout.strip().splitlines()[-1])}


NAMES = {j.name for j in JOBS}


def job_runs(done) -> dict[str, int]:
    return {k.removeprefix("job:"): v for k, v in done.items() if k.startswith("job:")}


def test_a_long_lived_scheduler_runs_hourly_jobs_once_an_hour_not_every_tick(db, settings):
    first = job_runs(tick(db, settings))
    assert first == {name: 1 for name in NAMES}  # every job's first run
    # The same scheduler ticks again a minute later (run_forever's loop): nothing is due yet.
    assert job_runs(tick(db, settings)) == {}
    assert job_runs(tick(db, settings)) == {}


def test_several_schedulers_run_each_job_once(db, settings):
    procs = [subprocess.Popen([sys.executable, "-m", "server.cli", "scheduler", "--once"], cwd=ROOT,
                              env={**{k: v for k, v in os.environ.items() if k != "REDIS_URL"},
                                   "DATABASE_URL": settings["DATABASE_URL"], "SECRET_KEY": settings["SECRET_KEY"],
                                   "FIELD_ENCRYPTION_KEY": settings["FIELD_ENCRYPTION_KEY"]},
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    total: dict[str, int] = {}
    for p in procs:
        out, err = p.communicate(timeout=180)
        assert p.returncode == 0, err
        for name, n in job_runs(json.loads(out.strip().splitlines()[-1])).items():
            total[name] = total.get(name, 0) + n
    for name, n in job_runs(tick(db, settings)).items():  # and this process, ticking after them
        total[name] = total.get(name, 0) + n
    assert total == {name: 1 for name in NAMES}
    listed = jobs(settings)
    assert {name: j["runs"] for name, j in listed.items()} == {name: 1 for name in NAMES}


def test_a_job_runs_again_once_its_interval_has_passed(db, settings):
    t0 = datetime.now(UTC).replace(microsecond=0)
    assert job_runs(tick(db, settings, now=t0, clock="live"))["index.recompute"] == 1
    assert "index.recompute" not in job_runs(tick(db, settings, now=t0 + timedelta(minutes=59), clock="live"))
    later = job_runs(tick(db, settings, now=t0 + timedelta(hours=1, minutes=1), clock="live"))
    assert later["index.recompute"] == 1 and "index.refresh_means" not in later  # daily: not yet
    assert job_runs(tick(db, settings, now=t0 + timedelta(days=1, minutes=2), clock="live"))["index.refresh_means"] == 1


def test_a_future_now_run_never_delays_the_live_scheduler(db, settings):
    far = (datetime.now(UTC) + timedelta(days=400)).replace(microsecond=0).isoformat()
    simulated = run_scheduler(settings, far)
    assert job_runs(simulated) == {name: 1 for name in NAMES}
    # The live scheduler (this process, the real clock) still runs every job now, not in 400 days.
    assert job_runs(tick(db, settings)) == {name: 1 for name in NAMES}
    listed = jobs(settings)
    recompute = listed["index.recompute"]
    assert recompute["interval_seconds"] == 3600 and recompute["runs"] == 1
    assert datetime.fromisoformat(recompute["last_run_at"]) <= datetime.now(UTC)
    assert recompute["simulated_runs"] == 1 and recompute["simulated_last_run_at"].startswith(far[:10])


def test_jobs_lists_every_job_before_any_run_and_as_a_table(settings):
    listed = jobs(settings)
    assert set(listed) == NAMES
    assert all(j["runs"] == 0 and j["last_run_at"] is None for j in listed.values())
    assert listed["audit.checkpoint"]["interval_seconds"] == 86400
    table = cli(settings, "jobs").stdout
    assert "index.recompute" in table and "never" in table


def test_a_disabled_job_is_listed_but_never_run(db, settings):
    """SCHEDULER_DISABLED_JOBS turns a job off in this configuration: the scheduler skips it, the others run,
    and `smart315 jobs` still lists it, marked disabled."""
    off = {**settings, "SCHEDULER_DISABLED_JOBS": ["disclosure.monthly", "audit.checkpoint"]}
    assert job_runs(tick(db, off)) == {name: 1 for name in NAMES - {"disclosure.monthly", "audit.checkpoint"}}
    env = {**os.environ, "DATABASE_URL": settings["DATABASE_URL"], "SECRET_KEY": settings["SECRET_KEY"],
           "FIELD_ENCRYPTION_KEY": settings["FIELD_ENCRYPTION_KEY"], "SCHEDULER_DISABLED_JOBS": "disclosure.monthly"}
    env.pop("REDIS_URL", None)
    out = subprocess.run([sys.executable, "-m", "server.cli", "jobs", "--json"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    listed = {j["name"]: j for j in json.loads(out.stdout.strip().splitlines()[-1])}
    assert set(listed) == NAMES
    assert {n for n, j in listed.items() if not j["enabled"]} == {"disclosure.monthly"}
    assert listed["disclosure.monthly"]["runs"] == 0 and listed["index.recompute"]["runs"] == 1
    # Enabled again, the skipped jobs run on the next tick; the others are not due yet.
    assert job_runs(tick(db, settings)) == {"disclosure.monthly": 1, "audit.checkpoint": 1}
