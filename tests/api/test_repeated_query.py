"""A single-valued query parameter given twice is refused with a 422 that names it, whoever calls; list parameters
stay repeatable. No server is needed: the app is built without its lifespan and the refusal comes before any key
or search is looked at."""

from fastapi.testclient import TestClient

from services.api.app import create_app
from services.api.auth.callers import served_routes
from services.api.query_params import single_valued


def test_a_repeated_date_bound_on_the_job_list_is_refused_naming_the_parameter():
    client = TestClient(create_app(), raise_server_exceptions=False)
    answer = client.get("/v1/jobs?submitted_before=nonsense&submitted_before=2026-01-01T00:00:00Z")
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert "query.submitted_before" in answer.json()["detail"]
    assert "given 2 times" in answer.json()["detail"]


def test_every_repeated_single_valued_parameter_is_named_in_one_answer():
    client = TestClient(create_app(), raise_server_exceptions=False)
    answer = client.get("/v1/jobs?size=1&size=2&after=a&after=b")
    assert answer.status_code == 422, answer.text
    assert {tuple(e["loc"]) for e in answer.json()["errors"]} == {("query", "size"), ("query", "after")}


def test_list_parameters_are_not_counted_as_single_valued():
    routes = {(path, method): route for path, route in served_routes(create_app())
              for method in getattr(route, "methods", None) or ()}
    jobs = single_valued(routes[("/v1/jobs", "GET")])
    assert "status" not in jobs and {"submitted_before", "submitted_after", "size"} <= jobs
    assert "where" not in single_valued(routes[("/v1/records", "GET")])
    assert "service" not in single_valued(routes[("/v1/logs", "GET")])
