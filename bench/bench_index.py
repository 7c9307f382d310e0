"""Benchmark the complaint processing index: full set-based recompute and incremental per-business updates.

Generates businesses and complaints directly with COPY (psycopg) into a fresh PostgreSQL database
(default smart315_bench, dropped afterwards unless --keep), then measures:

* full recompute, first run (industry-means snapshot taken, every BusinessIndex row written);
* full recompute again (the steady state of the hourly job: same numbers, nothing to write);
* incremental update of one business (what every complaint transition pays), over a sample of
  businesses biased to the largest ones, and a real ``do_transition`` (respond) end to end.

    .venv/bin/python -m bench.bench_index --admin-url postgresql://root@127.0.0.1/postgres [--scale 0.01] [--keep]

Full scale is the seed platform's year: 42,913 businesses, 576,911 complaints.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from server.config import normalize_database_url

FULL_BUSINESSES = 42_913
FULL_COMPLAINTS = 576_911
INDUSTRIES = ("online_shopping", "telecom_service", "internet_service", "appliance", "food", "clothing", "vehicle",
              "education", "travel", "catering", "beauty", "housing", "finance", "insurance", "telecom_device",
              "medical", "culture_sports", "other")
REGIONS = ("110105", "110108", "310101", "310115", "440106", "440305", "330106", "320106", "510107", "420106")
NOW = datetime(2026, 11, 28, 4, 0, tzinfo=UTC)


def _ts(d: datetime | None) -> str | None:
    return None if d is None else d.isoformat()


def generate(conn, n_businesses: int, n_complaints: int, seed: int = 315) -> dict[str, float]:
    """COPY businesses and complaints with a lifecycle mix like a year of the seed platform."""
    rng = random.Random(seed)
    t0 = time.perf_counter()
    with conn.cursor() as cur:
        with cur.copy("COPY business (id, name, credit_code, industry_code, region_code, contact_name, status, "
                      "created_at) FROM STDIN") as cp:
            for i in range(1, n_businesses + 1):
                cp.write_row((i, f"基准商家{i:06d}", f"91BENCH{i:011d}", INDUSTRIES[i % len(INDUSTRIES)],
                              REGIONS[i % len(REGIONS)], "", "verified", _ts(NOW - timedelta(days=400))))
    t1 = time.perf_counter()
    # Heavy-tailed complaint counts per business: most have a handful, a few thousands.
    weights = [rng.paretovariate(1.2) for _ in range(n_businesses)]
    targets = rng.choices(range(1, n_businesses + 1), weights=weights, k=n_complaints)
    cols = ("id, business_id, business_name, industry_code, region_code, category, title, description, demands, "
            "public_consent, status, deadline_reminded, created_at, updated_at, accepted_at, forwarded_at, "
            "first_response_at, response_deadline_at, mediating_at, ended_at, settled_directly, "
            "mediation_cooperated, went_to_mediation, outcome, rating, version, person_seen_at")
    with conn.cursor() as cur:
        with cur.copy(f"COPY complaint ({cols}) FROM STDIN") as cp:
            for cid, bid in enumerate(targets, start=1):
                created = NOW - timedelta(minutes=rng.randrange(0, 400 * 24 * 60))
                accepted = created + timedelta(hours=rng.uniform(1, 72))
                forwarded = accepted
                deadline = forwarded + timedelta(days=14)
                first = mediating = ended = outcome = rating = None
                settled = cooperated = went = False
                status = "forwarded"
                r = rng.random()
                age = (NOW - forwarded).total_seconds() / 3600
                if r < 0.70:  # answered
                    first = forwarded + timedelta(hours=min(rng.expovariate(1 / 30), 500))
                    cooperated = True
                    if first > NOW:
                        first, cooperated = None, False
                    elif rng.random() < 0.8:
                        settled, status, outcome, ended = True, "resolved", "resolved", first + timedelta(days=2)
                    else:
                        went, status, mediating = True, "mediating", first + timedelta(days=3)
                elif r < 0.93 and age > 336:  # ignored: to mediation
                    went, status, mediating = True, "mediating", deadline
                    cooperated = rng.random() < 0.4
                elif r < 0.96:
                    status, outcome, ended = "withdrawn", "withdrawn", forwarded + timedelta(days=1)
                if went and mediating is not None and mediating < NOW - timedelta(days=20):
                    outcome = "resolved" if rng.random() < 0.75 else "unresolved"
                    status, ended = outcome, mediating + timedelta(days=15)
                if outcome in ("resolved", "unresolved") and rng.random() < 0.5:
                    rating, status = rng.randint(1, 5), "closed"
                cp.write_row((cid, bid, f"基准商家{bid:06d}", INDUSTRIES[bid % len(INDUSTRIES)],
                              REGIONS[bid % len(REGIONS)], "quality", "基准投诉", "基准投诉内容", "[]",
                              rng.random() < 0.3, status, False, _ts(created), _ts(ended or first or forwarded),
                              _ts(accepted), _ts(forwarded), _ts(first), _ts(deadline), _ts(mediating), _ts(ended),
                              settled, cooperated, went, outcome, rating, 1,
                              _ts(accepted)))  # a mediator accepted it: it counts in the index (0002_appeals)
    t2 = time.perf_counter()
    with conn.cursor() as cur:
        cur.execute("SELECT setval('business_id_seq', %s)", (n_businesses,))
        cur.execute("SELECT setval('complaint_id_seq', %s)", (n_complaints,))
    conn.commit()
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("VACUUM ANALYZE business")
        cur.execute("VACUUM ANALYZE complaint")
    conn.autocommit = False
    return {"businesses_s": round(t1 - t0, 2), "complaints_s": round(t2 - t1, 2),
            "analyze_s": round(time.perf_counter() - t2, 2)}


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def measure(url: str, samples: int) -> dict:
    from server.config import load_config
    from server.core.actor import Actor
    from server.core.complaints.actions import do_transition
    from server.core.models import Business, Complaint
    from server.core.scoring.actions import recompute_all, recompute_business
    from server.db import Database

    settings = load_config({"DATABASE_URL": url, "REDIS_URL": None})
    db = Database(url)
    out: dict = {}
    with db.session() as s:
        t = time.perf_counter()
        first = recompute_all(s, settings, NOW, refresh_means=True)
        s.commit()
        out["full_first_s"] = round(time.perf_counter() - t, 3)
        out["full_first"] = first
    with db.session() as s:
        t = time.perf_counter()
        again = recompute_all(s, settings, NOW)
        s.commit()
        out["full_again_s"] = round(time.perf_counter() - t, 3)
        out["full_again"] = again
    with db.session() as s:
        sizes = s.execute(text("SELECT business_id, count(*) FROM complaint WHERE business_id IS NOT NULL GROUP BY business_id "
                               "ORDER BY count(*) DESC")).all()
        out["largest_business_complaints"] = sizes[0][1]
        rng = random.Random(7)
        picks = [sizes[i][0] for i in range(min(20, len(sizes)))]
        picks += [rng.choice(sizes)[0] for _ in range(samples - len(picks))]
        timings = []
        for bid in picks:
            t = time.perf_counter()
            recompute_business(s, settings, bid, NOW)
            timings.append((time.perf_counter() - t) * 1000)
        s.rollback()
        t = time.perf_counter()
        recompute_business(s, settings, picks[0], NOW)
        warm_largest = (time.perf_counter() - t) * 1000
        s.rollback()
        out["incremental_ms"] = {"n": len(timings), "median": round(statistics.median(timings), 2),
                                 "p95": round(_pct(timings, 0.95), 2), "max": round(max(timings), 2),
                                 "largest_business_first_call": round(timings[0], 2),
                                 "largest_business_warm": round(warm_largest, 2)}
        # One real transition end to end (event, outbox, index) on the largest business.
        bid = sizes[0][0]
        c = s.execute(select(Complaint).where(Complaint.business_id == bid, Complaint.status == "forwarded")
                      .limit(1)).scalar_one_or_none()
        if c is not None:
            staff = Actor(user=None, kind="business_staff", business_ids=frozenset({bid}), api_key_id=1)
            t = time.perf_counter()
            do_transition(s, settings, staff, c, "respond", note="同意退款", now=NOW)
            out["transition_respond_ms_largest_business"] = round((time.perf_counter() - t) * 1000, 2)
            s.rollback()
        out["businesses"] = s.execute(select(text("count(*)")).select_from(Business)).scalar_one()
        out["complaints"] = s.execute(select(text("count(*)")).select_from(Complaint)).scalar_one()
    db.dispose()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--admin-url", default=os.environ.get("BENCH_ADMIN_URL", "postgresql://root@127.0.0.1/postgres"))
    ap.add_argument("--db", default="smart315_bench")
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--samples", type=int, default=200)
    ap.add_argument("--keep", action="store_true", help="keep the database afterwards")
    ap.add_argument("--reuse", action="store_true", help="measure a database kept by an earlier --keep run "
                    "or loaded by bench.seed (kept afterwards)")
    ap.add_argument("--out", default=None, help="write the JSON result here")
    args = ap.parse_args()

    import psycopg

    from server.migrate import upgrade

    admin_url = make_url(normalize_database_url(args.admin_url))
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    if not args.reuse:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{args.db}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{args.db}"'))
    url = admin_url.set(database=args.db).render_as_string(hide_password=False)
    result: dict = {"scale": args.scale, "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                                      "platform": platform.platform()}}
    try:
        if args.reuse:
            result.update(measure(url, args.samples))
            return _print(result, args.out)
        upgrade(url)
        n_b = max(10, round(FULL_BUSINESSES * args.scale))
        n_c = max(50, round(FULL_COMPLAINTS * args.scale))
        plain = url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(plain) as conn:
            result["postgres"] = conn.execute("SHOW server_version").fetchone()[0]
            t = time.perf_counter()
            result["load"] = generate(conn, n_b, n_c)
            result["load"]["total_s"] = round(time.perf_counter() - t, 2)
        result.update(measure(url, args.samples))
    finally:
        if not args.keep and not args.reuse:  # never drop a database it did not create (a 15-minute seed)
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{args.db}" WITH (FORCE)'))
        admin.dispose()
    _print(result, args.out)


def _print(result: dict, out: str | None) -> None:
    text_out = json.dumps(result, ensure_ascii=False, indent=2, default=str)
    print(text_out)
    if out:
        with open(out, "w", encoding="utf-8") as f:
            f.write(text_out + "\n")


if __name__ == "__main__":
    main()
