"""The benchmark's workload: realistic sdg events (nearly all RecordGenerated, ~780 bytes with a nested record) and
the bulk NDJSON rust_ingest makes of them, for the broker-less ceilings."""

import json
import random
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

JOB_SIZE = 1000  # events per made-up job: JobSubmitted, JobStarted, RecordGenerated..., JobCompleted
START = datetime(2026, 11, 27, 18, tzinfo=UTC)
FIRST_REVISION = 1  # a RecordGenerated's revision (src/envelope.rs)


def make_events(count: int, seed: int = 7) -> list[bytes]:
    """`count` event bodies as a worker publishes them: jobs of JOB_SIZE events, nearly all RecordGenerated."""
    rng = random.Random(seed)
    bodies = []
    for job_start in range(0, count, JOB_SIZE):
        size = min(JOB_SIZE, count - job_start)
        job_id, correlation = f"bench-{job_start // JOB_SIZE:05d}", str(uuid.UUID(int=rng.getrandbits(128)))
        for position in range(size):
            kind = ("JobSubmitted" if position == 0 else "JobStarted" if position == 1
                    else "JobCompleted" if position == size - 1 and size > 3 else "RecordGenerated")
            body = event(rng, kind, job_id, correlation, position)
            bodies.append(json.dumps(body, separators=(",", ":")).encode())
    return bodies


def event(rng: random.Random, kind: str, job_id: str, correlation: str, position: int) -> dict:
    occurred_at = (START + timedelta(seconds=position)).strftime("%Y-%m-%dT%H:%M:%SZ")
    envelope = {"event_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "version": 1, "job_id": job_id,
                "sequence": position + 1, "occurred_at": occurred_at, "correlation_id": correlation,
                "causation_id": None, "tenant": "bench", "type": kind}
    if kind == "RecordGenerated":
        index = position - 2
        return {**envelope, "record_id": f"{job_id}/{index}", "index": index, "record": customer(rng, index),
                "records_generated": index + 1,
                "usage": {"prompt_tokens": 180, "completion_tokens": rng.randint(90, 160), "latency_ms": 812.5}}
    if kind == "JobSubmitted":
        return {**envelope, "spec": {"schema": {"type": "object"}, "count": JOB_SIZE - 3, "seed": 7}}
    if kind == "JobStarted":
        return {**envelope, "version": 2, "worker": "bench", "model_id": "SmolLM2-135M", "backend": "llguidance"}
    return {**envelope, "records_generated": JOB_SIZE - 3, "records_rejected": 0}


def customer(rng: random.Random, index: int) -> dict:
    first, last = rng.choice(["Ada", "Grace", "Linus", "Barbara", "Ken"]), rng.choice(["Lovelace", "Hopper", "Liskov"])
    return {"customer_id": f"C-{index:08d}", "name": f"{first} {last}", "email": f"{first}.{last}{index}@example.org",
            "address": {"street": f"{rng.randint(1, 300)} Rue de la Paix", "city": rng.choice(["Lyon", "Ghent"]),
                        "postcode": f"{rng.randint(10000, 99999)}", "country": rng.choice(["FR", "BE", "NL"])},
            "orders": [{"sku": f"BK-{rng.randint(1000, 9999)}", "quantity": rng.randint(1, 4),
                        "price": round(rng.uniform(5, 60), 2)} for _ in range(2)],
            "loyalty": {"tier": rng.choice(["bronze", "silver", "gold"]), "points": rng.randint(0, 5000)},
            "notes": "Prefers paperbacks; ask before substituting."}


def write_ndjson(bodies: list[bytes], path: Path, events_index: str, records_index: str, cheapest: bool = False) -> int:
    """Writes the bulk actions rust_ingest makes of these events to `path` (src/encoder.rs: a `create` of the body;
    a record as an `index` at its revision as external version, with `revision` and `text`); with `cheapest`, the
    least a bulk load of the same documents could ask: a `create` of the record without `revision` and `text`.
    Returns how many documents they are."""
    docs = 0
    with path.open("wb") as out:
        for body in bodies:
            message = json.loads(body)
            out.write(create_line(events_index, message["event_id"]) + body + b"\n")
            docs += 1
            if message["type"] == "RecordGenerated":
                if cheapest:
                    action, record = create_line(records_index, message["record_id"]), record_doc(message)
                else:
                    action = versioned_index_line(records_index, message["record_id"], FIRST_REVISION)
                    record = record_doc(message, FIRST_REVISION)
                out.write(action + compact_json(record).encode() + b"\n")
                docs += 1
    return docs


def create_line(index: str, doc_id: str) -> bytes:
    return compact_json({"create": {"_index": index, "_id": doc_id}}).encode() + b"\n"


def versioned_index_line(index: str, doc_id: str, version: int) -> bytes:
    action = {"index": {"_index": index, "_id": doc_id, "version": version, "version_type": "external"}}
    return compact_json(action).encode() + b"\n"


def record_doc(message: dict, revision: int | None = None) -> dict:
    """The record document as rust_ingest writes it at `revision` (src/encoder.rs, fields in its order); without a
    revision, the cheapest one: neither `revision` nor `text`."""
    ids = {key: message[key] for key in ("record_id", "job_id", "tenant", "index")}
    record = message["record"]
    body = ({"record": record} if revision is None
            else {"revision": revision, "record": record, "text": record_text(record)})
    usage = {"usage": message["usage"]} if "usage" in message else {}
    return {**ids, **body, **usage, "event_id": message["event_id"], "correlation_id": message["correlation_id"],
            "generated_at": message["occurred_at"]}


def compact_json(doc: dict) -> str:
    """A document as rust_ingest serialises it: no spaces, non-ASCII as is."""
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False)


def record_text(value) -> str:
    """Every string and number of the record, depth first in document order, joined with spaces (booleans, nulls
    and blank strings left out), as src/encoder.rs `record_text` makes it."""
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, str):
        return value if value.strip() else ""
    if isinstance(value, int | float):
        return str(value)
    items = value.values() if isinstance(value, dict) else value
    return " ".join(word for word in map(record_text, items) if word)
