"""Sends a profile's searches: one pass of three concurrent searches, then the numeric histograms alongside the
passes that narrow string lengths down (services/api/dataset_profile/lengths.py), at most six round trips."""

import asyncio
from typing import Any

from elasticsearch import AsyncElasticsearch

from services.api.dataset_profile import requests
from services.api.dataset_profile.convert import (field_basics, length_profile, numeric_profile, numeric_stats,
                                                  span_counts)
from services.api.dataset_profile.fields import FieldPlan, plan_fields
from services.api.dataset_profile.lengths import Bounds, bounds_from_coarse
from services.api.dataset_profile.models import DatasetProfile
from services.api.jobs.models import JobPublic
from services.common.search import RECORDS_INDEX

MAX_NARROWING_PASSES = 4  # 2048 / 16**3 < 1: three passes make any bound below LENGTH_CAP exact


async def search(es: AsyncElasticsearch, body: dict[str, Any] | None) -> dict[str, Any] | None:
    """The `aggregations` and the hit total of one search (None for a search not needed)."""
    if body is None:
        return None
    response = await es.search(index=RECORDS_INDEX.alias, **body)
    return {"total": response["hits"]["total"]["value"], **(response.body.get("aggregations") or {})}


async def narrow(es: AsyncElasticsearch, query: dict[str, Any], plans: list[FieldPlan],
                 bounds: dict[int, Bounds]) -> dict[int, Bounds]:
    """Splits every inexact bound until each is one length wide."""
    for _ in range(MAX_NARROWING_PASSES):
        open_ = {i: b for i, b in bounds.items() if not b.done}
        if not open_:
            break
        spans = {i: b.spans() for i, b in open_.items()}
        answer = await search(es, requests.lengths_search(query, plans, {i: low + high
                                                                        for i, (low, high) in spans.items()}))
        for i, (low, _) in spans.items():
            counts = span_counts(answer, i)
            bounds[i] = open_[i].narrowed(counts[:len(low)], counts[len(low):])
    return bounds


async def lengths_and_histograms(es: AsyncElasticsearch, query: dict[str, Any], plans: list[FieldPlan],
                                 values: dict[str, Any], numbers: dict[str, Any] | None):
    bounds = {i: b for i, plan in enumerate(plans) if requests.name(i, "lengths") in values
              if (b := bounds_from_coarse(span_counts(values, i)))}
    stats = {i: s for i in range(len(plans)) if (s := numeric_stats(numbers, i))}
    ranges = {i: requests.numeric_ranges(s[1], s[2]) for i, s in stats.items()}
    histograms, bounds = await asyncio.gather(search(es, requests.histograms_search(query, plans, ranges)),
                                              narrow(es, query, plans, bounds))
    fine = {i: b.fine_spans() for i, b in bounds.items()}
    fine_answer = await search(es, requests.lengths_search(query, plans, fine))
    lengths = {i: length_profile(bounds[i], fine[i], span_counts(fine_answer, i)) for i in fine}
    numeric = {i: numeric_profile(s, histograms[requests.name(i, "histogram")]) for i, s in stats.items()}
    return lengths, numeric


async def profile_job(es: AsyncElasticsearch, job: JobPublic, schema: dict[str, Any]) -> DatasetProfile:
    plans, skipped = plan_fields(schema)
    query = requests.job_query(job.job_id, job.tenant)
    values, numbers, booleans = await asyncio.gather(
        search(es, requests.values_search(query, plans)), search(es, requests.numbers_search(query, plans)),
        search(es, requests.booleans_search(query, plans)))
    total = values["total"]
    lengths, numeric = await lengths_and_histograms(es, query, plans, values, numbers)
    fields = [field_basics(plan, i, total, values, numbers, booleans).model_copy(
        update={"numeric": numeric.get(i), "length": lengths.get(i)}) for i, plan in enumerate(plans)]
    return DatasetProfile(job_id=job.job_id, status=job.status, records=total, fields=fields, skipped_fields=skipped)
