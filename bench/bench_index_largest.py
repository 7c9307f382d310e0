"""The incremental index update of one business, repeated: p50/p95 of `recompute_business` (what every transition
of that business pays) for the largest business of a seeded database, each call rolled back, with the clock of now.

    .venv/bin/python -m bench.bench_index_largest --database-url postgresql://root@127.0.0.1/smart315_tenx --n 200
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from datetime import UTC, datetime

from sqlalchemy import text


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--database-url", required=True)
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    from server.config import load_config
    from server.core.scoring.actions import recompute_business
    from server.db import Database

    settings = load_config({"DATABASE_URL": a.database_url, "REDIS_URL": None})
    db = Database(settings["DATABASE_URL"])
    now = datetime.now(UTC)
    out: dict = {"loadavg_before": os.getloadavg(), "now": now.isoformat()}
    with db.session() as s:
        bid, n = s.execute(text("SELECT business_id, count(*) FROM complaint WHERE business_id IS NOT NULL "
                                "GROUP BY business_id ORDER BY 2 DESC LIMIT 1")).one()
        out.update(business_id=bid, complaints=n)
        times = []
        for _ in range(a.n):
            t = time.perf_counter()
            recompute_business(s, settings, bid, now)
            times.append((time.perf_counter() - t) * 1000)
            s.rollback()
    db.dispose()
    q = statistics.quantiles(times, n=100)
    out["ms"] = {"n": a.n, "p50": round(q[49], 2), "p95": round(q[94], 2), "p99": round(q[98], 2),
                 "max": round(max(times), 2), "first": round(times[0], 2)}
    out["loadavg_after"] = os.getloadavg()
    txt = json.dumps(out, indent=2)
    print(txt)
    if a.out:
        with open(a.out, "w") as f:
            f.write(txt + "\n")


if __name__ == "__main__":
    main()
