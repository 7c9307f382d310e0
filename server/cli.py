"""The `smart315` command line: database, users, serving, worker, scheduler, simulators, data, audit.

Flask's CLI conventions: every command that reads settings or the database is wrapped in
`flask.cli.with_appcontext`, which builds the app once through `create_app` (the ScriptInfo the group
carries) -- so the worker, the scheduler and every other command start exactly like the web app: the same
typed settings, refusal of development secrets in production, logging, Sentry (SENTRY_DSN), working-day
calendar and storage checks. `serve` execs gunicorn, whose server/wsgi.py calls create_app itself;
`vocabulary` and `simulators` need no app.
"""
from __future__ import annotations

import json
import os
import sys

import click
from flask import current_app
from flask.cli import ScriptInfo, with_appcontext

from server.config import InsecureSettings, exit_if_insecure


def _create_cli_app():
    """The app of a CLI process: create_app with no embedded worker or scheduler threads (the `worker` and
    `scheduler` commands are those loops); insecure production settings end it with status 2 and the names."""
    from server.app import create_app

    try:
        return create_app({"EMBEDDED_WORKER": False})
    except InsecureSettings as exc:
        click.echo(f"smart315: {exc}", err=True)
        raise SystemExit(2) from None


def _settings():
    return current_app.config["SMART315"]


def _db():
    return current_app.extensions["smart315.db"]


@click.group()
@click.pass_context
def main(ctx: click.Context) -> None:
    """Smart315 consumer-rights platform."""
    if not isinstance(ctx.obj, ScriptInfo):
        ctx.obj = ScriptInfo(create_app=_create_cli_app, set_debug_flag=False)
    from server.redis_client import hand_to_core

    hand_to_core()  # core reaches Redis only through what its process hands in (server/core/ports.py)


# ------------------------------------------------------------------ db

@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@with_appcontext
def db_upgrade() -> None:
    """Apply migrations up to head and load reference data (regions, industries, categories)."""
    from server.core.reference import ensure_reference_data
    from server.migrate import upgrade

    upgrade(_settings()["DATABASE_URL"])
    database = _db()
    with database.session() as s:
        ensure_reference_data(s)
        s.commit()
    click.echo("database at head; reference data loaded")


# ------------------------------------------------------------------ users

@main.group()
def users() -> None:
    """Staff accounts."""


@users.command("create")
@click.option("--role", type=click.Choice(["admin", "mediator"]), required=True)
@click.option("--username", required=True)
@click.option("--password", required=True)
@click.option("--region", default=None, help="mediator's jurisdiction: a 2-, 4- or 6-digit division code")
@click.option("--name", "display_name", default=None)
@with_appcontext
def users_create(role: str, username: str, password: str, region: str | None, display_name: str | None) -> None:
    """Create an admin or a mediator who signs in with POST /auth/password."""
    from server.core.errors import DomainError
    from server.core.identity.accounts import do_create_staff_user
    from server.core.reference import is_region_prefix

    if region is not None and not is_region_prefix(region):
        raise click.BadParameter(f"unknown division code {region}", param_hint="--region")
    with _db().session() as s:
        try:
            user = do_create_staff_user(s, role, username, password, region_code=region, display_name=display_name)
        except DomainError as exc:
            raise click.ClickException(exc.detail) from exc
        s.commit()
        click.echo(f"created {role} {username} (id {user.id})")


# ------------------------------------------------------------------ processes

@main.command()
@click.option("--bind", default=None, help="host:port [$BIND, 127.0.0.1:8000]")
@click.option("--workers", type=int, default=None)
def serve(bind: str | None, workers: int | None) -> None:
    """Serve the platform with gunicorn (deploy/gunicorn.conf.py)."""
    from pathlib import Path

    settings = exit_if_insecure()

    conf = Path(__file__).resolve().parent.parent / "deploy" / "gunicorn.conf.py"
    args = [sys.executable, "-m", "gunicorn", "server.wsgi:app"]  # the venv's gunicorn, activated or not
    if conf.exists():
        args += ["-c", str(conf)]
    args += ["--bind", bind or settings["BIND"]]
    if workers:
        args += ["--workers", str(workers)]
    os.execvp(args[0], args)


@main.command()
@click.option("--once", is_flag=True, help="deliver what is due now, then exit")
@with_appcontext
def worker(once: bool) -> None:
    """Deliver notifications from the outbox."""
    from server.tasks.worker import run_forever, run_once

    settings, database = _settings(), _db()
    if once:
        click.echo(json.dumps(run_once(database, settings), ensure_ascii=False))
    else:
        run_forever(database, settings)


@main.command()
@click.option("--once", is_flag=True, help="run one tick and exit")
@click.option("--now", "now_", default=None, help="with --once: act as if it were this ISO time")
@with_appcontext
def scheduler(once: bool, now_: str | None) -> None:
    """Apply passed deadlines and run periodic jobs."""
    from server.core.timeutil import parse_iso
    from server.tasks.scheduler import run_forever, tick

    settings, database = _settings(), _db()
    if now_ and not once:
        raise click.UsageError("--now goes with --once")
    if once:
        try:
            now = parse_iso(now_) if now_ else None
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--now") from exc
        done = tick(database, settings, now)
        click.echo(json.dumps(dict(done), ensure_ascii=False))
    else:
        run_forever(database, settings)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="print JSON instead of a table")
@with_appcontext
def jobs(as_json: bool) -> None:
    """List each periodic job: its interval, last run and number of runs (live clock; runs made with
    `scheduler --once --now` are counted apart as simulated)."""
    from server.tasks.scheduler import job_status

    rows = job_status(_db(), _settings())
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    click.echo(f"{'job':<24} {'every':>8} {'last run (live)':<26} {'runs':>6}  simulated")
    for r in rows:
        sim = f"{r['simulated_runs']} (last {r['simulated_last_run_at']})" if r["simulated_runs"] else "-"
        click.echo(f"{r['name']:<24} {r['interval_seconds']:>7}s {r['last_run_at'] or 'never':<26} {r['runs']:>6}  {sim}"
                   + (f"  last error: {r['last_error']}" if r["last_error"] else "")
                   + ("" if r["enabled"] else "  disabled (SCHEDULER_DISABLED_JOBS)"))


@main.command()
@click.option("--host", default="127.0.0.1")
@click.option("--wechat-port", default=9101, type=int)
@click.option("--alipay-port", default=9102, type=int)
@click.option("--llm-port", default=9103, type=int)
@click.option("--sms-port", default=9104, type=int)
@click.option("--sms", "with_sms", is_flag=True, help="also export SMS_PROVIDER=aliyun and the SMS simulator's keys "
              "(replaces your SMS provider, e.g. the console one that writes codes to the server log)")
@click.option("--llm", "with_llm", is_flag=True, help="also export LLM_BASE_URL/LLM_API_KEY for the LLM simulator")
@click.option("--env-file", type=click.Path(dir_okay=False), default=None,
              help="also write the exports to this file (KEY=value lines; `make run-sim` sources it)")
def simulators(host: str, wechat_port: int, alipay_port: int, llm_port: int, sms_port: int, with_sms: bool,
               with_llm: bool, env_file: str | None) -> None:
    """Run local WeChat, Alipay, SMS and LLM simulators for demos; print the exports for WeChat and Alipay."""
    from server.simulators.llm import create_llm_simulator
    from server.simulators.runner import DEFAULT_GROUPS
    from server.simulators.runner import main as run_sims

    api_key = "sim-llm-key"
    groups = DEFAULT_GROUPS + (("sms",) if with_sms else ()) + (("llm",) if with_llm else ())
    extra_env = {"LLM_API_KEY": api_key}
    run_sims(host=host, ports={"wechat": wechat_port, "alipay": alipay_port, "sms": sms_port},
             extra={"llm": (create_llm_simulator(api_key=api_key), llm_port)}, groups=groups,
             extra_env=extra_env, env_file=env_file, block=True)


# ------------------------------------------------------------------ data

@main.command("demo-data")
@click.option("--consumers", default=200, type=int)
@click.option("--businesses", default=40, type=int)
@click.option("--complaints", default=400, type=int)
@click.option("--seed", default=315, type=int)
@click.option("--if-empty", is_flag=True, help="do nothing when complaints already exist (make run)")
@with_appcontext
def demo_data(consumers: int, businesses: int, complaints: int, seed: int, if_empty: bool) -> None:
    """Load a believable demo: Chinese businesses, consumers, complaints in every state."""
    from server.demo import load_demo

    summary = load_demo(_db(), _settings(), consumers=consumers, businesses=businesses,
                        complaints=complaints, seed=seed, if_empty=if_empty)
    click.echo(json.dumps(summary, ensure_ascii=False))


@main.command("vocabulary")
@click.option("--js", "as_js", is_flag=True, help="as the CommonJS module the mini-apps ship (utils/vocabulary.js)")
@click.option("--write", is_flag=True, help="with --js: write miniapp-shared/, miniprogram/ and alipay_miniapp/utils/vocabulary.js")
def vocabulary_cmd(as_js: bool, write: bool) -> None:
    """The Chinese labels of every status, action, role and event (server/core/vocabulary.py)."""
    from pathlib import Path

    from server.core.vocabulary import as_javascript, vocabulary

    if not as_js:
        click.echo(json.dumps(vocabulary(), ensure_ascii=False, indent=2))
        return
    if not write:
        click.echo(as_javascript(), nl=False)
        return
    root = Path(__file__).resolve().parent.parent
    # miniapp-shared/ is the master copy (scripts/sync-miniapps.js); the apps' copies are written too.
    for app in ("miniapp-shared", "miniprogram", "alipay_miniapp"):
        (root / app / "utils" / "vocabulary.js").write_text(as_javascript(), encoding="utf-8")
        click.echo(f"wrote {app}/utils/vocabulary.js")


@main.group()
def audit() -> None:
    """Tamper-evidence of the timeline."""


@audit.command("verify")
@click.option("--against", "against", default=None, type=click.Path(exists=True, dir_okay=False),
              help="a signed checkpoint (smart315 audit checkpoint): also report timelines deleted, truncated "
                   "or changed since")
@click.option("--public-key", "public_key", default=None, type=click.Path(exists=True, dir_okay=False),
              help="PEM public key the checkpoint must be signed with [the one of AUDIT_SIGNING_KEY_FILE]")
@click.option("--allow-legacy", is_flag=True, help="pass timelines still on the legacy unkeyed chain if intact")
@with_appcontext
def audit_verify(against: str | None, public_key: str | None, allow_legacy: bool) -> None:
    """Check every timeline's keyed chain and every complaint row against it; exit 1 and list what is wrong."""
    from server.core.audit import verify_all
    from server.core.auditchain import AuditError, load_checkpoint, public_key_pem

    settings = _settings()
    checkpoint = None
    if against:
        try:
            pem = open(public_key, "rb").read() if public_key else public_key_pem(settings)
            with open(against, "rb") as f:
                checkpoint = load_checkpoint(f.read(), pem)
        except AuditError as exc:
            raise click.ClickException(str(exc)) from exc
    with _db().session() as s:
        report = verify_all(s, settings, checkpoint=checkpoint, allow_legacy=allow_legacy)
    if against:
        report["checkpoint"]["file"] = os.path.basename(against)
    click.echo(json.dumps(report, ensure_ascii=False))
    if report["legacy"] and not allow_legacy:
        click.echo(f"{report['legacy']} timelines are still on the legacy unkeyed chain: run `smart315 audit reseal`",
                   err=True)
    if not report["ok"]:
        sys.exit(1)


@audit.command("reseal")
@with_appcontext
def audit_reseal() -> None:
    """Move timelines still on the legacy unkeyed chain to the keyed chain (once, after upgrading)."""
    from server.core.auditchain import reseal

    settings = _settings()
    with _db().session() as s:
        result = reseal(s, settings)
    click.echo(json.dumps(result, ensure_ascii=False))
    if result["refused"]:
        sys.exit(1)


@audit.command("checkpoint")
@click.option("--out", "out", default=None, type=click.Path(dir_okay=False),
              help="the file to write [a timestamped file in AUDIT_CHECKPOINT_DIR]")
@with_appcontext
def audit_checkpoint(out: str | None) -> None:
    """Write every timeline's head (complaint id, seq, hash), signed with AUDIT_SIGNING_KEY_FILE."""
    from server.core.auditchain import AuditError, write_checkpoint

    settings = _settings()
    with _db().session() as s:
        try:
            path, digest = write_checkpoint(s, settings, out)
        except AuditError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(json.dumps({"file": str(path), "sha256": digest}, ensure_ascii=False))


@audit.command("public-key")
@with_appcontext
def audit_public_key() -> None:
    """Print the checkpoints' Ed25519 public key (PEM), to publish and to verify checkpoints with."""
    from server.core.auditchain import AuditError, public_key_pem

    try:
        click.echo(public_key_pem(_settings()), nl=False)
    except AuditError as exc:
        raise click.ClickException(str(exc)) from exc


@audit.command("keygen")
@with_appcontext
def audit_keygen() -> None:
    """Create the checkpoint signing key at AUDIT_SIGNING_KEY_FILE (never overwrites one)."""
    from server.core.auditchain import generate_signing_key

    settings = _settings()
    try:
        path = generate_signing_key(settings["AUDIT_SIGNING_KEY_FILE"])
    except FileExistsError as exc:
        raise click.ClickException(f"{settings['AUDIT_SIGNING_KEY_FILE']} already exists") from exc
    click.echo(f"wrote {path}")


@main.group()
def index() -> None:
    """The complaint processing index."""


@index.command("recompute")
@click.option("--full", is_flag=True, help="also retake the industry means snapshot first (what the daily job does); "
              "without it every business is recomputed against the stored means, equal to the incremental updates")
@with_appcontext
def index_recompute(full: bool) -> None:
    """Recompute every business's index (set-based) and print a summary."""
    from server.core.scoring.actions import recompute_all

    settings, database = _settings(), _db()
    with database.session() as s:
        summary = recompute_all(s, settings, refresh_means=full)
        s.commit()
    click.echo(json.dumps({**summary, "means_refreshed": full}, ensure_ascii=False, default=str))


@main.command()
@click.option("--period", required=True, help="YYYY-MM")
@click.option("--out", "out", default=None, type=click.Path(dir_okay=False))
@with_appcontext
def disclose(period: str, out: str | None) -> None:
    """Publish (freeze) the month's disclosure and optionally write its CSV."""
    from server.core.errors import DomainError
    from server.core.scoring.disclosure import do_publish_disclosure

    settings = _settings()
    with _db().session() as s:
        try:
            d = do_publish_disclosure(s, settings, period)
        except DomainError as exc:
            raise click.ClickException(exc.detail) from exc
        s.commit()
        if out:
            with open(out, "wb") as f:
                f.write(d.csv_bytes)
        click.echo(json.dumps({"period": d.period, "sha256": d.sha256, "audit_checkpoint": d.audit_checkpoint_name,
                               "audit_checkpoint_sha256": d.audit_checkpoint_sha256}, ensure_ascii=False))


if __name__ == "__main__":
    main()
