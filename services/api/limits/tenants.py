"""Per-tenant limits: jobs in flight, open progress streams, running exports. Past one is a 429 with Retry-After.

Jobs in flight are counted from the jobs projection (`sdg-jobs`: the tenant's jobs and batches submitted or
running), so the limit holds across API processes; the projection is searchable about a second after a write, so a
burst of concurrent submissions may pass the limit by what it sends within that second. Streams and exports are
counted in each API process (`TenantSlots`): with N processes behind a balancer a tenant may have N times as many.
"""

from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

from elasticsearch import AsyncElasticsearch
from fastapi import HTTPException
from fastapi.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from events.statuses import UNFINISHED_STATUSES
from services.common.search import JOBS_INDEX


def too_many(detail: str, retry_after_s: int) -> HTTPException:
    return HTTPException(status_code=429, detail=detail, headers={"Retry-After": str(retry_after_s)})


async def check_jobs_in_flight(es: AsyncElasticsearch, tenant: str, limit: int, retry_after_s: int) -> None:
    """A 429 when the tenant already has `limit` jobs submitted or running (0: no limit)."""
    if limit <= 0:
        return
    query = {"bool": {"filter": [{"term": {"tenant": tenant}}, {"terms": {"status": list(UNFINISHED_STATUSES)}}]}}
    in_flight = (await es.count(index=JOBS_INDEX.alias, query=query))["count"]
    if in_flight >= limit:
        raise too_many(f"tenant {tenant!r} has {in_flight} jobs submitted or running, and may have {limit} at once; "
                       "submit again once one has ended (or cancel one)", retry_after_s)


class TenantSlots:
    """At most `limit` of one kind of long request per tenant in this process (0: no limit)."""

    def __init__(self, what: str, limit: int, retry_after_s: int) -> None:
        self.what, self.limit, self.retry_after_s = what, limit, retry_after_s
        self.held: Counter[str] = Counter()

    def take(self, tenant: str) -> Callable[[], None]:
        """Takes a slot (or raises the 429); returns its release, which may be called more than once."""
        if 0 < self.limit <= self.held[tenant]:
            raise too_many(f"tenant {tenant!r} has {self.held[tenant]} {self.what} open here, the most it may have "
                           f"at once; close one, or try again later", self.retry_after_s)
        self.held[tenant] += 1
        released = False

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                self.held[tenant] -= 1
                if self.held[tenant] <= 0:
                    del self.held[tenant]

        return release


class HeldStreamingResponse(StreamingResponse):
    """A streaming response that gives its slot back when it ends, however it ends (finished, client gone,
    error)."""

    def __init__(self, content: Any, status_code: int = 200, headers: Mapping[str, str] | None = None,
                 media_type: str | None = None, release: Callable[[], None] = lambda: None) -> None:
        super().__init__(content, status_code=status_code, headers=headers, media_type=media_type)
        self.release = release

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.release()
