#!/usr/bin/env bash
# The sdg services as background processes with pid files and logs under one folder.
# start [NAME...] | stop [NAME...] | restart [NAME...] | status
# NAME: api worker coordinator projector ingest (default: all), or one worker instance worker-N.
# SDG_WORKERS=N (default 1) runs N worker processes (worker, worker-2, ... worker-N), each with cores/N torch threads.
set -euo pipefail
. "$(dirname "$0")/env.sh"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
ALL=(projector coordinator ingest worker api)
WORKERS="${SDG_WORKERS:-1}"
[[ "$WORKERS" =~ ^[1-9][0-9]*$ ]] || die "SDG_WORKERS must be a whole number >= 1 (got $WORKERS)"
export SDG_WORKERS="$WORKERS"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 PYTHONUNBUFFERED=1
# rust_ingest reads its own variables; by default the same servers and credentials as every other service (lapin
# needs the vhost spelled out: %2f for "/").
export SDG_INGEST_ES_URL="${SDG_INGEST_ES_URL:-$SDG_ES_URL}"
INGEST_AMQP="${SDG_INGEST_AMQP_URL:-$SDG_AMQP_URL}"
[[ "$INGEST_AMQP" =~ ^amqps?://[^/]+/?$ ]] && INGEST_AMQP="${INGEST_AMQP%/}/%2f"
export SDG_INGEST_AMQP_URL="$INGEST_AMQP"
export SDG_WORKER_MODEL_DIR="${SDG_WORKER_MODEL_DIR:-$SDG_MODEL_DIR/SmolLM2-135M-Instruct}"
API_PORT="${SDG_API_PORT:-8000}"
INGEST_METRICS="${SDG_INGEST_METRICS_ADDR:-127.0.0.1:9464}"

command_of() {
  case "$1" in
    api) echo "$SDG_VENV/bin/uvicorn --factory services.api.app:create_app --host ${SDG_API_HOST:-127.0.0.1} --port $API_PORT --no-access-log" ;;
    worker|worker-[0-9]*) echo "$SDG_VENV/bin/python -m services.worker" ;;
    coordinator) echo "$SDG_VENV/bin/python -m services.coordinator" ;;
    projector) echo "$SDG_VENV/bin/python -m services.projector" ;;
    ingest) echo "$SDG_VENV/bin/sdg-ingest" ;;
    *) die "unknown service $1 (api worker coordinator projector ingest)" ;;
  esac
}

running() { [ -s "$SDG_RUN/$1.pid" ] && kill -0 "$(cat "$SDG_RUN/$1.pid")" 2>/dev/null; }

ready() {
  case "$1" in
    api) curl -fs "http://127.0.0.1:$API_PORT/healthz" ;;
    worker|worker-[0-9]*|coordinator) grep -q 'started successfully' "$SDG_LOGS/$1.log" ;;
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

# "worker" means every worker instance: the SDG_WORKERS to start, and any running to stop.
instances() {
  local n
  for n in "$@"; do
    if [ "$n" = worker ]; then
      echo worker
      for i in $(seq 2 "$WORKERS"); do echo "worker-$i"; done
      for f in "$SDG_RUN"/worker-*.pid; do [ -e "$f" ] && basename "$f" .pid; done
    else echo "$n"; fi
  done | awk '!seen[$0]++'
}

cmd="${1:-start}"; shift || true
requested=("$@"); names=("$@"); [ ${#names[@]} -gt 0 ] || names=("${ALL[@]}")
mapfile -t names < <(instances "${names[@]}")
case "$cmd" in
  start)
    "$SDG_VENV/bin/python" -m services.common.bootstrap
    for n in "${names[@]}"; do start_one "$n"; done
    for n in "${names[@]}"; do wait_ready "$n"; done ;;
  stop) for n in "${names[@]}"; do stop_one "$n"; done ;;
  restart)
    for n in "${names[@]}"; do stop_one "$n"; done
    exec "$0" start "${requested[@]}" ;;
  status) while read -r n; do if running "$n"; then echo "$n: running"; else echo "$n: stopped"; fi; done < <(instances "${ALL[@]}") ;;
  *) die "usage: services.sh start|stop|restart|status [NAME...]" ;;
esac
