"""Response models of the record routes: one record, a page of them."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from events.spec import Usage


class RecordPublic(BaseModel):
    record_id: str
    job_id: str | None = None
    index: int
    revision: int = Field(1, description="1 for the record as first generated; each regeneration adds one.")
    record: dict[str, Any]
    generated_at: datetime | None = None
    usage: Usage | None = None


class RecordsPage(BaseModel):
    records: list[RecordPublic]
    next: str | None = Field(None, description="Pass as `after` for the next page; null on the last page.")
