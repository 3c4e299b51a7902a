"""A job's events and export for a browser: it asks for a short-lived job token with its key (a header), then opens
the stream or the download with the token in the URL (services/api/console/tokens.py). The stream and the export
are the API's own (GET /v1/jobs/{id}/events and /export): only the way the caller is known differs."""

from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Query, Request, Response
from pydantic import BaseModel, Field

from services.api.auth.callers import Caller, CallerDep, unauthorized
from services.api.console import tokens
from services.api.deps import JobDep, SearchDep, SettingsDep
from services.api.errors import problem_responses
from services.api.jobs.store import job_or_404
from services.api.export.routes import DOWNLOADS, Format, export_records
from services.api.progress.routes import SSE_ITEM, EventStreamResponse, follow_job

router = APIRouter(prefix="/v1/jobs", tags=["progress"])

Token = Annotated[str, Query(max_length=200, description="A token from POST /v1/jobs/{job_id}/stream-token.")]


class JobTokenPublic(BaseModel):
    token: str = Field(description="Pass as `token` to /token-events or /token-export of this job.")
    expires_at: int = Field(description="Unix time (s) after which the token opens nothing.")
    events_url: str
    export_url: str


@router.post("/{job_id}/stream-token", response_model=JobTokenPublic)
async def issue_job_token(job: JobDep, caller: CallerDep, es: SearchDep) -> JobTokenPublic:
    """A token that opens this job's event stream (`token-events`) and export (`token-export`) for a couple of
    minutes, for clients that cannot send a header (a browser's EventSource, a download link). It names the job and
    the key that asked: it opens no other job, and stops working when the key is revoked."""
    stored = await tokens.stored_key(es, caller.key_id)
    if stored is None:
        raise unauthorized("the API key is not valid")
    token, expires = tokens.mint(stored["secret_sha256"], job.job_id, caller.key_id, caller.tenant)
    base = f"/v1/jobs/{job.job_id}"
    return JobTokenPublic(token=token, expires_at=expires, events_url=f"{base}/token-events?token={token}",
                          export_url=f"{base}/token-export?token={token}")


async def caller_of_token(es, token: str, job_id: str) -> Caller:
    """The caller a token stands for (read-only, one job); a 401 naming what is wrong with the token."""
    try:
        claims = tokens.parse(token)
        tenant = tokens.check(claims, job_id, await tokens.stored_key(es, claims.key_id))
    except tokens.TokenRefused as refused:
        raise HTTPException(status_code=401, detail=str(refused)) from None
    return Caller(key_id=claims.key_id, tenant=tenant, scopes=frozenset({"read"}))


@router.get("/{job_id}/token-events", response_class=EventStreamResponse,
            responses={200: {"description": "The job's events as server-sent events (as GET /v1/jobs/{id}/events).",
                             "content": {"text/event-stream": {"itemSchema": SSE_ITEM}}},
                       204: {"description": "The job has ended and the last event was already received."},
                       **problem_responses(429)})
async def follow_job_with_token(
    job_id: str, token: Token, request: Request, es: SearchDep, settings: SettingsDep,
    last_event_id: Annotated[str | None, Header(description="Resume after this event (browsers send it when "
                                                            "they reconnect).")] = None,
    after: Annotated[str | None, Query(max_length=20, description="Resume after this event, for a client that "
                                                                  "opens a new stream (a new token) and cannot "
                                                                  "send Last-Event-ID.")] = None,
) -> Response:
    """GET /v1/jobs/{id}/events with a job token instead of an API key: every event of the job, resumable."""
    caller = await caller_of_token(es, token, job_id)
    job = await job_or_404(es, job_id, caller.tenant)
    return await follow_job(job, caller, request, es, settings, last_event_id or after)


@router.get("/{job_id}/token-export", responses=DOWNLOADS)
async def export_with_token(
    job_id: str, token: Token, request: Request, es: SearchDep, settings: SettingsDep,
    format_: Annotated[Format, Query(alias="format")] = "jsonl",
) -> Response:
    """GET /v1/jobs/{id}/export with a job token instead of an API key, so a plain link streams the download."""
    caller = await caller_of_token(es, token, job_id)
    job = await job_or_404(es, job_id, caller.tenant)
    return await export_records(job, request, es, settings, format_, envelope=False, page_size=1000)
