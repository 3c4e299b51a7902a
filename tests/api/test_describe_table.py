"""`sdg describe JOB` draws the profile as one table, a row per field (pure: the table from a profile)."""

from rich.console import Console

from services.cli.describe import field_row, profile_table

PROFILE = {"job_id": "job-1", "status": "completed", "records": 200, "skipped_fields": ["bad*name"], "fields": [
    {"name": "email", "schema_types": ["string"], "types": {"string": 200}, "missing_share": 0.0, "distinct": 200,
     "distinct_ratio": 1.0, "top": [{"value": "a@example.com", "count": 1, "share": 0.005}], "numeric": None,
     "length": {"min": 12, "max": 31, "mean": 19.5}},
    {"name": "age", "schema_types": ["integer"], "types": {"integer": 190}, "missing_share": 0.05, "distinct": 60,
     "distinct_ratio": 0.315789, "top": [{"value": "40", "count": 9, "share": 0.045}],
     "numeric": {"min": 18.0, "max": 90.0, "mean": 44.25}, "length": None},
    {"name": "address", "schema_types": ["object"], "types": {}, "missing_share": None, "distinct": None,
     "distinct_ratio": None, "top": [], "numeric": None, "length": None}]}


def drawn(profile: dict) -> str:
    console = Console(width=160, record=True)
    console.print(profile_table(profile))
    return console.export_text()


def test_each_field_shows_its_types_missing_share_distinct_values_top_value_and_range():
    assert field_row(PROFILE["fields"][0]) == ("email", "string 200", "0%", "200 (100%)", "a@example.com 0.5%",
                                               "len 12..31 (mean 19.5)")
    assert field_row(PROFILE["fields"][1]) == ("age", "integer 190", "5.0%", "60 (32%)", "40 4.5%",
                                               "18..90 (mean 44.25)")


def test_an_object_field_shows_its_schema_type_and_dashes():
    assert field_row(PROFILE["fields"][2]) == ("address", "object", "-", "-", "-", "-")


def test_the_table_names_the_job_and_the_fields_left_out():
    text = drawn(PROFILE)
    assert "job job-1 (completed): 200 records" in text
    assert all(name in text for name in ("email", "age", "address")) and "not profiled: bad*name" in text
