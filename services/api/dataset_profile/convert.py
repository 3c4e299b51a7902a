"""Elasticsearch's answers (their `aggregations`) → the profile. Pure: tested with recorded answers."""

from typing import Any

from services.api.dataset_profile.fields import FieldPlan
from services.api.dataset_profile.lengths import LENGTH_CAP, Bounds, Span, histogram, midpoint, percentile
from services.api.dataset_profile.models import (FieldProfile, HistogramBucket, LengthProfile, NumericProfile,
                                                TopValue)
from services.api.dataset_profile.requests import name

Aggs = dict[str, Any]


def share(part: int, whole: int) -> float | None:
    return round(part / whole, 6) if whole else None


def with_value(aggs: Aggs | None, i: int, total: int) -> int | None:
    """Records whose runtime field read a value, or None when this search did not look at the field."""
    found = (aggs or {}).get(name(i, "missing"))
    return None if found is None else total - found["doc_count"]


def numeric_label(plan: FieldPlan) -> str:
    numeric = (plan.value_types or frozenset()) & {"integer", "number"}
    return "integer" if numeric == {"integer"} else "number"


def types_seen(plan: FieldPlan, present: int, numbers: int | None, booleans: int | None) -> dict[str, int]:
    """Records by value type. Elasticsearch reads `"42"` as a number too, so a value that reads as a number (or as
    `true`/`false`) counts as one only when the schema allows numbers (booleans)."""
    counts: dict[str, int] = {}
    numbers = numbers if plan.numeric and numbers else 0
    if plan.value_types == frozenset({"boolean"}):
        booleans = present
    booleans = booleans if plan.may_hold("boolean") and booleans else 0
    rest = max(0, present - numbers - booleans)
    if numbers:
        counts[numeric_label(plan)] = numbers
    if booleans:
        counts["boolean"] = booleans
    if rest:
        counts["string" if plan.may_hold("string") else "other"] = rest
    return counts


def top_values(terms: Aggs, total: int) -> list[TopValue]:
    return [TopValue(value=str(b.get("key_as_string", b["key"])), count=b["doc_count"],
                     share=share(b["doc_count"], total) or 0.0) for b in terms["buckets"]]


def object_field(plan: FieldPlan) -> FieldProfile:
    return FieldProfile(name=plan.name, schema_types=list(plan.declared), types={}, present=None, missing=None,
                        missing_share=None, values=None, distinct=None, distinct_ratio=None, top_share=None)


def field_basics(plan: FieldPlan, i: int, total: int, values: Aggs, numbers: Aggs | None,
                 booleans: Aggs | None) -> FieldProfile:
    """Everything but the numeric histogram and the lengths, from the first pass's three answers."""
    if not plan.scalar:
        return object_field(plan)
    present = with_value(values, i, total) or 0
    count, distinct = values[name(i, "values")]["value"], values[name(i, "distinct")]["value"]
    top = top_values(values[name(i, "top")], total)
    return FieldProfile(
        name=plan.name, schema_types=list(plan.declared),
        types=types_seen(plan, present, with_value(numbers, i, total), with_value(booleans, i, total)),
        present=present, missing=total - present, missing_share=share(total - present, total), values=count,
        distinct=distinct, distinct_ratio=share(min(distinct, count), count), top=top,
        top_share=top[0].share if top else None)


def numeric_stats(numbers: Aggs | None, i: int) -> tuple[int, float, float, float] | None:
    """count, min, max, mean of the field's numeric values, or None when it has none."""
    stats = (numbers or {}).get(name(i, "stats"))
    if not stats or not stats["count"]:
        return None
    return stats["count"], stats["min"], stats["max"], stats["avg"]


def numeric_profile(stats: tuple[int, float, float, float], histogram_agg: Aggs) -> NumericProfile:
    count, low, high, mean = stats
    buckets = [HistogramBucket(start=round(b["from"], 9), end=round(b.get("to", high), 9),
                               count=b["doc_count"]) for b in histogram_agg["buckets"]]
    return NumericProfile(count=count, min=low, max=high, mean=mean, histogram=buckets)


def span_counts(aggs: Aggs, i: int) -> list[int]:
    return [bucket["doc_count"] for bucket in aggs[name(i, "lengths")]["buckets"]]


def length_profile(bounds: Bounds, spans: list[Span], counts: list[int]) -> LengthProfile | None:
    """From the exact bounds and the counts of `bounds.fine_spans()`."""
    total = sum(counts)
    if not total:
        return None
    mean = sum(count * midpoint(span) for span, count in zip(spans, counts)) / total
    capped = counts[-1] if spans[-1][1] is None else 0
    return LengthProfile(min=bounds.min, max=min(bounds.max, LENGTH_CAP), mean=round(mean, 3),
                         p50=percentile(spans, counts, 0.5), p90=percentile(spans, counts, 0.9),
                         exact=all(end is None or end - start == 1 for start, end in spans), capped=capped,
                         histogram=[HistogramBucket(**bucket) for bucket in histogram(spans, counts)])
