"""bench-quality's figures from job projections and profiles, and its targets (pure; the bench itself needs the
running stack)."""

import json

from tests.benchmarks import bench_quality as bench


def profile(*fields: tuple[str, dict, float | None, float | None]) -> dict:
    return {"fields": [{"name": n, "types": t, "distinct_ratio": d, "top_share": s} for n, t, d, s in fields]}


def job(rate_records: int, seconds: int) -> dict:
    return {"job_id": "j", "status": "completed", "records_generated": rate_records, "records_rejected": 0,
            "started_at": "2026-01-01T00:00:00+00:00", "finished_at": f"2026-01-01T00:00:{seconds:02d}+00:00"}


PEOPLE = profile(("first_name", {"string": 200}, 0.99, 0.01), ("email", {"string": 200}, 1.0, 0.005),
                 ("bio", {"string": 200}, 0.97, 0.01))


def test_only_string_fields_are_reported_with_their_distinct_ratio_and_top_share():
    figures = bench.string_fields(profile(("first_name", {"string": 10}, 0.5, 0.2), ("age", {"integer": 10}, 0.3, 0.1)))
    assert figures == {"first_name": {"distinct_ratio": 0.5, "top_share": 0.2}}


def test_records_per_s_comes_from_the_projections_start_and_finish():
    assert bench.records_per_s(job(200, 50)) == 4.0
    assert bench.records_per_s({"records_generated": 3, "started_at": None, "finished_at": None}) is None


def test_auto_vs_model_is_the_ratio_of_the_two_people_cases_and_missing_when_one_was_skipped():
    results = {"people_auto": bench.case_result(job(200, 20), PEOPLE),
               "people_model": bench.case_result(job(200, 50), PEOPLE)}
    assert bench.speedup(results) == 2.5
    assert bench.speedup({"people_auto": {"skipped": "422"}, "people_model": results["people_model"]}) is None


def test_the_targets_check_identity_fields_email_uniqueness_bio_diversity_and_the_speedup():
    results = {"customer": bench.case_result(job(200, 100), profile(("city", {"string": 200}, 0.2, 0.18),
                                                                     ("email", {"string": 200}, 0.9, 0.035))),
               "people_auto": bench.case_result(job(200, 20), PEOPLE),
               "people_model": bench.case_result(job(200, 50), PEOPLE)}
    met = {t["target"]: t["met"] for t in bench.summary(200, results)["targets"]}
    assert met["customer.city.top_share <= 0.03"] is False and met["customer.email.distinct_ratio == 1.0"] is False
    assert met["people_auto.first_name.top_share <= 0.03"] is True
    assert met["people_auto.email.distinct_ratio == 1.0"] is True
    assert met["people_model.bio.distinct_ratio >= 0.95"] is True and met["auto_vs_model_records_per_s >= 1.5"]
    assert "people_model.first_name.top_share <= 0.03" not in met  # the model alone is measured, not held to it


def test_a_422_that_names_auto_samplers_skips_the_case_and_any_other_answer_does_not():
    assert bench.refuses_auto_samplers(422, '{"detail": "body.auto_samplers: Extra inputs are not permitted"}')
    assert not bench.refuses_auto_samplers(422, '{"detail": "count: too large"}')
    assert not bench.refuses_auto_samplers(202, '{"auto_samplers": true}')


def test_the_cases_are_the_shipped_customer_type_and_the_people_schema_with_auto_samplers_on_and_off():
    cases = bench.cases(50, 7)
    assert cases["customer"] == {"record_type": "customer", "count": 50, "seed": 7,
                                 "instructions": "Customers of a European bookshop chain."}
    assert (cases["people_auto"]["auto_samplers"], cases["people_model"]["auto_samplers"]) == (True, False)
    assert "x-sdg" not in json.dumps(bench.PEOPLE) and set(bench.PEOPLE["properties"]) == {
        "first_name", "last_name", "email", "city", "job_title", "bio"}


def test_the_table_shows_skipped_cases_and_the_json_line_is_one_object():
    result = bench.summary(200, {"customer": bench.case_result(job(200, 100), PEOPLE),
                                 "people_auto": {"skipped": "the API refused `auto_samplers` (422)"}})
    lines = bench.table(result)
    assert any("people_auto" in line and "skipped" in line for line in lines)
    assert any("auto_vs_model_records_per_s >= 1.5: not measured" in line for line in lines)
    assert json.loads(json.dumps(result))["auto_vs_model_records_per_s"] is None
