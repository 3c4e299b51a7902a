"""String lengths from regexp counts: the narrowing finds exact bounds, and the stats follow from the counts (pure;
a stand-in answers each length query from known strings the way Elasticsearch would)."""

import re

from services.api.dataset_profile import run
from services.api.dataset_profile.convert import length_profile, span_counts
from services.api.dataset_profile.fields import plan_fields
from services.api.dataset_profile.lengths import (LENGTH_CAP, Bounds, bounds_from_coarse, coarse_spans,
                                                  histogram, percentile, split)
from services.api.dataset_profile.requests import job_query, lengths_search


class LengthCounts:
    """Answers a lengths search as Elasticsearch does: per filter, the records whose value matches it."""

    def __init__(self, values: list[str]) -> None:
        self.values, self.searches = values, 0

    def count(self, query: dict) -> int:
        if "term" in query:
            return sum(v == next(iter(query["term"].values())) for v in self.values)
        pattern = next(iter(query["regexp"].values()))
        return sum(bool(re.fullmatch(pattern, v, re.DOTALL)) for v in self.values)

    async def search(self, index: str, aggs: dict, **_) -> "Answer":
        self.searches += 1
        return Answer({"hits": {"total": {"value": len(self.values)}}, "aggregations": {
            name: {"buckets": [{"doc_count": self.count(q)} for q in agg["filters"]["filters"]]}
            for name, agg in aggs.items()}})


class Answer(dict):
    @property
    def body(self) -> dict:
        return self


async def profile_lengths(values: list[str]):
    """The length part of a profile of one string field holding `values`, and the searches it took."""
    plans, _ = plan_fields({"properties": {"text": {"type": "string"}}})
    es, query = LengthCounts(values), job_query("j", "t")
    coarse = await run.search(es, lengths_search(query, plans, {0: coarse_spans()}))
    bounds = await run.narrow(es, query, plans, {0: bounds_from_coarse(span_counts(coarse, 0))})
    fine = bounds[0].fine_spans()
    answer = await run.search(es, lengths_search(query, plans, {0: fine}))
    return length_profile(bounds[0], fine, span_counts(answer, 0)), es.searches


async def test_short_strings_give_exact_min_max_mean_and_percentiles():
    values = ["Ada", "Grace", "Barbara", "Jürgen", "Li", "Émilie-Anne"]
    profile, _ = await profile_lengths(values)
    lengths = sorted(len(v) for v in values)
    assert (profile.min, profile.max, profile.exact) == (2, 11, True)
    assert profile.mean == round(sum(lengths) / len(lengths), 3)
    assert profile.p50 == lengths[2] and profile.p90 == lengths[-1]
    assert sum(b.count for b in profile.histogram) == len(values)


async def test_long_strings_give_exact_bounds_within_a_few_passes_and_a_close_mean():
    values = ["x" * n for n in (150, 333, 700, 1500, 2047)]
    profile, searches = await profile_lengths(values)
    assert (profile.min, profile.max) == (150, 2047)
    assert not profile.exact and abs(profile.mean - sum(map(len, values)) / 5) <= (2047 - 150) / 32
    assert searches <= 6


async def test_a_value_past_the_cap_counts_as_the_cap_and_is_reported_capped():
    profile, _ = await profile_lengths(["y" * 10, "z" * (LENGTH_CAP + 500)])
    assert (profile.min, profile.max, profile.capped) == (10, LENGTH_CAP, 1)


async def test_newlines_and_the_empty_string_are_counted_as_characters():
    profile, _ = await profile_lengths(["", "a\nb"])
    assert (profile.min, profile.max) == (0, 3)


def test_a_span_is_split_into_near_equal_ranges_that_cover_it_exactly():
    parts = split((100, 1100), 16)
    assert parts[0][0] == 100 and parts[-1][1] == 1100 and len(parts) == 16
    assert all(a < b and b == c for (a, b), (c, _) in zip(parts, parts[1:]))
    assert split((5, 9), 16) == [(5, 6), (6, 7), (7, 8), (8, 9)]


def test_bounds_narrow_to_the_lowest_and_highest_nonempty_ranges():
    bounds = Bounds((8, 16), (64, 128))
    low, high = bounds.spans()
    narrowed = bounds.narrowed([0, 0, 1] + [0] * (len(low) - 3), [1] * 5 + [0] * (len(high) - 5))
    assert narrowed.shortest == low[2] and narrowed.longest == high[4]


def test_percentiles_take_the_nearest_rank_and_histograms_merge_neighbouring_ranges():
    spans = [(n, n + 1) for n in range(10)]
    counts = [1] * 10
    assert percentile(spans, counts, 0.5) == 4 and percentile(spans, counts, 0.9) == 8
    merged = histogram([(n, n + 1) for n in range(20)], [1] * 20, buckets=10)
    assert len(merged) == 10 and merged[0] == {"start": 0, "end": 1, "count": 2}
