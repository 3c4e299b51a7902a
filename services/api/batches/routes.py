"""/v1/batches: chat completion requests in the OpenAI Batch format, answered by the workers, cached."""

import uuid
from typing import Annotated

from fastapi import APIRouter, File, HTTPException, Request, UploadFile
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from events import JobCancelRequested, new_correlation_id
from events.batches import BatchSubmitted
from events.statuses import has_ended
from services.api.auth.callers import CallerDep
from services.api.batches.lines import parse_batch
from services.api.batches.models import BatchPublic
from services.api.batches.store import batch_or_404, cached_answers, output_lines, wait_for_answers
from services.api.batches.upload import upload_bytes
from services.api.deps import BusDep, SearchDep, SettingsDep
from services.api.errors import problem_responses
from services.api.jobs.idempotency import IdempotencyKey, Submission, fingerprint, submit_once
from services.api.limits.tenants import check_jobs_in_flight
from services.projections.store import project

router = APIRouter(prefix="/v1/batches", tags=["batches"])

UPLOAD_DOC = {"requestBody": {"content": {
    "application/jsonl": {"schema": {"type": "string", "format": "binary"}},
    "application/x-ndjson": {"schema": {"type": "string", "format": "binary"}}}}}


@router.post("", status_code=202, response_model=BatchPublic, openapi_extra=UPLOAD_DOC,
             responses=problem_responses(413, 415, 429))
async def create_batch(
    request: Request, bus: BusDep, es: SearchDep, settings: SettingsDep, caller: CallerDep,
    file: Annotated[UploadFile | None, File(description="JSONL: one OpenAI Batch API request per line.")] = None,
    idempotency_key: IdempotencyKey = None,
) -> BatchPublic | JSONResponse:
    """Upload a JSONL file of `/v1/chat/completions` requests (multipart field `file`, or the raw body as
    application/jsonl). Requests identical to ones this tenant sent before are answered from the cache. With an
    `Idempotency-Key`, a retry of the same file gets the first answer and submits nothing. A batch counts as a job
    in flight (`SDG_API_MAX_JOBS_IN_FLIGHT`)."""
    content = await upload_bytes(request, file, settings.batch_max_bytes)

    async def prepare() -> BatchSubmitted:
        await check_jobs_in_flight(es, caller.tenant, settings.max_jobs_in_flight, settings.limit_retry_after_s)
        requests = await run_in_threadpool(parse_batch, content, settings.batch_max_lines)  # checks each schema
        return BatchSubmitted(event_id=uuid.uuid4(), job_id=f"batch_{uuid.uuid4().hex}", sequence=1,
                              tenant=caller.tenant, correlation_id=new_correlation_id(), requests=requests,
                              cached=await cached_answers(es, caller.tenant, requests))

    async def answer(event: BatchSubmitted) -> BatchPublic:
        # Read-your-writes, as for jobs: the projector applies the same event again later, which changes nothing.
        return BatchPublic.from_projection(await project(es, event))

    submission = Submission(caller.tenant, idempotency_key, fingerprint("POST /v1/batches", content))
    return await submit_once(es, bus, submission, prepare, answer)


@router.get("/{batch_id}", response_model=BatchPublic)
async def get_batch(batch_id: str, es: SearchDep, caller: CallerDep) -> BatchPublic:
    """Status and request counts (completed includes cache hits; cached counts them)."""
    return await batch_or_404(es, batch_id, caller.tenant)


@router.get("/{batch_id}/output", response_class=StreamingResponse,
            responses={200: {"content": {"application/jsonl": {}}, "description": "One answer per line."},
                       **problem_responses(409)})
async def get_output(batch_id: str, es: SearchDep, settings: SettingsDep, caller: CallerDep) -> StreamingResponse:
    """The answers as JSONL in the OpenAI batch output format, one line per request in input order (409 until the
    batch has ended)."""
    batch = await batch_or_404(es, batch_id, caller.tenant)
    if not has_ended(batch.job_status):
        raise HTTPException(status_code=409, detail=f"batch {batch_id} is {batch.status}; its output is ready once "
                                                    f"it has ended (see request_counts for progress)")
    await wait_for_answers(es, batch, settings.records_settle_timeout_s)
    return StreamingResponse(output_lines(es, batch, settings.batch_output_page_size), media_type="application/jsonl",
                             headers={"Content-Disposition": f'attachment; filename="{batch_id}_output.jsonl"'})


@router.post("/{batch_id}/cancel", status_code=202, response_model=BatchPublic, responses=problem_responses(409))
async def cancel_batch(batch_id: str, bus: BusDep, es: SearchDep, caller: CallerDep) -> BatchPublic:
    """Stop the batch: the worker stops before its next group of requests; answers already given stay."""
    batch = await batch_or_404(es, batch_id, caller.tenant)
    if has_ended(batch.job_status):
        raise HTTPException(status_code=409, detail=f"batch {batch_id} is already {batch.status}; nothing to cancel")
    event = JobCancelRequested(event_id=uuid.uuid4(), job_id=batch_id, correlation_id=new_correlation_id(),
                               tenant=caller.tenant, reason="cancelled through /v1/batches")
    await bus.publish(event)
    return BatchPublic.from_projection(await project(es, event))
