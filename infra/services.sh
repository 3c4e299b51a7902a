#!/usr/bin/env bash
# The sdg services as background processes with pid files and logs under one folder.
# start [NAME...] | stop [NAME...] | restart [NAME...] | status      NAME: api worker projector ingest (default: all)
set -euo pipefail
. "$(dirname "$0")/env.sh"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
ALL=(projector ingest worker api)
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 PYTHONUNBUFFERED=1
export SDG_WORKER_MODEL_DIR="${SDG_WORKER_MODEL_DIR:-$SDG_MODEL_DIR/SmolLM2-135M-Instruct}"
API_PORT="${SDG_API_PORT:-8000}"
INGEST_METRICS="${SDG_INGEST_METRICS_ADDR:-127.0.0.1:9464}"

command_of() {
  case "$1" in
    api) echo "$SDG_VENV/bin/uvicorn --factory services.api.app:create_app --host ${SDG_API_HOST:-127.0.0.1} --port $API_PORT --no-access-log" ;;
    worker) echo "$SDG_VENV/bin/python -m services.worker" ;;
    projector) echo "$SDG_VENV/bin/python -m services.projector" ;;
    ingest) echo "$SDG_VENV/bin/sdg-ingest" ;;
    *) die "unknown service $1 (api worker projector ingest)" ;;
  esac
}

running() { [ -s "$SDG_RUN/$1.pid" ] && kill -0 "$(cat "$SDG_RUN/$1.pid")" 2>/dev/null; }

ready() {
  case "$1" in
    api) curl -fs "http://127.0.0.1:$API_PORT/healthz" ;;
    worker) grep -q 'started successfully' "$SDG_LOGS/worker.log" ;;
    projector) grep -q 'started successfully' "$SDG_LOGS/projector.log" ;;
    ingest) curl -fs "http://$INGEST_METRICS/metrics" ;;
  esac
}

close_inherited_fds() {
  local fd
  for fd in /proc/$BASHPID/fd/*; do
    fd=${fd##*/}
    if [ "$fd" -gt 2 ] 2>/dev/null; then eval "exec $fd>&-" 2>/dev/null || true; fi
  done
}

start_one() {
  local name="$1"
  if running "$name"; then log "$name already running (pid $(cat "$SDG_RUN/$name.pid"))"; return 0; fi
  log "starting $name (log: $SDG_LOGS/$name.log)"
  : > "$SDG_LOGS/$name.log"
  # A daemon keeps no descriptor of its launcher beyond stdio (an inherited lock file would stay locked).
  (cd "$ROOT" && close_inherited_fds && exec setsid $(command_of "$name") >>"$SDG_LOGS/$name.log" 2>&1 </dev/null) &
  echo $! > "$SDG_RUN/$name.pid"
}

wait_ready() {
  local name="$1"
  local deadline=$((SECONDS + 180))
  until ready "$name" >/dev/null 2>&1; do
    running "$name" || { tail -n 30 "$SDG_LOGS/$name.log" >&2; die "$name exited during start-up"; }
    [ "$SECONDS" -lt "$deadline" ] || die "$name not ready after 180s (see $SDG_LOGS/$name.log)"
    sleep 0.5
  done
  log "$name ready"
}

stop_one() {
  local name="$1"
  running "$name" || { rm -f "$SDG_RUN/$name.pid"; return 0; }
  local pid; pid=$(cat "$SDG_RUN/$name.pid")
  log "stopping $name (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$SDG_RUN/$name.pid"
}

cmd="${1:-start}"; shift || true
names=("$@"); [ ${#names[@]} -gt 0 ] || names=("${ALL[@]}")
case "$cmd" in
  start)
    "$SDG_VENV/bin/python" -m services.common.bootstrap
    for n in "${names[@]}"; do start_one "$n"; done
    for n in "${names[@]}"; do wait_ready "$n"; done ;;
  stop) for n in "${names[@]}"; do stop_one "$n"; done ;;
  restart)
    for n in "${names[@]}"; do stop_one "$n"; done
    exec "$0" start "${names[@]}" ;;
  status) for n in "${ALL[@]}"; do if running "$n"; then echo "$n: running"; else echo "$n: stopped"; fi; done ;;
  *) die "usage: services.sh start|stop|restart|status [NAME...]" ;;
esac
