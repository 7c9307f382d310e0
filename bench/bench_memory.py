"""Memory per process on a seeded database: each gunicorn worker and a `smart315 worker`, so an operator can size a machine.

Starts the platform exactly as `smart315 serve` does (gunicorn with deploy/gunicorn.conf.py), reads every
worker's memory from /proc right after start, then again after warm-up traffic (public rankings pages of every
industry, statistics, business profiles, and consumers' complaint lists and details with their own tokens,
spread over all workers), and a notification worker (`smart315 worker`) after it has polled the outbox for a
while. Memory is given three ways, from /proc/<pid>/smaps_rollup:

* rss: resident pages, shared ones included (what `ps` and `top` show);
* pss: each shared page divided among the processes sharing it (the sum over processes is the machine's use);
* uss: private pages only (what one more worker adds).

    .venv/bin/python -m bench.bench_memory --database-url postgresql://root@127.0.0.1/smart315_tenx --out bench/results/memory_tenx.json
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from bench.http_bench import ROOT, SECRET, Server, prepare


def mem_kib(pid: int) -> dict[str, int] | None:
    try:
        fields = {}
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
            k, v = line.split(":", 1)
            fields[k] = int(v.split()[0])
    except OSError:
        return None
    return {"rss": fields["Rss"], "pss": fields["Pss"],
            "uss": fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0)}


def summary(rows: list[dict[str, int]]) -> dict:
    out: dict = {"n": len(rows)}
    for k in ("rss", "pss", "uss"):
        vals = [r[k] / 1024 for r in rows]
        out[k + "_mib"] = {"mean": round(statistics.mean(vals), 1), "max": round(max(vals), 1)}
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--database-url", required=True)
    p.add_argument("--redis-url", default=None)
    p.add_argument("--field-key", default="bench-field-key")
    p.add_argument("--rounds", type=int, default=3, help="passes of the warm-up traffic")
    p.add_argument("--worker-seconds", type=int, default=20, help="how long the notification worker polls")
    p.add_argument("--out", default=str(ROOT / "bench" / "results" / "memory.json"))
    a = p.parse_args(argv)
    out_dir = Path(a.out).parent
    out_dir.mkdir(parents=True, exist_ok=True)
    data, info = prepare(a.database_url, out_dir, a.field_key)
    text_ = data.read_text()

    def lua_list(name: str, quoted: bool = False) -> list:
        raw = text_.split(name + "={")[1].split("}")[0]
        return [x.strip('"') for x in raw.split(",")] if quoted else json.loads("[" + raw + "]")

    businesses, industries, tokens = lua_list("businesses"), lua_list("industries", True), lua_list(
        "consumer_tokens", True)
    env = {**os.environ, "SMART315_ENV": "development", "DATABASE_URL": a.database_url, "SECRET_KEY": SECRET,
           "FIELD_ENCRYPTION_KEY": a.field_key, "EMBEDDED_WORKER": "0", "LOG_LEVEL": "WARNING",
           "LOG_FORMAT": "json", "ACCESS_TOKEN_TTL": "86400"}
    env.pop("REDIS_URL", None)
    if a.redis_url:
        env["REDIS_URL"] = a.redis_url
    from sqlalchemy import create_engine, text

    from server.config import normalize_database_url

    eng = create_engine(normalize_database_url(a.database_url))
    with eng.connect() as c:
        db_bytes = c.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
        counts = {t: c.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
                  for t in ("complaint", "complaint_event", "business", "user_account")}
    eng.dispose()
    result: dict = {"prepare": info, "database_mib": round(db_bytes / 2 ** 20, 1), "rows": counts,
                    "loadavg_before": os.getloadavg()}

    # Web workers as deployed, then without the assistant's retrieval index warmed at start (what that index costs).
    for prefix, extra in (("gunicorn", {}), ("gunicorn_assist_warm_off", {"ASSIST_WARM_INDEX": "0"})):
        app = Server("server.wsgi:app", {**env, **extra}, out_dir / f"memory_{prefix}.log")
        try:
            app.wait("/readyz")
            time.sleep(2)
            result[prefix + "_master_after_start"] = mem_kib(app.proc.pid)
            result[prefix + "_workers_after_start"] = summary([m for w in app.workers() if (m := mem_kib(w))])
            paths = [f"/api/v1/public/rankings?industry={i}&page={pg}" for i in industries for pg in (1, 2, 3)]
            paths += ["/api/v1/public/stats", "/api/v1/public/industries"] + [f"/api/v1/businesses/{b}" for b in businesses]
            consumer_calls = [(tok, None) for tok in tokens]

            def get(path: str, base: str = app.base) -> int:
                return requests.get(base + path, timeout=60).status_code

            def consumer(call: tuple[str, None], base: str = app.base) -> list[int]:
                h = {"Authorization": "Bearer " + call[0]}
                r = requests.get(base + "/api/v1/complaints", headers=h, timeout=60)
                codes = [r.status_code]
                items = r.json().get("items", []) if r.status_code == 200 else []
                for it in items[:2]:
                    codes.append(requests.get(base + f"/api/v1/complaints/{it['id']}", headers=h,
                                              timeout=60).status_code)
                return codes

            t0 = time.perf_counter()
            codes: list[int] = []
            with ThreadPoolExecutor(10) as pool:
                for _ in range(a.rounds):
                    codes += list(pool.map(get, paths))
                    codes += [c for cs in pool.map(consumer, consumer_calls) for c in cs]
            result[prefix + "_warm_up"] = {"requests": len(codes), "non_200": sum(c != 200 for c in codes),
                                 "seconds": round(time.perf_counter() - t0, 1)}
            result[prefix + "_master_after_warm_up"] = mem_kib(app.proc.pid)
            result[prefix + "_workers_after_warm_up"] = summary([m for w in app.workers() if (m := mem_kib(w))])
        finally:
            app.stop()

    # CLI processes never warm the retrieval index (server/cli.py); ASSIST_WARM_INDEX=1 in the environment
    # does not change that, measured beside it to show it.
    for label, extra in (("notification_worker", {}), ("notification_worker_env_assist_warm_on", {"ASSIST_WARM_INDEX": "1"})):
        log = open(out_dir / f"memory_{label}.log", "wb")
        worker = subprocess.Popen([str(Path(sys.executable).parent / "smart315"), "worker"], cwd=ROOT,
                                  env={**env, **extra}, stdout=log, stderr=subprocess.STDOUT)
        try:
            time.sleep(3)
            result[label + "_after_start"] = mem_kib(worker.pid)
            time.sleep(max(0, a.worker_seconds - 3))
            result[label + "_after_polling"] = mem_kib(worker.pid)
        finally:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
            log.close()
    result["notification_worker_seconds"] = a.worker_seconds
    result["loadavg_after"] = os.getloadavg()
    out = json.dumps(result, ensure_ascii=False, indent=2)
    Path(a.out).write_text(out + "\n")
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
