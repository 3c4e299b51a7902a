"""Columns of CSV and Parquet exports come from the job's schema, and every record fits them (pure unit tests)."""

import csv
import io
import json

import pyarrow.parquet as pq
import pytest

from services.api.export.columns import Column, columns_of, csv_cell, kind_of
from services.api.export.formats import FORMATS

SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "maxLength": 20},
        "age": {"type": "integer", "minimum": 0},
        "score": {"type": "number"},
        "active": {"type": "boolean"},
        "address": {"type": "object", "properties": {"city": {"type": "string"}}},
        "tags": {"type": "array", "items": {"type": "string"}},
        "nickname": {"type": ["string", "null"]},
        "plan": {"enum": ["free", "pro"]},
    },
    "required": ["name"],
}
RECORDS = [
    {"name": "Ada", "age": 36, "score": 9.5, "active": True, "address": {"city": "London"}, "tags": ["a", "b"],
     "nickname": None, "plan": "pro"},
    {"name": "Grace, \"Amazing\"\nHopper", "age": 85, "score": 7, "active": False, "address": {}, "tags": [],
     "plan": "free"},
]


def docs(records):
    return [{"record_id": f"j-{i:06d}", "index": i, "record": r, "usage": None, "generated_at": None}
            for i, r in enumerate(records)]


async def pages_of(records, size):
    all_docs = docs(records)
    for start in range(0, len(all_docs), size):
        yield all_docs[start:start + size]


async def collect(format_name, schema, records, page_size=1, envelope=False) -> bytes:
    return b"".join([c async for c in FORMATS[format_name].encode(schema, pages_of(records, page_size), envelope)])


def test_columns_follow_the_schemas_top_level_properties_in_order_with_their_kinds():
    assert columns_of(SCHEMA) == [
        Column("name", "string"), Column("age", "integer"), Column("score", "number"), Column("active", "boolean"),
        Column("address", "json"), Column("tags", "json"), Column("nickname", "string"), Column("plan", "string"),
    ]


@pytest.mark.parametrize("schema, kind", [
    ({"type": ["integer", "number"]}, "number"),
    ({"type": ["string", "integer"]}, "json"),
    ({"enum": [1, 2, 3]}, "integer"),
    ({"enum": [1, 2.5]}, "number"),
    ({"enum": ["a", 1]}, "json"),
    ({"const": True}, "boolean"),
    ({"anyOf": [{"type": "string"}, {"type": "integer"}]}, "json"),
    ({"$ref": "#/$defs/x"}, "json"),
    ({"type": "integer", "maximum": 10**30}, "json"),
    (True, "json"),
    ({}, "json"),
])
def test_a_property_keeps_its_scalar_type_only_when_every_value_it_admits_fits(schema, kind):
    assert kind_of(schema) == kind


def test_a_schema_that_allows_undeclared_properties_gets_an_extra_column_for_them():
    open_schema = {"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": True}
    assert columns_of(open_schema) == [Column("a", "string"), Column("_extra", "json", declared=False)]
    assert columns_of({"type": "object"}) == [Column("_extra", "json", declared=False)]
    assert columns_of({"type": "object", "properties": {"_extra": {}}, "patternProperties": {"^x": {}}})[-1].name \
        == "__extra"


def test_a_closed_schema_gets_no_extra_column():
    closed = {"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": False}
    assert [c.name for c in columns_of(closed)] == ["a"]
    assert [c.name for c in columns_of({"type": "object", "properties": {"a": {}}})] == ["a"]


def test_csv_cells_keep_strings_as_they_are_and_write_everything_else_as_json():
    record = RECORDS[0]
    cells = [csv_cell(c, record, set(record)) for c in columns_of(SCHEMA)]
    assert cells == ["Ada", "36", "9.5", "true", '{"city":"London"}', '["a","b"]', "", "pro"]


async def test_a_csv_export_has_a_header_row_and_reads_back_as_the_records():
    text = (await collect("csv", SCHEMA, RECORDS)).decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == list(SCHEMA["properties"])
    assert rows[1]["name"] == RECORDS[1]["name"]
    assert json.loads(rows[1]["address"]) == {} and rows[1]["nickname"] == ""
    assert [int(r["age"]) for r in rows] == [36, 85]


async def test_a_csv_export_of_no_records_is_only_the_header():
    assert (await collect("csv", SCHEMA, [])).decode() == ",".join(SCHEMA["properties"]) + "\r\n"


async def test_a_parquet_export_has_one_row_group_per_page_and_typed_nullable_columns():
    data = await collect("parquet", SCHEMA, RECORDS * 3, page_size=2)
    parquet = pq.ParquetFile(io.BytesIO(data))
    assert parquet.metadata.num_row_groups == 3
    table = parquet.read()
    assert [str(t) for t in table.schema.types] == ["string", "int64", "double", "bool", "string", "string",
                                                    "string", "string"]
    assert all(field.nullable for field in table.schema)
    rows = table.to_pylist()
    assert rows[0]["age"] == 36 and rows[1]["score"] == 7.0 and rows[1]["nickname"] is None
    assert json.loads(rows[0]["address"]) == {"city": "London"}
    assert json.loads(table.schema.metadata[b"sdg.json_schema"]) == SCHEMA


async def test_a_value_that_escaped_its_schema_becomes_null_in_parquet_instead_of_failing_the_export():
    records = [{"name": "x", "age": 2**70, "active": "yes"}]
    rows = pq.read_table(io.BytesIO(await collect("parquet", SCHEMA, records))).to_pylist()
    assert rows[0]["name"] == "x" and rows[0]["age"] is None and rows[0]["active"] is None


async def test_a_parquet_export_of_no_records_is_a_valid_empty_file():
    table = pq.read_table(io.BytesIO(await collect("parquet", SCHEMA, [])))
    assert table.num_rows == 0 and table.column_names == list(SCHEMA["properties"])


async def test_undeclared_properties_land_in_the_extra_column_as_a_json_object():
    schema = {"type": "object", "properties": {"a": {"type": "integer"}}, "additionalProperties": True}
    table = pq.read_table(io.BytesIO(await collect("parquet", schema, [{"a": 1, "b": [2]}, {"a": 3}])))
    assert table.to_pylist() == [{"a": 1, "_extra": '{"b":[2]}'}, {"a": 3, "_extra": None}]


async def test_a_jsonl_export_is_one_record_per_line_or_with_envelope_the_record_and_its_ids():
    plain = (await collect("jsonl", SCHEMA, RECORDS)).decode().splitlines()
    assert [json.loads(line) for line in plain] == RECORDS
    wrapped = [json.loads(line) for line in (await collect("jsonl", SCHEMA, RECORDS, envelope=True)).splitlines()]
    assert [(w["record_id"], w["index"], w["record"]) for w in wrapped] == [("j-000000", 0, RECORDS[0]),
                                                                            ("j-000001", 1, RECORDS[1])]


async def test_envelope_columns_come_first_in_csv_and_parquet():
    text = (await collect("csv", SCHEMA, RECORDS, envelope=True)).decode()
    assert text.splitlines()[0].startswith("record_id,index,name,")
    table = pq.read_table(io.BytesIO(await collect("parquet", SCHEMA, RECORDS, envelope=True)))
    assert table.column_names[:3] == ["record_id", "index", "name"] and table["index"].to_pylist() == [0, 1]


@pytest.mark.parametrize("schema", [{"type": [{"not": "a type"}]}, {"enum": "not a list"}, {"type": 3}])
def test_a_malformed_property_schema_still_gets_a_json_column(schema):
    assert kind_of(schema) == "json"


async def test_odd_property_names_still_make_valid_csv_and_parquet():
    schema = {"type": "object", "properties": {"": {"type": "string"}, "a.b": {"type": "integer"}, "ü,\"x\"": {}},
              "additionalProperties": False}
    records = [{"": "empty", "a.b": 1, "ü,\"x\"": {"k": None}}]
    rows = list(csv.DictReader(io.StringIO((await collect("csv", schema, records)).decode())))
    assert rows == [{"": "empty", "a.b": "1", "ü,\"x\"": '{"k":null}'}]
    assert pq.read_table(io.BytesIO(await collect("parquet", schema, records))).to_pylist() == \
        [{"": "empty", "a.b": 1, "ü,\"x\"": '{"k":null}'}]
