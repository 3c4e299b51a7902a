#!/usr/bin/env bash
# RabbitMQ from Debian's package: install | start | stop | health.
set -euo pipefail
. "$(dirname "$0")/env.sh"

install() {
  command -v rabbitmq-server >/dev/null && return 0
  log "installing rabbitmq-server from Debian"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq rabbitmq-server >/dev/null
  # The package may start a broker through the init system; we run our own, so stop that one.
  rabbitmqctl stop >/dev/null 2>&1 || true
}

health() { rabbitmq-diagnostics -q check_port_connectivity >/dev/null 2>&1; }

start() {
  install
  if health; then log "rabbitmq already running"; return 0; fi
  log "starting rabbitmq"
  rabbitmq-server -detached
  # -detached returns before the node registers; await_startup refuses a node it cannot see yet.
  wait_for rabbitmq 120 rabbitmq-diagnostics -q ping
  rabbitmqctl -q await_startup --timeout 120
  rabbitmq-plugins -q enable rabbitmq_management >/dev/null 2>&1 || true
}

stop() { rabbitmqctl -q stop >/dev/null 2>&1 || true; }

"${1:-start}"
