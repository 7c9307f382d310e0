#!/usr/bin/env bash
# Benchmarks (`make bench`): seed-year load, index recompute (bench_index.py), HTTP load with ceilings.
# Quick and small by default (1 % of the seed year, 5 s runs); BENCH_SCALE=1 for the full seed year, 15 s runs.
# Needs PostgreSQL (BENCH_ADMIN_URL, a role that may create databases), wrk and pgbench (apt-get install -y wrk
# postgresql-contrib) and Redis (BENCH_REDIS_URL, default the local one, db 14; BENCH_REDIS_URL= runs without
# Redis, as a single machine without it would: each web process then re-reads a business profile every 5 s).
# Results: bench/results/*.json; figures go to docs/benchmarks.md by hand, with the load average printed beside them.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
SCALE=${BENCH_SCALE:-0.01}
ADMIN_URL=${BENCH_ADMIN_URL:-postgresql://root@127.0.0.1/postgres}
DB=${BENCH_DB:-smart315_seedyear}
OUT=${BENCH_OUT:-bench/results}
if [ "$SCALE" = "1" ]; then DURATION=${BENCH_DURATION:-15}; else DURATION=${BENCH_DURATION:-5}; fi
CONNS=${BENCH_CONNECTIONS:-16}
REDIS=${BENCH_REDIS_URL-redis://127.0.0.1:6379/14}
mkdir -p "$OUT"
echo "== machine: $(nproc) CPUs, $(free -g | awk '/Mem:/{print $2}') GiB, load $(cut -d' ' -f1-3 /proc/loadavg)"

echo "== seed year at scale $SCALE into $DB"
$PY -m bench.seed --admin-url "$ADMIN_URL" --db "$DB" --scale "$SCALE" --out "$OUT/seed.json"

if [ -f bench/bench_index.py ]; then
  echo "== index recompute (bench/bench_index.py)"
  $PY -m bench.bench_index --scale "$SCALE" --out "$OUT/index.json" || echo "bench_index failed (see above)"
fi

URL=$($PY -c "from sqlalchemy.engine import make_url; import sys; print(make_url(sys.argv[1]).set(database=sys.argv[2]).render_as_string(hide_password=False))" "$ADMIN_URL" "$DB")
echo "== HTTP load (wrk) beside the bare-Flask and pgbench ceilings"
$PY -m bench.http_bench --database-url "$URL" ${REDIS:+--redis-url "$REDIS"} \
    --duration "$DURATION" --connections "$CONNS" --out "$OUT/http.json"
echo "== results in $OUT; load $(cut -d' ' -f1-3 /proc/loadavg)"
