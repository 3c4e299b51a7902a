"""The searches a profile sends: size 0, the job's records only (job id and tenant), values read from `_source`
by runtime fields without a script, and aggregations over them (no script anywhere: this Elasticsearch has none).

A runtime field named like a path in `_source` (`record.age`, type double) reads that path; it shadows the
`flattened` mapping of `record`, whose leaves are keywords (no numbers) capped at 1,024 characters and which takes
no regular expressions. One name takes one type per search, hence one search per type: keyword (presence, distinct,
top values, lengths), double (numeric stats and histograms), boolean (how many values are booleans).
Aggregation names are `f<i>_<what>`, i the field's position in the plan, since field names may hold anything.
"""

from typing import Any

from services.api.dataset_profile.fields import FieldPlan
from services.api.dataset_profile.lengths import Span, coarse_spans, span_filter
from services.common.tenancy import tenant_filter

TOP_VALUES = 10
DISTINCT_PRECISION = 40_000  # Elasticsearch's most; cardinality is exact below it in practice (a job has <= 10k)
HISTOGRAM_BUCKETS = 10


def job_query(job_id: str, tenant: str) -> dict[str, Any]:
    return {"bool": {"filter": [{"term": {"job_id": job_id}}, tenant_filter(tenant)]}}


def name(i: int, what: str) -> str:
    return f"f{i}_{what}"


def search_body(query: dict[str, Any], kind: str, plans: dict[int, FieldPlan],
                aggs: dict[str, Any]) -> dict[str, Any]:
    runtime = {plan.path: {"type": kind} for plan in plans.values()}
    return {"query": query, "size": 0, "track_total_hits": True, "runtime_mappings": runtime, "aggs": aggs}


def values_search(query: dict[str, Any], plans: list[FieldPlan]) -> dict[str, Any]:
    """Presence, distinct values, top values and lengths in power-of-two ranges."""
    chosen = {i: plan for i, plan in enumerate(plans) if plan.scalar}
    aggs: dict[str, Any] = {}
    for i, plan in chosen.items():
        aggs[name(i, "missing")] = {"missing": {"field": plan.path}}
        aggs[name(i, "values")] = {"value_count": {"field": plan.path}}
        aggs[name(i, "distinct")] = {"cardinality": {"field": plan.path, "precision_threshold": DISTINCT_PRECISION}}
        aggs[name(i, "top")] = {"terms": {"field": plan.path, "size": TOP_VALUES}}
        if plan.may_hold("string"):
            aggs[name(i, "lengths")] = spans_agg(plan.path, coarse_spans())
    return search_body(query, "keyword", chosen, aggs)


def spans_agg(path: str, spans: list[Span]) -> dict[str, Any]:
    """An anonymous `filters` aggregation: its buckets come back in the order of `spans`."""
    return {"filters": {"filters": [span_filter(path, span) for span in spans]}}


def numbers_search(query: dict[str, Any], plans: list[FieldPlan]) -> dict[str, Any] | None:
    chosen = {i: plan for i, plan in enumerate(plans) if plan.scalar and plan.numeric}
    aggs: dict[str, Any] = {}
    for i, plan in chosen.items():
        aggs[name(i, "stats")] = {"stats": {"field": plan.path}}
        aggs[name(i, "missing")] = {"missing": {"field": plan.path}}
    return search_body(query, "double", chosen, aggs) if chosen else None


def needs_boolean_count(plan: FieldPlan) -> bool:
    """A field that may hold booleans and something else: which values are booleans must be counted."""
    return plan.scalar and plan.may_hold("boolean") and plan.value_types != frozenset({"boolean"})


def booleans_search(query: dict[str, Any], plans: list[FieldPlan]) -> dict[str, Any] | None:
    chosen = {i: plan for i, plan in enumerate(plans) if needs_boolean_count(plan)}
    aggs = {name(i, "missing"): {"missing": {"field": plan.path}} for i, plan in chosen.items()}
    return search_body(query, "boolean", chosen, aggs) if chosen else None


def numeric_ranges(low: float, high: float, buckets: int = HISTOGRAM_BUCKETS) -> list[dict[str, float]]:
    """Equal-width ranges from low to high; the last has no `to`, so it holds the maximum."""
    if high <= low:
        return [{"from": low}]
    width = (high - low) / buckets
    ranges: list[dict[str, float]] = [{"from": low + k * width, "to": low + (k + 1) * width}
                                      for k in range(buckets - 1)]
    return ranges + [{"from": low + (buckets - 1) * width}]


def histograms_search(query: dict[str, Any], plans: list[FieldPlan],
                      ranges: dict[int, list[dict[str, float]]]) -> dict[str, Any] | None:
    chosen = {i: plans[i] for i in ranges}
    aggs = {name(i, "histogram"): {"range": {"field": plans[i].path, "ranges": r}} for i, r in ranges.items()}
    return search_body(query, "double", chosen, aggs) if chosen else None


def lengths_search(query: dict[str, Any], plans: list[FieldPlan],
                   spans: dict[int, list[Span]]) -> dict[str, Any] | None:
    chosen = {i: plans[i] for i in spans}
    aggs = {name(i, "lengths"): spans_agg(plans[i].path, s) for i, s in spans.items()}
    return search_body(query, "keyword", chosen, aggs) if chosen else None
