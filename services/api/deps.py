"""Dependencies shared by the routes, as Annotated aliases."""

from typing import Annotated

from elasticsearch import AsyncElasticsearch
from fastapi import Depends, Request

from events.bus import EventBus
from services.api.auth.callers import CallerDep
from services.api.jobs.models import JobPublic
from services.api.jobs.store import job_or_404
from services.api.settings import ApiSettings


def get_search(request: Request) -> AsyncElasticsearch:
    return request.app.state.es


def get_bus(request: Request) -> EventBus:
    return request.app.state.bus


def get_settings(request: Request) -> ApiSettings:
    return request.app.state.settings


SearchDep = Annotated[AsyncElasticsearch, Depends(get_search)]
BusDep = Annotated[EventBus, Depends(get_bus)]
SettingsDep = Annotated[ApiSettings, Depends(get_settings)]


async def get_existing_job(job_id: str, es: SearchDep, caller: CallerDep) -> JobPublic:
    """The job named in the path if the caller's tenant owns it, else a 404 before any response (and stream) starts.
    The caller's scope is checked first, by the route's rule (services/api/auth/access.py)."""
    return await job_or_404(es, job_id, caller.tenant)


JobDep = Annotated[JobPublic, Depends(get_existing_job)]
