# sdg: synthetic datasets from a local language model. `just --list` shows the recipes.
set shell := ["bash", "-euo", "pipefail", "-c"]

venv := env_var_or_default("SDG_VENV", env_var_or_default("SDG_HOME", "/opt/sdg") + "/venv")
export PATH := venv + "/bin:" + env_var("PATH")
export HF_HUB_OFFLINE := "1"

# Install everything: servers, Python deps, the model, rust_ingest.
setup:
    bash infra/setup.sh

# Start RabbitMQ, Elasticsearch and the services (api, worker, projector, ingest).
up:
    bash infra/rabbitmq.sh start
    bash infra/elasticsearch.sh start
    bash infra/services.sh start

# Stop the services and the servers.
down:
    bash infra/services.sh stop
    bash infra/elasticsearch.sh stop
    bash infra/rabbitmq.sh stop

# Start (or restart) one service: just service api|worker|projector|ingest
service name:
    bash infra/services.sh stop {{name}}
    bash infra/services.sh start {{name}}

# Where each piece stands.
status:
    bash infra/services.sh status

# The main job: start everything, generate 10 customers, show progress, print them.
demo count="10":
    just up
    SDG_API_KEY="${SDG_API_KEY:-$(sdg keys create --name demo --scopes read,write)}" \
    sdg generate schemas/records/customer.json --count {{count}} --instructions "Customers of a European bookshop chain."

# The test suite (starts the servers and the services it needs).
test *args:
    bash infra/rabbitmq.sh start
    bash infra/elasticsearch.sh start
    python -m pytest {{args}}

# Rebuild rust_ingest after a change to rust_ingest/ and restart it.
ingest:
    bash infra/ingest.sh install
    bash infra/services.sh stop ingest
    bash infra/services.sh start ingest

# Drop the daily log indices (sdg-logs-YYYY.MM.DD) older than an age: just prune-logs --older-than 7d [--dry-run]
prune-logs *args:
    python -m services.common.prune_logs {{args}}

# Regenerate the event contract under schemas/ (AsyncAPI document and event JSON Schemas).
asyncapi:
    python -m services.contracts

# The dead-letter queue: just dead-letters list [--limit N] | redrive|drop (--job ID | --message-id ID | --all) [--dry-run]
dead-letters *args:
    python -m services.common.dead_letters {{args}}

# Rebuild the job projection from the event log: just replay [--job ID] [--dry-run] [--source es|stream]
replay *args:
    python -m services.replay {{args}}

# Replay throughput on the running stack: N synthetic events through the pipeline, then timed replays.
bench-replay *args:
    python tests/benchmarks/bench_replay.py {{args}}

# Ingest throughput: rust_ingest vs the best Python consumer vs a raw bulk load (prints a table, then JSON).
bench-ingest *args:
    python tests/benchmarks/bench_ingest.py {{args}}

# API under load: N SSE clients following one job (event -> client latency), POST /v1/jobs req/s, API RSS.
bench-api *args:
    python tests/benchmarks/bench_api.py {{args}}

# Log shipping's cost: the same job with shipping off and on (records/s), log bytes per 1,000 records.
bench-logs *args:
    python tests/benchmarks/bench_logs.py {{args}}

# Scale-out: one job with 1 and 2 workers, vs in-process, and a worker killed mid-chunk (prints a table, then JSON).
bench-scale *args:
    python tests/benchmarks/bench_scale.py {{args}}

# Data quality via the dataset profile: customers, and people with auto samplers on and off (a table, then JSON).
bench-quality *args:
    python tests/benchmarks/bench_quality.py {{args}}

# Generation: constrained vs unconstrained speed, records/s by batch size, schema coverage, duplicates, RSS.
bench-generate *args:
    python tests/benchmarks/bench_generate.py {{args}}
