"""Elasticsearch's answers → the profile, with answers recorded from Elasticsearch 9 for the typed synthetic job
of tests/api/synthetic_records.py (7 records: name, age 20..26, score i/4, active, address, tags) (pure)."""

import json
from pathlib import Path

import pytest

from services.api.dataset_profile.convert import (field_basics, length_profile, numeric_profile, numeric_stats,
                                                  span_counts, types_seen)
from services.api.dataset_profile.fields import FieldPlan, plan_fields
from services.api.dataset_profile.lengths import Bounds, bounds_from_coarse
from tests.api.synthetic_records import content

RECORDED = json.loads((Path(__file__).parent / "answers" / "dataset_profile_typed_job.json").read_text())
RECORDS = [content(i) for i in range(7)]


def aggs(name: str) -> dict:
    answer = RECORDED[name]
    return {"total": answer["hits"]["total"]["value"], **answer["aggregations"]}


def basics():
    plans, _ = plan_fields(RECORDED["schema"])
    return {p.name: field_basics(p, i, 7, aggs("values"), aggs("numbers"), None) for i, p in enumerate(plans)}


def test_a_field_of_distinct_strings_has_ratio_one_and_a_top_share_of_one_record():
    name = basics()["name"]
    assert (name.types, name.present, name.missing, name.values, name.distinct) == ({"string": 7}, 7, 0, 7, 7)
    assert name.distinct_ratio == 1.0 and name.top_share == pytest.approx(1 / 7, abs=1e-6)
    assert {t.value for t in name.top} == {r["name"] for r in RECORDS}


def test_numbers_are_typed_by_the_schema_and_their_stats_come_from_the_double_search():
    fields = basics()
    assert fields["age"].types == {"integer": 7} and fields["score"].types == {"number": 7}
    assert numeric_stats(aggs("numbers"), 1) == (7, 20.0, 26.0, 23.0)
    assert [t.value for t in fields["age"].top][:2] == ["20", "21"]  # keyword values: numbers as text


def test_booleans_count_as_booleans_and_top_values_carry_their_shares():
    active = basics()["active"]
    assert active.types == {"boolean": 7} and active.distinct == 2
    assert [(t.value, t.count) for t in active.top] == [("true", 4), ("false", 3)]
    assert active.top_share == pytest.approx(4 / 7, abs=1e-6)


def test_an_array_counts_its_items_as_values_and_a_record_without_items_as_missing():
    tags = basics()["tags"]
    assert (tags.present, tags.missing, tags.values, tags.distinct) == (4, 3, 6, 1)
    assert tags.missing_share == pytest.approx(3 / 7, abs=1e-6) and tags.distinct_ratio == pytest.approx(1 / 6,
                                                                                                         abs=1e-6)


def test_an_object_field_is_listed_without_figures():
    address = basics()["address"]
    assert address.schema_types == ["object"] and address.present is None and address.top == []


def test_the_coarse_length_counts_bound_the_strings_and_the_fine_counts_give_their_stats():
    bounds = bounds_from_coarse(span_counts(aggs("values"), 0))
    assert bounds.shortest == (16, 32) and bounds.longest == (16, 32)  # every name is 24 characters long
    exact = Bounds((24, 25), (24, 25))
    profile = length_profile(exact, exact.fine_spans(), span_counts(aggs("fine_lengths"), 0))
    assert (profile.min, profile.max, profile.mean, profile.p50, profile.exact) == (24, 24, 24.0, 24.0, True)


def test_the_numeric_histogram_holds_every_value_and_ends_at_the_maximum():
    profile = numeric_profile((7, 20.0, 26.0, 23.0), aggs("histograms")["f1_histogram"])
    assert sum(b.count for b in profile.histogram) == 7 and len(profile.histogram) == 10
    assert profile.histogram[0].start == 20.0 and profile.histogram[-1].end == 26.0
    assert (profile.min, profile.max, profile.mean) == (20.0, 26.0, 23.0)


def test_a_value_that_reads_as_a_number_counts_as_a_string_unless_the_schema_allows_numbers():
    text = FieldPlan("code", ("string",), frozenset({"string"}))
    either = FieldPlan("code", ("integer", "string"), frozenset({"integer", "string"}))
    untyped = FieldPlan("x", (), None)
    assert types_seen(text, present=10, numbers=4, booleans=None) == {"string": 10}
    assert types_seen(either, present=10, numbers=4, booleans=None) == {"integer": 4, "string": 6}
    assert types_seen(untyped, present=10, numbers=4, booleans=2) == {"number": 4, "boolean": 2, "string": 4}


def test_a_job_without_records_has_no_shares_and_no_top_values():
    plan = FieldPlan("name", ("string",), frozenset({"string"}))
    empty = {"f0_missing": {"doc_count": 0}, "f0_values": {"value": 0}, "f0_distinct": {"value": 0},
             "f0_top": {"buckets": []}}
    profile = field_basics(plan, 0, 0, empty, None, None)
    assert (profile.present, profile.missing_share, profile.distinct_ratio, profile.top_share) == (0, None, None, None)
