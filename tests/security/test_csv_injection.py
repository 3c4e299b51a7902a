"""CSV exports neutralise cells a spreadsheet would run as formulas (OWASP, CSV injection): pure unit tests."""

import csv
import io

import pytest

from services.api.export.columns import Column, csv_cell, neutralised
from services.api.export.formats import FORMATS

SCHEMA = {"type": "object", "properties": {"=HYPERLINK(\"x\")": {"type": "string"}, "note": {"type": "string"},
                                           "n": {"type": "integer"}, "any": {}}}


async def export_csv(records: list[dict]) -> list[list[str]]:
    async def pages():
        yield [{"record_id": f"j-{i}", "index": i, "record": r} for i, r in enumerate(records)]
    text = b"".join([c async for c in FORMATS["csv"].encode(SCHEMA, pages(), False)]).decode()
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1+2", "@SUM(A1)", "\tx", "\rx", "=cmd|' /C calc'!A0"])
def test_a_string_that_starts_like_a_formula_gets_a_leading_quote(text):
    assert neutralised(text) == "'" + text


@pytest.mark.parametrize("text", ["plain", "", "1=1", "a-b", " =x", "'already"])
def test_other_strings_are_left_as_they_are(text):
    assert neutralised(text) == text


def test_numbers_stay_numbers_and_json_values_are_never_formulas():
    record = {"n": -5, "any": "=x", "note": "-5"}
    assert csv_cell(Column("n", "integer"), record, set(record)) == "-5"
    assert csv_cell(Column("any", "json"), record, set(record)) == '"=x"'
    assert csv_cell(Column("note", "string"), record, set(record)) == "'-5"


async def test_a_csv_export_neutralises_header_names_and_string_cells():
    rows = await export_csv([{"=HYPERLINK(\"x\")": "@evil", "note": "=2+3", "n": -1, "any": ["=a"]},
                             {"=HYPERLINK(\"x\")": "fine", "note": "\t=tab", "n": 2, "any": None}])
    assert rows[0] == ["'=HYPERLINK(\"x\")", "note", "n", "any"]
    assert rows[1] == ["'@evil", "'=2+3", "-1", '["=a"]']
    assert rows[2] == ["fine", "'\t=tab", "2", ""]
