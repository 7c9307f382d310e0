#!/bin/sh
# The Smart315 image's entry point (deploy/Dockerfile ENTRYPOINT); also runnable outside a container,
# which is how tests/ops/test_image_entrypoint.py checks it in CI.
#
#   entrypoint.sh web          gunicorn on $BIND (deploy/gunicorn.conf.py) [the default]
#   entrypoint.sh worker       smart315 worker
#   entrypoint.sh scheduler    smart315 scheduler
#   entrypoint.sh migrate      smart315 db upgrade
#   entrypoint.sh healthcheck  GET /healthz on the address other containers and the published port reach
#   entrypoint.sh <command…>   runs it (e.g. smart315 users create …)
#
# In a container (SMART315_CONTAINER=1, set by the image) a loopback BIND is refused: the published port
# would reach nothing while a health check from inside the container still passed (issue 23.4). Compose
# sets BIND=0.0.0.0:8000 under `environment:`, which wins over the env_file's systemd-style 127.0.0.1.
set -eu

APP_DIR=${SMART315_APP_DIR:-$(cd "$(dirname "$0")/.." && pwd)}

port_of() { echo "${1##*:}"; }
host_of() { h=${1%:*}; echo "${h#[}" | sed 's/]$//'; }

prometheus_dir() {
    # gunicorn's workers share their samples here; it must be writable by the user the image runs as.
    dir=${PROMETHEUS_MULTIPROC_DIR:-}
    if [ -n "$dir" ] && mkdir -p "$dir" 2>/dev/null && [ -w "$dir" ]; then
        return 0
    fi
    fresh=$(mktemp -d "${TMPDIR:-/tmp}/smart315-prom.XXXXXX")
    [ -n "$dir" ] && echo "smart315: PROMETHEUS_MULTIPROC_DIR=$dir is not writable by $(id -un); using $fresh" >&2
    PROMETHEUS_MULTIPROC_DIR=$fresh
    export PROMETHEUS_MULTIPROC_DIR
}

check_bind() {
    bind=${BIND:-0.0.0.0:8000}
    case "$(host_of "$bind")" in
        127.*|localhost|::1)
            if [ "${SMART315_CONTAINER:-0}" = 1 ]; then
                echo "smart315: BIND=$bind listens on the container's loopback only: a published port reaches" \
                     "nothing. Set BIND=0.0.0.0:$(port_of "$bind") (deploy/compose.yaml does, under environment:)." >&2
                exit 64
            fi ;;
    esac
    BIND=$bind
    export BIND
}

# gunicorn reads WEB_CONCURRENCY as a number when it loads: an empty one (`WEB_CONCURRENCY=` in an env file)
# means "the default" here, as it does in deploy/gunicorn.conf.py.
[ -z "${WEB_CONCURRENCY:-}" ] && unset WEB_CONCURRENCY

cmd=${1:-web}
[ $# -gt 0 ] && shift
case "$cmd" in
    web)
        check_bind
        prometheus_dir
        exec gunicorn -c "$APP_DIR/deploy/gunicorn.conf.py" --bind "$BIND" "$@" server.wsgi:app ;;
    worker|scheduler)
        exec smart315 "$cmd" "$@" ;;
    migrate)
        exec smart315 db upgrade "$@" ;;
    healthcheck)
        bind=${BIND:-0.0.0.0:8000}
        host=$(host_of "$bind")
        case "$host" in
            0.0.0.0|""|::) host=$(hostname -i 2>/dev/null | awk '{print $1}') ; host=${host:-127.0.0.1} ;;
        esac
        case "$host" in *:*) host="[$host]" ;; esac
        exec curl -fsS -o /dev/null --max-time 3 "http://$host:$(port_of "$bind")/healthz" ;;
    *)
        exec "$cmd" "$@" ;;
esac
