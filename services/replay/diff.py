"""Differences between a rebuilt projection and the live one, field by field."""

from typing import Any

from elasticsearch import AsyncElasticsearch

from services.common.search import JOBS_INDEX


async def live_documents(es: AsyncElasticsearch, job_ids: list[str]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(job_ids), 1000):
        response = await es.mget(index=JOBS_INDEX.alias, ids=job_ids[start:start + 1000])
        found |= {doc["_id"]: doc["_source"] for doc in response["docs"] if doc.get("found")}
    return found


def differences(rebuilt: dict[str, dict[str, Any]], live: dict[str, dict[str, Any]]) -> list[str]:
    lines = []
    for job_id in sorted(rebuilt.keys() | live.keys()):
        new, old = rebuilt.get(job_id), live.get(job_id)
        if old is None:
            lines.append(f"{job_id}: missing from the live projection")
        elif new is None:
            lines.append(f"{job_id}: in the live projection but has no events in the log")
        else:
            for field in sorted(new.keys() | old.keys()):
                if new.get(field) != old.get(field):
                    lines.append(f"{job_id}.{field}: live {old.get(field)!r} -> replayed {new.get(field)!r}")
    return lines
