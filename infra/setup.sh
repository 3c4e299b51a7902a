#!/usr/bin/env bash
# Installs everything sdg needs on a fresh machine: RabbitMQ, Elasticsearch, the Python virtualenv with the
# project, the default model, and rust_ingest (built by maturin). Idempotent: a second run only checks.
set -euo pipefail
. "$(dirname "$0")/env.sh"
HERE="$(cd "$(dirname "$0")" && pwd)"
started=$SECONDS

bash "$HERE/rabbitmq.sh" install
bash "$HERE/elasticsearch.sh" install
bash "$HERE/python.sh" venv
bash "$HERE/python.sh" model
bash "$HERE/ingest.sh" install

# Debian's Chromium for the console's browser tests (tests/console/): Playwright drives /usr/bin/chromium, so no
# browser is downloaded.
if ! command -v chromium >/dev/null; then
  log "installing chromium from Debian (the console's browser tests)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium chromium-driver >/dev/null
fi

# `just` and `sdg` on the PATH for the README's commands (they live in the virtualenv).
if [ -w /usr/local/bin ]; then
  for tool in just sdg; do ln -sf "$SDG_VENV/bin/$tool" "/usr/local/bin/$tool"; done
else
  log "add $SDG_VENV/bin to your PATH to get \`just\` and \`sdg\`"
fi
log "setup done in $((SECONDS - started))s"
