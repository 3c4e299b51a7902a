import pytest

pytestmark = pytest.mark.integration


async def test_the_api_serves_the_asyncapi_document_as_json(api):
    from services.contracts.document import asyncapi_document

    response = await api.get("/asyncapi.json")
    assert response.status_code == 200 and response.json() == asyncapi_document()


async def test_the_api_serves_a_readable_page_of_the_event_contract(api):
    response = await api.get("/asyncapi")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert "record.generated" in response.text and "RecordGenerated" in response.text
