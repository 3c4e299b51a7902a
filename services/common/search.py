"""Elasticsearch indices: versioned names behind aliases, mappings read from schemas/elasticsearch/."""

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path

import structlog
from elasticsearch import ApiError, AsyncElasticsearch, TransportError

MAPPINGS_DIR = Path(__file__).resolve().parents[2] / "schemas" / "elasticsearch"


@dataclass(frozen=True)
class IndexSpec:
    alias: str
    mapping_file: str
    generation: int = 1

    @property
    def concrete(self) -> str:
        return f"{self.alias}-v{self.generation}"

    def body(self) -> dict:
        return json.loads((MAPPINGS_DIR / self.mapping_file).read_text())


EVENTS_INDEX = IndexSpec("sdg-events", "events.json")
RECORDS_INDEX = IndexSpec("sdg-records", "records.json")
JOBS_INDEX = IndexSpec("sdg-jobs", "jobs.json")
KEYS_INDEX = IndexSpec("sdg-keys", "keys.json")
RECORD_TYPES_INDEX = IndexSpec("sdg-record-types", "record_types.json")
SERVICES_INDEX = IndexSpec("sdg-services", "services.json")  # one document per service instance: last heartbeat
PROFILES_INDEX = IndexSpec("sdg-profiles", "profiles.json")
# The coordinator's ledger of each job (sequence position, chunks, cancel): one document per job, written with
# optimistic concurrency, read by workers before each batch (services/coordinator/).
LEDGERS_INDEX = IndexSpec("sdg-ledgers", "ledgers.json")
# Claims every worker of a job agrees on, each a document created once by id: a slot's record
# (`<job>/slot/<index>`) and a record's exact and near digests (`<job>/exact/<digest>`), so a slot has one record
# ever and no two records of a job repeat each other (services/worker/claims.py). Read by id, never searched.
CLAIMS_INDEX = IndexSpec("sdg-claims", "claims.json")
# Idempotency keys of POST /v1/jobs and /v1/batches: one document per (tenant, key), created once by id, holding the
# request's fingerprint, the event it published and the answer it got (services/api/jobs/idempotency.py). Read by id.
IDEMPOTENCY_INDEX = IndexSpec("sdg-idempotency", "idempotency.json")
ALL_INDICES = (EVENTS_INDEX, RECORDS_INDEX, JOBS_INDEX, KEYS_INDEX, RECORD_TYPES_INDEX, SERVICES_INDEX, PROFILES_INDEX,
               LEDGERS_INDEX, CLAIMS_INDEX, IDEMPOTENCY_INDEX)


async def ensure_indices(es: AsyncElasticsearch, specs=ALL_INDICES) -> None:
    """Create each alias's first concrete index if the alias does not exist yet (safe to run concurrently).

    Where the alias exists, new fields of the mapping file are added to it (additive changes only; a changed field
    type needs a new generation and a replay). The daily log indices' template is put too."""
    for spec in specs:
        if await es.indices.exists_alias(name=spec.alias):
            await es.indices.put_mapping(index=spec.alias, properties=spec.body()["mappings"]["properties"])
            continue
        body = spec.body()
        await es.options(ignore_status=400).indices.create(
            index=spec.concrete,
            settings=body["settings"],
            mappings=body["mappings"],
            aliases={spec.alias: {"is_write_index": True}},
        )
    await ensure_log_template(es)


# Log lines: one index per day, `sdg-logs-YYYY.MM.DD`, made by rust_ingest's first write of the day from this
# template (mapping and the alias every day's index joins). Retention drops whole days: `just prune-logs`.
LOGS_ALIAS, LOGS_INDEX_PREFIX, LOGS_TEMPLATE = "sdg-logs", "sdg-logs-", "sdg-logs"


async def ensure_log_template(es: AsyncElasticsearch) -> None:
    """Puts the daily log indices' template (idempotent: a put replaces it; the days already there keep theirs)."""
    body = json.loads((MAPPINGS_DIR / "logs.json").read_text())
    await es.indices.put_index_template(name=LOGS_TEMPLATE, **body)


async def wait_until_searchable(es: AsyncElasticsearch, timeout: str = "30s") -> None:
    await es.cluster.health(wait_for_status="yellow", timeout=timeout)


MAX_BACKOFF_S = 30.0


async def durably(what: str, call):
    """Runs an Elasticsearch call until it answers, backing off: an outage delays the work, it never loses or
    repeats it. A refusal (4xx other than 429) is raised at once."""
    delay = 0.5
    while True:
        try:
            return await call()
        except (TransportError, ApiError) as exc:
            if isinstance(exc, ApiError) and exc.status_code != 429 and exc.status_code < 500:
                raise
            structlog.get_logger().warning("elasticsearch unavailable; retrying", what=what, error=str(exc),
                                           retry_in_s=delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_BACKOFF_S)
