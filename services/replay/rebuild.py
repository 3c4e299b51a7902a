"""Rebuilding the job projection: fold the log into fresh documents, write a new index, swap the alias atomically."""

from collections.abc import AsyncIterator
from typing import Any

from elasticsearch import AsyncElasticsearch
from elasticsearch.helpers import async_bulk

from events import Envelope
from services.common.search import JOBS_INDEX, PROFILES_INDEX, RECORD_TYPES_INDEX, IndexSpec, ensure_indices
from services.projections.projection import apply
from services.projections.registries import is_registry_event, project_registry_event
from services.projections.store import project_all


async def fold_all(events: AsyncIterator[Envelope],
                   record_types: list[Envelope] | None = None) -> tuple[dict[str, dict[str, Any]], int]:
    """Job id -> projected document, and the number of events read. Any order of events gives the same result.

    Record-type and profile events are no job's: they go to `record_types` (if given) for their own projections."""
    docs: dict[str, dict[str, Any]] = {}
    count = 0
    async for event in events:
        count += 1
        if is_registry_event(event):
            if record_types is not None:
                record_types.append(event)
            continue
        docs[event.job_id] = apply(docs.get(event.job_id), event)
    return docs, count


async def current_generation(es: AsyncElasticsearch, spec: IndexSpec = JOBS_INDEX) -> tuple[str, int]:
    indices = list((await es.indices.get_alias(name=spec.alias)).keys())
    if len(indices) != 1:
        raise RuntimeError(f"alias {spec.alias} points at {indices}; expected exactly one index")
    name = indices[0]
    return name, int(name.rsplit("-v", 1)[1])


async def write_generation(es: AsyncElasticsearch, docs: dict[str, dict[str, Any]], generation: int,
                           spec: IndexSpec = JOBS_INDEX) -> str:
    target = IndexSpec(spec.alias, spec.mapping_file, generation)
    body = target.body()
    await es.indices.create(index=target.concrete, settings=body["settings"], mappings=body["mappings"])
    actions = ({"_op_type": "index", "_index": target.concrete, "_id": job_id, "_source": doc}
               for job_id, doc in docs.items())
    await async_bulk(es, actions, chunk_size=1000, refresh="wait_for")
    return target.concrete


async def swap_alias(es: AsyncElasticsearch, old: str, new: str, spec: IndexSpec = JOBS_INDEX) -> None:
    """One aliases call: readers and the projector move from old to new at the same instant."""
    await es.indices.update_aliases(actions=[
        {"remove": {"index": old, "alias": spec.alias}},
        {"add": {"index": new, "alias": spec.alias, "is_write_index": True}},
    ])


async def catch_up(es: AsyncElasticsearch, events: AsyncIterator[Envelope]) -> int:
    """Re-applies events that the live projector may have written to the old index while the new one was built,
    one read-modify-write per job. Applying an event twice changes nothing, so overlap is harmless."""
    by_job: dict[str, list[Envelope]] = {}
    async for event in events:
        if is_registry_event(event):
            await project_registry_event(es, event)
            continue
        by_job.setdefault(event.job_id, []).append(event)
    for job_id, job_events in by_job.items():
        await project_all(es, job_id, job_events)
    return sum(len(e) for e in by_job.values())


async def reproject_record_types(es: AsyncElasticsearch, events: list[Envelope]) -> int:
    """Writes every record-type and profile version's document again from its event (each a pure function of its
    event)."""
    await ensure_indices(es, (RECORD_TYPES_INDEX, PROFILES_INDEX))
    for event in events:
        await project_registry_event(es, event)
    return len(events)
