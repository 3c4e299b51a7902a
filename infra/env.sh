# Shared locations for the infra scripts. Source it; every path lives outside the clone so that a second
# setup on the same machine reuses what the first one installed.
SDG_HOME="${SDG_HOME:-/opt/sdg}"
SDG_VENV="${SDG_VENV:-$SDG_HOME/venv}"
SDG_LOGS="${SDG_LOGS:-$SDG_HOME/logs}"
SDG_RUN="${SDG_RUN:-$SDG_HOME/run}"
SDG_MODEL_DIR="${SDG_MODEL_DIR:-$SDG_HOME/model}"
ES_VERSION="${ES_VERSION:-9.5.4}"
ES_HOME="${ES_HOME:-$SDG_HOME/elasticsearch-$ES_VERSION}"
ES_USER="${ES_USER:-sdg-es}"
ES_PORT="${ES_PORT:-9200}"
ES_HEAP="${ES_HEAP:-1g}"
ES_JAVA_HOME="${ES_JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$SDG_HOME/cargo-target}"
export PIP_CACHE_DIR="${PIP_CACHE_DIR:-$HOME/.cache/pip}"
export PATH="$SDG_VENV/bin:$HOME/.cargo/bin:$PATH"
SDG_SECRETS="${SDG_SECRETS:-$SDG_HOME/secrets}"
mkdir -p "$SDG_HOME" "$SDG_LOGS" "$SDG_RUN"

# secret NAME: a password generated on first use under SDG_SECRETS, readable by its owner only, never in the clone.
# services/common/servers.py reads the same files (es-sdg, rabbitmq-sdg) and builds the same URLs.
secret() {
  local file="$SDG_SECRETS/$1"
  if [ ! -s "$file" ]; then
    mkdir -p "$SDG_SECRETS"; chmod 700 "$SDG_SECRETS"
    (umask 077; od -An -N24 -tx1 /dev/urandom | tr -d ' \n' > "$file.tmp" && mv "$file.tmp" "$file")
  fi
  cat "$file"
}
SDG_SERVICE_USER=sdg SDG_VHOST=sdg
export SDG_ES_URL="${SDG_ES_URL:-http://$SDG_SERVICE_USER:$(secret es-sdg)@127.0.0.1:$ES_PORT}"
export SDG_AMQP_URL="${SDG_AMQP_URL:-amqp://$SDG_SERVICE_USER:$(secret rabbitmq-sdg)@127.0.0.1:5672/$SDG_VHOST}"

log() { printf '\033[1;34m[sdg]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[sdg]\033[0m %s\n' "$*" >&2; exit 1; }

# wait_for DESCRIPTION SECONDS COMMAND...: polls COMMAND every half second until it succeeds.
wait_for() {
  local what="$1" secs="$2"; shift 2
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || die "$what did not come up within ${secs}s"
    sleep 0.5
  done
}
