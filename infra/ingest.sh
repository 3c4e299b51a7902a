#!/usr/bin/env bash
# Builds rust_ingest with maturin (a binary shipped in a wheel) and installs it into the virtualenv.
set -euo pipefail
. "$(dirname "$0")/env.sh"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WHEELS="$SDG_HOME/wheels"

install() {
  command -v cargo >/dev/null || die "cargo is missing: install Rust (rustup) first"
  log "building rust_ingest (release; cached in $CARGO_TARGET_DIR)"
  rm -rf "$WHEELS"; mkdir -p "$WHEELS"
  "$SDG_VENV/bin/maturin" build --release --quiet -m "$ROOT/rust_ingest/Cargo.toml" -o "$WHEELS"
  "$SDG_VENV/bin/pip" install -q --force-reinstall --no-deps "$WHEELS"/*.whl
}

"${1:-install}"
