"""Public reads through nginx with and without the micro-cache, beside Flask directly and the bare-Flask ceiling.

The platform runs as `smart315 serve` does (gunicorn with deploy/gunicorn.conf.py), once with the in-process
fast path (server/fastpath.py) and once with PUBLIC_FAST_PATH=0; nginx (`apt-get install -y nginx`, only for
this measurement) runs bench/nginx/bench.conf.template: deploy/nginx/smart315.conf's proxy location without TLS,
on one port as it is and on another with a micro-cache (proxy_cache honouring the app's Cache-Control, lock,
stale-while-updating). Each cell is `wrk -t2 -c<C> -d<D>s --latency` on one URL, after a 2 s warm-up run.

    .venv/bin/python -m bench.bench_nginx --database-url postgresql://root@127.0.0.1/smart315_tenx --out bench/results/nginx_tenx.json
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import requests

from bench.http_bench import ROOT, SECRET, Server, free_port

URLS = {"stats": "/api/v1/public/stats", "rankings": "/api/v1/public/rankings?industry=online_shopping&page=1"}


def wrk_latency(url: str, conns: int, duration: int) -> dict:
    out = subprocess.run(["wrk", "-t2", f"-c{conns}", f"-d{duration}s", "--timeout", "10s", "--latency", url],
                         capture_output=True, text=True, timeout=duration + 60).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def ms(label: str) -> float | None:
        m = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not m:
            return None
        v, unit = float(m.group(1)), m.group(2)
        return round(v / 1000 if unit == "us" else v * 1000 if unit == "s" else v, 2)

    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {"rps": rps, "p50_ms": ms("50"), "p90_ms": ms("90"), "p99_ms": ms("99"),
            "non_2xx": int(non2xx.group(1)) if non2xx else 0, "socket_errors": errors.group(1) if errors else None,
            "raw": out}


class Nginx:
    def __init__(self, app_port: int):
        self.dir = Path(tempfile.mkdtemp(prefix="bench-nginx-"))
        self.dir.chmod(0o755)  # nginx's workers run as an unprivileged user: they write the cache and temp files
        for d in ("cache", "tmp", "logs"):
            (self.dir / d).mkdir()
            (self.dir / d).chmod(0o777)
        self.plain, self.cached = free_port(), free_port()
        conf = (ROOT / "bench" / "nginx" / "bench.conf.template").read_text()
        for k, v in {"$DIR": str(self.dir), "$APP_PORT": str(app_port), "$PLAIN_PORT": str(self.plain),
                     "$CACHED_PORT": str(self.cached)}.items():
            conf = conf.replace(k, v)
        (self.dir / "nginx.conf").write_text(conf)
        self.proc = subprocess.Popen(["nginx", "-p", str(self.dir), "-c", str(self.dir / "nginx.conf")],
                                     stdout=subprocess.DEVNULL, stderr=open(self.dir / "logs" / "stderr.log", "wb"))
        time.sleep(1)
        if self.proc.poll() is not None:
            raise RuntimeError((self.dir / "logs" / "stderr.log").read_text())

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGQUIT)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--database-url", required=True)
    p.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    p.add_argument("--field-key", default="bench-field-key")
    p.add_argument("--duration", type=int, default=10)
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--out", default=str(ROOT / "bench" / "results" / "nginx.json"))
    a = p.parse_args(argv)
    if not shutil.which("nginx") or not shutil.which("wrk"):
        raise SystemExit("nginx or wrk not found: apt-get install -y nginx wrk")
    out_dir = Path(a.out).parent
    env = {**os.environ, "SMART315_ENV": "development", "DATABASE_URL": a.database_url, "SECRET_KEY": SECRET,
           "FIELD_ENCRYPTION_KEY": a.field_key, "EMBEDDED_WORKER": "0", "LOG_LEVEL": "WARNING",
           "LOG_FORMAT": "json", "REDIS_URL": a.redis_url, "TRUSTED_PROXIES": "1"}
    C, D = a.connections, a.duration
    res: dict = {"connections": C, "duration_s": D, "loadavg_before": os.getloadavg(), "cells": {}}
    raw: list[str] = []

    def cell(name: str, url: str) -> None:
        wrk_latency(url, C, 2)
        r = wrk_latency(url, C, D)
        raw.append(f"### {name}: wrk -t2 -c{C} -d{D}s --latency {url}\n{r.pop('raw')}")
        r["loadavg"] = os.getloadavg()[0]
        res["cells"][name] = r
        print(name, json.dumps(r), flush=True)

    bare = Server("bench.bare_app:app", env, out_dir / "nginx_bare.log")
    try:
        bare.wait("/bare")
        cell("bare_flask", bare.base + "/bare")
    finally:
        bare.stop()
    for fast in ("1", "0"):
        app = Server("server.wsgi:app", {**env, "PUBLIC_FAST_PATH": fast}, out_dir / f"nginx_app_fast{fast}.log")
        ngx = None
        try:
            app.wait("/readyz")
            ngx = Nginx(app.port)
            label = "fastpath_on" if fast == "1" else "fastpath_off"
            for ep, path in URLS.items():
                h = requests.get(f"http://127.0.0.1:{ngx.cached}{path}", timeout=30)
                h = requests.get(f"http://127.0.0.1:{ngx.cached}{path}", timeout=30)
                res.setdefault("headers", {})[f"{ep}_{label}"] = {k: v for k, v in h.headers.items()
                                                                 if k.lower() in ("cache-control", "etag",
                                                                                  "x-cache-status", "content-length")}
                cell(f"{ep}_{label}_direct", app.base + path)
                cell(f"{ep}_{label}_nginx", f"http://127.0.0.1:{ngx.plain}{path}")
                cell(f"{ep}_{label}_nginx_microcache", f"http://127.0.0.1:{ngx.cached}{path}")
        finally:
            if ngx:
                ngx.stop()
            app.stop()
    res["loadavg_after"] = os.getloadavg()
    Path(a.out).write_text(json.dumps(res, ensure_ascii=False, indent=2) + "\n")
    Path(a.out).with_suffix(".txt").write_text("\n".join(raw))
    print(json.dumps({k: (v["rps"], v["p99_ms"]) for k, v in res["cells"].items()}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
