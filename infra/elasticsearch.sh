#!/usr/bin/env bash
# Elasticsearch 9 from Elastic's integ-test zip on Maven Central, run as a non-root system user.
# install | start | stop | health
set -euo pipefail
. "$(dirname "$0")/env.sh"
PIDFILE="$SDG_RUN/elasticsearch.pid"
URL="http://127.0.0.1:$ES_PORT"
ZIP="$HOME/.m2/repository/org/elasticsearch/distribution/integ-test-zip/elasticsearch/$ES_VERSION/elasticsearch-$ES_VERSION.zip"

install() {
  [ -x "$ES_HOME/bin/elasticsearch" ] && return 0
  if [ ! -f "$ZIP" ]; then
    log "fetching Elasticsearch $ES_VERSION from Maven Central"
    mvn -B -q org.apache.maven.plugins:maven-dependency-plugin:3.11.0:get \
      -Dartifact="org.elasticsearch.distribution.integ-test-zip:elasticsearch:$ES_VERSION:zip" -Dtransitive=false
  fi
  local tmp; tmp=$(mktemp -d "$SDG_HOME/es-unzip.XXXX")
  unzip -q "$ZIP" -d "$tmp"
  mv "$tmp/elasticsearch-$ES_VERSION" "$ES_HOME"; rmdir "$tmp"
  cat >> "$ES_HOME/config/elasticsearch.yml" <<YML
network.host: 127.0.0.1
http.port: $ES_PORT
discovery.type: single-node
xpack.security.enabled: false
action.destructive_requires_name: false
cluster.routing.allocation.disk.threshold_enabled: false
path.logs: $SDG_LOGS/elasticsearch
YML
  id -u "$ES_USER" >/dev/null 2>&1 || useradd -r -M -s /usr/sbin/nologin "$ES_USER"
  mkdir -p "$SDG_LOGS/elasticsearch"
  chown -R "$ES_USER:" "$ES_HOME" "$SDG_LOGS/elasticsearch"
  chmod o+x "$SDG_HOME"
}

health() { curl -fs "$URL/_cluster/health?wait_for_status=yellow&timeout=1s" >/dev/null; }

start() {
  install
  if health; then log "elasticsearch already running"; return 0; fi
  if [ -s "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
    log "elasticsearch is starting (pid $(cat "$PIDFILE")); waiting for it"
    wait_for elasticsearch 120 health
    return 0
  fi
  log "starting elasticsearch $ES_VERSION (heap $ES_HEAP)"
  touch "$PIDFILE"; chown "$ES_USER:" "$PIDFILE"
  runuser -u "$ES_USER" -- env ES_JAVA_HOME="$ES_JAVA_HOME" ES_JAVA_OPTS="-Xms$ES_HEAP -Xmx$ES_HEAP" \
    "$ES_HOME/bin/elasticsearch" -d -p "$PIDFILE" >"$SDG_LOGS/elasticsearch-start.log" 2>&1
  wait_for elasticsearch 120 health
}

stop() {
  [ -s "$PIDFILE" ] || return 0
  local pid; pid=$(cat "$PIDFILE")
  kill "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null; do sleep 0.5; done
  rm -f "$PIDFILE"
}

# One start or stop at a time: two concurrent starts race for the node's lock, and the loser's exit would remove
# the winner's pid file.
exec 9>"$SDG_RUN/elasticsearch.lock"
flock 9
"${1:-start}"
