"""HTTP load on the seeded database with wrk, beside two ceilings measured the same way in the same session.

Runs, each `wrk -t2 -c<C> -d<D>s` with bench/wrk/mixed.lua against gunicorn started with deploy/gunicorn.conf.py:
  bare and bare_insert (bench/bare_app.py: the bare-Flask ceilings, a JSON read and one INSERT + COMMIT),
  reads (peak, after one cold pass over every resource it asks for), reads at half of that peak (paced),
  submit, transition, mixed (80 % reads / 15 % submissions / 5 % transitions);
then `pgbench` inserts (the database ceiling) with the same number of clients. Also: per-endpoint latency of
public rankings, business profile and stats (one client, sequential), and RSS of every gunicorn worker and
of a `smart315 worker` process sampled from /proc during the mixed run.

    .venv/bin/python -m bench.http_bench --database-url postgresql://root@127.0.0.1/smart315_bench --duration 15
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests
from sqlalchemy import func, select, text

ROOT = Path(__file__).resolve().parent.parent
LUA = ROOT / "bench" / "wrk" / "mixed.lua"
SECRET = "bench-secret-key"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def children(pid: int) -> list[int]:
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                for line in (d / "status").read_text().splitlines():
                    if line.startswith("PPid:") and int(line.split()[1]) == pid:
                        out.append(int(d.name))
                        break
            except OSError:
                continue
    return out


class Server:
    """gunicorn with the deployment's settings, started and stopped by its own pid."""

    def __init__(self, app: str, env: dict[str, str], log: Path):
        self.port = free_port()
        self.prom = tempfile.mkdtemp(prefix="bench-prom-")
        self.log = open(log, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "deploy" / "gunicorn.conf.py"),
             "--bind", f"127.0.0.1:{self.port}", app],
            cwd=ROOT, env={**env, "PROMETHEUS_MULTIPROC_DIR": self.prom}, stdout=self.log, stderr=subprocess.STDOUT)
        self.base = f"http://127.0.0.1:{self.port}"

    def wait(self, path: str, timeout: float = 60) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                if requests.get(self.base + path, timeout=5).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"server {self.base} did not become ready")

    def workers(self) -> list[int]:
        return children(self.proc.pid)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        shutil.rmtree(self.prom, ignore_errors=True)


def wrk(base: str, mode: str, data: Path, conns: int, duration: int, rate: float = 0.0, skip: int = 0) -> dict:
    env = {**os.environ, "MODE": mode, "DATA": str(data), "CONNS": str(conns), "THREADS": "2",
           "RATE": str(rate or 0), "SKIP": str(skip)}
    out = subprocess.run(["wrk", "-t2", f"-c{conns}", f"-d{duration}s", "--timeout", "10s", "-s", str(LUA), base],
                         env=env, capture_output=True, text=True, timeout=duration + 60)
    m = re.search(r"^RESULT (\{.*\})$", out.stdout, re.M)
    if not m:
        raise RuntimeError(f"wrk gave no result: {out.stdout}\n{out.stderr}")
    res = json.loads(m.group(1))
    res["errors"] = res["non_2xx"] + res["connect_errors"] + res["read_errors"] + res["write_errors"] + res["timeouts"]
    return res


def create_insert_table(url_libpq: str) -> None:
    """The table both write ceilings insert into: one row and one index, like a complaint at its simplest."""
    subprocess.run(["psql", url_libpq, "-qc",
                    "DROP TABLE IF EXISTS bench_insert; CREATE TABLE bench_insert (id bigserial PRIMARY KEY, "
                    "business_id int NOT NULL, title text NOT NULL, description text NOT NULL, "
                    "created_at timestamptz NOT NULL); CREATE INDEX ON bench_insert (business_id, created_at)"],
                   check=True, capture_output=True)


def pgbench(url_libpq: str, conns: int, duration: int) -> dict:
    script = tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False)
    script.write("\\set b random(1, 42913)\n"
                 "INSERT INTO bench_insert (business_id, title, description, created_at) "
                 "VALUES (:b, '压测投诉：商品有质量问题', '压力测试生成的投诉内容，商品收到后发现质量问题，要求退款。', now());\n")
    script.close()
    create_insert_table(url_libpq)
    out = subprocess.run(["pgbench", "-n", "-c", str(conns), "-j", "2", "-T", str(duration), "-f", script.name,
                          url_libpq], capture_output=True, text=True, timeout=duration + 60)
    os.unlink(script.name)
    subprocess.run(["psql", url_libpq, "-qc", "DROP TABLE IF EXISTS bench_insert"], capture_output=True)
    tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", out.stdout)
    lat = re.search(r"latency average = ([\d.]+) ms", out.stdout)
    failed = re.search(r"number of failed transactions: (\d+)", out.stdout)
    if not tps:
        raise RuntimeError(f"pgbench gave no result: {out.stdout}\n{out.stderr}")
    return {"tps": float(tps.group(1)), "latency_avg_ms": float(lat.group(1)) if lat else None,
            "failed": int(failed.group(1)) if failed else 0}


def warm(base: str, data: Path, threads: int = 8) -> dict:
    """Read every resource the reads run asks for once (profiles, rankings pages, stats), so that the run
    measures the steady state of the cache; how long this cold pass took is reported beside it."""
    from concurrent.futures import ThreadPoolExecutor

    text_ = data.read_text()
    businesses = json.loads("[" + text_.split("businesses={")[1].split("}")[0] + "]")
    industries = json.loads("[" + text_.split("industries={")[1].split("}")[0] + "]")
    paths = [f"/api/v1/businesses/{b}" for b in businesses] + ["/api/v1/public/stats"] + \
        [f"/api/v1/public/rankings?industry={i}&page={p}" for i in industries for p in (1, 2, 3)]
    session = requests.Session()

    def get(path: str) -> int:
        return session.get(base + path, timeout=60).status_code

    t0 = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        codes = list(pool.map(get, paths))
    return {"resources": len(paths), "seconds": round(time.perf_counter() - t0, 1),
            "non_200": sum(c != 200 for c in codes)}


def endpoint_latency(base: str, paths: list[str], n: int) -> dict:
    s = requests.Session()
    times = []
    for i in range(n):
        t0 = time.perf_counter()
        r = s.get(base + paths[i % len(paths)], timeout=10)
        times.append((time.perf_counter() - t0) * 1000)
        if r.status_code != 200:
            raise RuntimeError(f"{paths[i % len(paths)]}: {r.status_code} {r.text[:200]}")
    q = statistics.quantiles(times, n=100)
    return {"n": n, "p50_ms": round(q[49], 2), "p95_ms": round(q[94], 2), "p99_ms": round(q[98], 2)}


def prepare(database_url: str, out_dir: Path, field_key: str) -> tuple[Path, dict]:
    """Tokens and ids for wrk's Lua; the index published if it is not yet (so rankings have rows)."""
    from server.config import load_config
    from server.core.identity.tokens import make_access_token, open_session
    from server.core.models import Business, BusinessIndex, Complaint, User
    from server.db import Database

    settings = load_config({"DATABASE_URL": database_url, "SECRET_KEY": SECRET, "FIELD_ENCRYPTION_KEY": field_key})
    db = Database(settings["DATABASE_URL"])
    info: dict = {}
    with db.session() as s:
        if not s.scalar(select(func.count()).select_from(BusinessIndex)):
            from server.core.scoring.actions import recompute_all

            t0 = time.perf_counter()
            recompute_all(s, settings)
            s.commit()
            info["index_recompute_seconds"] = round(time.perf_counter() - t0, 1)
        rng = random.Random(315)
        ranked = list(s.scalars(select(BusinessIndex.business_id).limit(20000)))
        businesses = rng.sample(ranked, min(2000, len(ranked))) if ranked else \
            list(s.scalars(select(Business.id).where(Business.status == "verified").limit(2000)))
        consumers = list(s.execute(select(User.id, User.token_version).where(User.kind == "consumer")
                                   .order_by(User.id).limit(500)))
        admin = s.execute(select(User.id, User.token_version).where(User.kind == "admin")).first()
        submitted = list(s.scalars(select(Complaint.id).where(Complaint.status == "submitted").order_by(Complaint.id)))

        def token_for(uid: int) -> str:  # access tokens name a live sign-in session (auth_session row)
            user = s.get(User, uid)
            return make_access_token(settings, user, open_session(s, user, "api").id)

        tokens = [token_for(i) for i, _ in consumers]
        admin_token = token_for(admin[0])
        s.commit()
        industries = [c for c, in s.execute(text("SELECT code FROM industry ORDER BY code"))]
    db.dispose()
    lua = out_dir / "wrk_data.lua"

    def arr(xs, quote=False):
        return "{" + ",".join((f'"{x}"' if quote else str(x)) for x in xs) + "}"

    lua.write_text("return {\n businesses=" + arr(businesses) + ",\n consumer_tokens=" + arr(tokens, True) +
                   ",\n admin_token=\"" + admin_token + "\",\n submitted=" + arr(submitted) +
                   ",\n industries=" + arr(industries, True) + "\n}\n")
    info.update(businesses=len(businesses), consumers=len(tokens), submitted_pool=len(submitted))
    info["sample"] = {"business": businesses[0], "industry": industries[0]}
    return lua, info


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--database-url", required=True)
    p.add_argument("--redis-url", default=None)
    p.add_argument("--field-key", default="bench-field-key")
    p.add_argument("--duration", type=int, default=15)
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--out", default=str(ROOT / "bench" / "results" / "http.json"))
    a = p.parse_args(argv)
    out_dir = Path(a.out).parent
    out_dir.mkdir(parents=True, exist_ok=True)
    for tool in ("wrk", "pgbench"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} not found: apt-get install -y wrk postgresql-contrib")

    from sqlalchemy.engine import make_url

    from server.config import normalize_database_url

    data, info = prepare(a.database_url, out_dir, a.field_key)
    env = {**os.environ, "SMART315_ENV": "development", "DATABASE_URL": a.database_url, "SECRET_KEY": SECRET,
           "FIELD_ENCRYPTION_KEY": a.field_key,
           "EMBEDDED_WORKER": "0", "LOG_LEVEL": "WARNING", "LOG_FORMAT": "json", "ACCESS_TOKEN_TTL": "86400",
           "WEBHOOK_ALLOW_PRIVATE_NETWORKS": "1"}
    env.pop("REDIS_URL", None)
    if a.redis_url:
        env["REDIS_URL"] = a.redis_url
    results: dict = {"prepare": info, "connections": a.connections, "duration_s": a.duration,
                     "cpus": os.cpu_count(), "loadavg_before": os.getloadavg()}
    D, C = a.duration, a.connections

    libpq = make_url(normalize_database_url(a.database_url)).set(drivername="postgresql").render_as_string(
        hide_password=False)

    # 1. Ceilings: bare Flask, same gunicorn settings (a JSON read; one INSERT + COMMIT per request).
    create_insert_table(libpq)
    bare = Server("bench.bare_app:app", env, out_dir / "bare.log")
    try:
        bare.wait("/bare")
        wrk(bare.base, "bare", data, C, 2)
        results["bare"] = wrk(bare.base, "bare", data, C, D)
        results["bare_insert"] = wrk(bare.base, "bare_insert", data, C, D)
        results["workers"] = len(bare.workers())
    finally:
        bare.stop()

    # 2. The platform.
    app = Server("server.wsgi:app", env, out_dir / "app.log")
    worker_log = open(out_dir / "worker.log", "wb")
    worker = subprocess.Popen([str(Path(sys.executable).parent / "smart315"), "worker"], cwd=ROOT, env=env,
                              stdout=worker_log, stderr=subprocess.STDOUT)
    try:
        app.wait("/readyz")
        results["endpoint_latency"] = {
            "rankings": endpoint_latency(app.base, [f"/api/v1/public/rankings?industry={i}" for i in
                                                    ("online_shopping", "food", "travel", "finance")], 200),
            "business_profile": endpoint_latency(app.base, [f"/api/v1/businesses/{b}" for b in
                                                            json.loads("[" + data.read_text().split("businesses={")[1]
                                                                       .split("}")[0] + "]")[:200]], 200),
            "stats": endpoint_latency(app.base, ["/api/v1/public/stats"], 200),
        }
        # Every resource once (Redis), then long enough for each worker's near cache to have met each
        # resource: the reads run measures the steady state. Each worker's first read of a resource goes
        # through Flask and Redis; that path is measured separately below (reads_flask_path).
        results["reads_warm_up"] = warm(app.base, data)
        wrk(app.base, "reads", data, C, 10)
        results["reads"] = wrk(app.base, "reads", data, C, D)
        half = results["reads"]["rps"] / 2
        results["reads_half_peak"] = {"target_rps": round(half, 1), **wrk(app.base, "reads", data, C, D, rate=half)}
        results["submit"] = wrk(app.base, "submit", data, C, D)
        results["transition"] = wrk(app.base, "transition", data, C, D)
        samples: list[tuple[list[int], int | None]] = []
        stop = threading.Event()

        def sample():
            while not stop.is_set():
                samples.append(([rss_kib(p) or 0 for p in app.workers()], rss_kib(worker.pid)))
                stop.wait(1.0)

        t = threading.Thread(target=sample, daemon=True)
        t.start()
        # Transitions in the mixed run take submitted ids after those the transition run used (+ margin).
        results["mixed"] = wrk(app.base, "mixed", data, C, D, skip=results["transition"]["requests"] + 2 * C)
        stop.set()
        t.join()
        web_rss = [kib for row, _ in samples for kib in row if kib]
        wk_rss = [w for _, w in samples if w]
        results["memory_mib"] = {
            "gunicorn_worker_max": round(max(web_rss) / 1024, 1) if web_rss else None,
            "gunicorn_worker_mean": round(statistics.mean(web_rss) / 1024, 1) if web_rss else None,
            "notification_worker_max": round(max(wk_rss) / 1024, 1) if wk_rss else None,
            "samples": len(samples)}
    finally:
        app.stop()
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
        worker_log.close()

    # 2b. The same reads with the fast path off: every hit through Flask (near cache, no Redis round trip).
    flask_only = Server("server.wsgi:app", {**env, "PUBLIC_FAST_PATH": "0"}, out_dir / "app_flask_path.log")
    try:
        flask_only.wait("/readyz")
        wrk(flask_only.base, "reads", data, C, 10)
        results["reads_flask_path"] = wrk(flask_only.base, "reads", data, C, D)
    finally:
        flask_only.stop()

    # 3. Ceiling: pgbench inserts, same number of clients.
    results["pgbench_insert"] = pgbench(libpq, C, D)
    results["loadavg_after"] = os.getloadavg()
    bare_rps = results["bare"]["rps"]
    results["ratios"] = {
        "reads_vs_bare": round(results["reads"]["rps"] / bare_rps, 3),
        "reads_flask_path_vs_bare": round(results["reads_flask_path"]["rps"] / bare_rps, 3),
        "submit_vs_bare": round(results["submit"]["rps"] / bare_rps, 3),
        "transition_vs_bare": round(results["transition"]["rps"] / bare_rps, 3),
        "mixed_vs_bare": round(results["mixed"]["rps"] / bare_rps, 3),
        "bare_insert_vs_bare": round(results["bare_insert"]["rps"] / bare_rps, 3),
        "submit_vs_bare_insert": round(results["submit"]["rps"] / results["bare_insert"]["rps"], 3),
        "submit_vs_pgbench": round(results["submit"]["rps"] / results["pgbench_insert"]["tps"], 3),
        "transition_vs_pgbench": round(results["transition"]["rps"] / results["pgbench_insert"]["tps"], 3),
    }
    text_ = json.dumps(results, ensure_ascii=False, indent=2)
    Path(a.out).write_text(text_ + "\n")
    print(text_)
    return 0


if __name__ == "__main__":
    sys.exit(main())
