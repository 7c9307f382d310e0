"""gunicorn settings for Smart315 (`smart315 serve` passes `-c deploy/gunicorn.conf.py`).

Every value can be overridden from the environment: WEB_CONCURRENCY (workers, default 2 x CPUs + 1),
GUNICORN_THREADS (default 4: gthread workers), GUNICORN_TIMEOUT, GUNICORN_KEEPALIVE, GUNICORN_MAX_REQUESTS, BIND, LOG_LEVEL.
Prometheus metrics are collected per worker into PROMETHEUS_MULTIPROC_DIR and merged by /metrics.
"""
import multiprocessing
import os
import shutil
import tempfile

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() * 2 + 1)
# Threads (the gthread worker) by default: a streamed /consult answer holds a thread for the model's whole
# answer, which with the sync worker would be the whole worker. The app itself lets at most
# ASSIST_MAX_STREAMS (default 2) model streams run at once per worker, so the other threads stay free;
# tests/api/test_assist_streaming.py checks two streams do not wait for each other on one worker.
threads = int(os.environ.get("GUNICORN_THREADS") or 4)
worker_class = "gthread" if threads > 1 else "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT") or 30)
graceful_timeout = 20
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE") or 5)
# Recycle workers now and then so a slow leak never becomes an outage; jitter avoids all restarting at once.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS") or 100000)
max_requests_jitter = max(1, max_requests // 10)
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
proxy_allow_ips = forwarded_allow_ips
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None  # nginx logs access; set "-" to log here too
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# Request bodies: nginx already caps them at 12m. The request line is capped at 8190 bytes (gunicorn's
# maximum); the app itself answers a problem document 414 for a query string over MAX_QUERY_STRING_BYTES,
# so gunicorn's HTML 414 is only ever seen for request lines the app could not have served anyway.
limit_request_line = int(os.environ.get("GUNICORN_LIMIT_REQUEST_LINE") or 8190)

# Prometheus multiprocess mode: a directory shared by the workers of this server, emptied at start.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="smart315-prom-")
_prom_dir = os.environ["PROMETHEUS_MULTIPROC_DIR"]


def on_starting(server):
    # Refuse to start in production on a development default or CHANGE-ME secret, naming it (issue 15.2).
    from server.config import exit_if_insecure

    exit_if_insecure()
    os.makedirs(_prom_dir, exist_ok=True)
    for name in os.listdir(_prom_dir):
        path = os.path.join(_prom_dir, name)
        if os.path.isfile(path):
            os.unlink(path)
        else:
            shutil.rmtree(path, ignore_errors=True)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
