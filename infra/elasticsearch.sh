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
  id -u "$ES_USER" >/dev/null 2>&1 || useradd -r -M -s /usr/sbin/nologin "$ES_USER"
  mkdir -p "$SDG_LOGS/elasticsearch"
  chown -R "$ES_USER:" "$ES_HOME" "$SDG_LOGS/elasticsearch"
  chmod o+x "$SDG_HOME"
}

# Written on every start, so a node installed by an older setup gets the same settings. Security is on: HTTP on
# loopback without TLS (single node, no transport to protect), one file-realm user `sdg` whose password infra/env.sh
# generated, with a role limited to the sdg-* indices.
configure() {
  cat > "$ES_HOME/config/elasticsearch.yml" <<YML
network.host: 127.0.0.1
http.port: $ES_PORT
discovery.type: single-node
xpack.security.enabled: true
xpack.security.http.ssl.enabled: false
xpack.security.transport.ssl.enabled: false
action.destructive_requires_name: false
cluster.routing.allocation.disk.threshold_enabled: false
path.logs: $SDG_LOGS/elasticsearch
YML
  cat > "$ES_HOME/config/roles.yml" <<YML
sdg_service:
  cluster: [monitor, manage_index_templates]
  indices:
    - names: ["sdg-*"]
      privileges: [all]
YML
  local users="$ES_HOME/config/users" password; password=$(secret es-sdg)
  if ! grep -q "^$SDG_SERVICE_USER:" "$users" 2>/dev/null || [ "$SDG_SECRETS/es-sdg" -nt "$users" ]; then
    log "elasticsearch: (re)creating user $SDG_SERVICE_USER"
    es_cli elasticsearch-users userdel "$SDG_SERVICE_USER" >/dev/null 2>&1 || true
    es_cli elasticsearch-users useradd "$SDG_SERVICE_USER" -p "$password" -r sdg_service
  fi
  chown "$ES_USER:" "$ES_HOME/config/elasticsearch.yml" "$ES_HOME/config/roles.yml" "$users" "$users"_roles
}

es_cli() { runuser -u "$ES_USER" -- env ES_JAVA_HOME="$ES_JAVA_HOME" "$ES_HOME/bin/$1" "${@:2}"; }

health() {
  curl -fs -u "$SDG_SERVICE_USER:$(secret es-sdg)" "$URL/_cluster/health?wait_for_status=yellow&timeout=1s" >/dev/null
}

# A node that answers without credentials predates security: it is restarted with the settings above.
secured() { [ "$(curl -s -o /dev/null -w '%{http_code}' "$URL/")" = 401 ]; }

start() {
  install
  if health && ! secured; then log "elasticsearch runs without security; restarting it with security on"; stop; fi
  if health; then log "elasticsearch already running"; return 0; fi
  if [ -s "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
    log "elasticsearch is starting (pid $(cat "$PIDFILE")); waiting for it"
    wait_for elasticsearch 120 health
    return 0
  fi
  configure
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
