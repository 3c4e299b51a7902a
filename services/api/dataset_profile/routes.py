"""/v1/jobs/{id}/profile: what a job's records look like as a dataset, field by field."""

from fastapi import APIRouter

from services.api.dataset_profile.models import DatasetProfile
from services.api.dataset_profile.run import profile_job
from services.api.deps import JobDep, SearchDep, SettingsDep
from services.api.progress.event_log import wait_for_records
from services.api.jobs.store import job_schema

router = APIRouter(prefix="/v1/jobs", tags=["records"])


@router.get("/{job_id}/profile", response_model=DatasetProfile)
async def profile_of_job(job: JobDep, es: SearchDep, settings: SettingsDep) -> DatasetProfile:
    """Per top-level field of the job's schema: types seen, null or missing share, distinct values and their ratio,
    the 10 most frequent values with their shares, numeric min/max/mean and a 10-bucket histogram, and string
    lengths (min, max, mean, p50, p90, histogram). Computed by Elasticsearch aggregations over the job's records,
    which it reads from their stored `_source`; no record passes through the API. A finished job's profile waits
    briefly until all its records are searchable; an unfinished job's covers its records so far."""
    if job.finished:
        await wait_for_records(es, job.job_id, job.tenant, job.records_generated,
                               settings.records_settle_timeout_s, settings.progress_poll_s)
    return await profile_job(es, job, await job_schema(es, job.job_id))
