"""Writes the job projection with optimistic concurrency (seq_no/primary_term): no scripts needed."""

from typing import Any

from elasticsearch import AsyncElasticsearch, ConflictError, NotFoundError

from events import Envelope
from services.common.search import JOBS_INDEX
from services.projections.projection import apply

MAX_CONFLICT_RETRIES = 100


class ProjectionConflict(RuntimeError):
    pass


async def read_job(es: AsyncElasticsearch, job_id: str, index: str = JOBS_INDEX.alias) -> dict[str, Any] | None:
    try:
        return await es.get(index=index, id=job_id)
    except NotFoundError:
        return None


async def project(es: AsyncElasticsearch, event: Envelope, index: str = JOBS_INDEX.alias) -> dict[str, Any]:
    """Applies one event to its job's document; concurrent writers retry on conflict."""
    return await project_all(es, event.job_id, [event], index)


async def project_all(es: AsyncElasticsearch, job_id: str, events: list[Envelope],
                      index: str = JOBS_INDEX.alias) -> dict[str, Any]:
    """Applies events of one job in a single read-modify-write; writes nothing when they change nothing."""
    for _ in range(MAX_CONFLICT_RETRIES):
        current = await read_job(es, job_id, index)
        before = current["_source"] if current else None
        after = before
        for event in events:
            after = apply(after, event)
        if after == before:
            return after
        try:
            if current is None:
                await es.create(index=index, id=job_id, document=after)
            else:
                await es.index(index=index, id=job_id, document=after,
                               if_seq_no=current["_seq_no"], if_primary_term=current["_primary_term"])
            return after
        except ConflictError:
            continue
    raise ProjectionConflict(f"job {job_id}: gave up after {MAX_CONFLICT_RETRIES} conflicting writes")
