"""The upload is bounded: a body past the limit is a 413 whether or not it declares its length."""

import pytest
from fastapi import HTTPException
from starlette.requests import Request

from services.api.batches.upload import upload_bytes


def request(body: bytes, content_type: str, declare_length: bool = True) -> Request:
    headers = [(b"content-type", content_type.encode())]
    if declare_length:
        headers.append((b"content-length", str(len(body)).encode()))
    chunks = [body[i:i + 1000] for i in range(0, len(body), 1000)] or [b""]

    async def receive():
        chunk = chunks.pop(0)
        return {"type": "http.request", "body": chunk, "more_body": bool(chunks)}

    return Request({"type": "http", "method": "POST", "headers": headers}, receive)


async def test_a_raw_jsonl_body_within_the_limit_is_read_whole():
    assert await upload_bytes(request(b"x" * 5000, "application/x-ndjson"), None, limit=5000) == b"x" * 5000


@pytest.mark.parametrize("declare_length", [True, False])
async def test_a_body_past_the_limit_is_a_413(declare_length):
    with pytest.raises(HTTPException) as caught:
        await upload_bytes(request(b"x" * 200_000, "application/jsonl", declare_length), None, limit=100_000)
    assert caught.value.status_code == 413 and "split it" in caught.value.detail


async def test_a_multipart_body_without_the_file_field_is_a_422():
    with pytest.raises(HTTPException) as caught:
        await upload_bytes(request(b"", "multipart/form-data; boundary=x"), None, limit=100)
    assert caught.value.status_code == 422 and "`file`" in caught.value.detail


async def test_another_content_type_is_a_415():
    with pytest.raises(HTTPException) as caught:
        await upload_bytes(request(b"{}", "application/json"), None, limit=100)
    assert caught.value.status_code == 415
