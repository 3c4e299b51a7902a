"""The profile's searches: what each one asks Elasticsearch, built from the job's schema (pure)."""

from services.api.dataset_profile import requests
from services.api.dataset_profile.fields import plan_fields, types_of, value_types

SCHEMA = {"type": "object", "properties": {
    "name": {"type": "string"}, "age": {"type": "integer"}, "active": {"type": "boolean"},
    "tier": {"enum": ["gold", 1, None]}, "address": {"type": "object", "properties": {"city": {"type": "string"}}},
    "tags": {"type": "array", "items": {"type": "string"}}, "anything": {}, "bad*name": {"type": "string"}}}
QUERY = requests.job_query("job-1", "acme")


def plans():
    return plan_fields(SCHEMA)[0]


def test_every_search_is_limited_to_the_jobs_records_of_the_callers_tenant():
    assert QUERY == {"bool": {"filter": [{"term": {"job_id": "job-1"}}, {"term": {"tenant": "acme"}}]}}
    for body in (requests.values_search(QUERY, plans()), requests.numbers_search(QUERY, plans()),
                 requests.booleans_search(QUERY, plans())):
        assert body["query"] is QUERY and body["size"] == 0 and body["track_total_hits"] is True


def test_fields_come_in_schema_order_and_a_name_that_is_no_plain_path_is_skipped():
    fields, skipped = plan_fields(SCHEMA)
    assert [f.name for f in fields] == ["name", "age", "active", "tier", "address", "tags", "anything"]
    assert skipped == ["bad*name"]


def test_value_types_follow_type_enum_and_array_items_and_an_object_has_none():
    assert types_of({"enum": ["gold", 1, None]}) == {"string", "integer", "null"}
    assert types_of({"anyOf": [{"type": "string"}, {"type": "null"}]}) == {"string", "null"}
    assert types_of({"anyOf": [{"type": "string"}, {}]}) is None
    assert value_types({"type": "array", "items": {"type": "integer"}}) == {"integer"}
    assert value_types({"type": "object"}) == frozenset()
    assert value_types({}) is None


def test_values_are_read_from_source_by_runtime_fields_without_a_script():
    body = requests.values_search(QUERY, plans())
    assert body["runtime_mappings"]["record.name"] == {"type": "keyword"}
    assert all("script" not in field for field in body["runtime_mappings"].values())
    assert "record.address" not in body["runtime_mappings"]  # an object: Elasticsearch reads only its leaves


def test_the_values_search_asks_presence_distinct_top_values_and_lengths_of_strings_only():
    aggs = requests.values_search(QUERY, plans())["aggs"]
    assert aggs["f0_missing"] == {"missing": {"field": "record.name"}}
    assert aggs["f0_values"] == {"value_count": {"field": "record.name"}}
    assert aggs["f0_distinct"] == {"cardinality": {"field": "record.name", "precision_threshold": 40_000}}
    assert aggs["f0_top"] == {"terms": {"field": "record.name", "size": 10}}
    filters = aggs["f0_lengths"]["filters"]["filters"]
    assert filters[0] == {"term": {"record.name": ""}}
    assert filters[1] == {"regexp": {"record.name": ".{1}"}} and filters[2] == {"regexp": {"record.name": ".{2,3}"}}
    assert filters[-1] == {"regexp": {"record.name": ".{4096,}"}}
    assert "f1_lengths" not in aggs and "f6_lengths" in aggs and "f5_lengths" in aggs


def test_numbers_are_asked_of_numeric_fields_and_booleans_only_where_they_mix_with_other_types():
    numbers = requests.numbers_search(QUERY, plans())
    assert set(numbers["runtime_mappings"]) == {"record.age", "record.tier", "record.anything"}
    assert numbers["runtime_mappings"]["record.age"] == {"type": "double"}
    assert numbers["aggs"]["f1_stats"] == {"stats": {"field": "record.age"}}
    booleans = requests.booleans_search(QUERY, plans())
    assert set(booleans["runtime_mappings"]) == {"record.anything"}  # `active` holds nothing but booleans
    assert booleans["aggs"] == {"f6_missing": {"missing": {"field": "record.anything"}}}


def test_a_schema_without_numeric_fields_needs_no_numbers_search():
    only_text, _ = plan_fields({"properties": {"bio": {"type": "string"}}})
    assert requests.numbers_search(QUERY, only_text) is None and requests.booleans_search(QUERY, only_text) is None


def test_numeric_ranges_are_ten_equal_buckets_and_the_last_holds_the_maximum():
    ranges = requests.numeric_ranges(0, 100)
    assert len(ranges) == 10 and ranges[0] == {"from": 0, "to": 10} and ranges[8] == {"from": 80, "to": 90}
    assert ranges[-1] == {"from": 90}
    assert requests.numeric_ranges(5, 5) == [{"from": 5}]


def test_histogram_and_length_searches_ask_only_for_the_fields_given():
    histograms = requests.histograms_search(QUERY, plans(), {1: requests.numeric_ranges(18, 90)})
    assert set(histograms["runtime_mappings"]) == {"record.age"}
    assert histograms["aggs"]["f1_histogram"]["range"]["field"] == "record.age"
    lengths = requests.lengths_search(QUERY, plans(), {0: [(3, 4), (4, 8)]})
    assert lengths["aggs"]["f0_lengths"]["filters"]["filters"] == [
        {"regexp": {"record.name": ".{3}"}}, {"regexp": {"record.name": ".{4,7}"}}]
    assert requests.lengths_search(QUERY, plans(), {}) is None
