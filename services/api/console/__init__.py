"""The web console at /ui (pages, their scripts, job tokens for EventSource and downloads, two reads) and the API's
documentation pages served offline. `router` is everything, included once by services/api/app.py."""

from fastapi import APIRouter

from services.api.console import job_tokens, offline_docs, pages, reads
from services.api.errors import PROBLEM_RESPONSES

router = APIRouter()
router.include_router(job_tokens.router, responses=PROBLEM_RESPONSES)
router.include_router(reads.router, responses=PROBLEM_RESPONSES)
router.include_router(pages.router)
router.include_router(offline_docs.router)
