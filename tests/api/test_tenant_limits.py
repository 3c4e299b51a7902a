"""Streams and exports are counted per tenant in each API process; past the limit is a 429 with Retry-After."""

import pytest
from fastapi import HTTPException
from starlette.testclient import TestClient

from services.api.limits.tenants import HeldStreamingResponse, TenantSlots


def test_a_tenant_gets_its_limit_of_slots_then_a_429_with_retry_after():
    slots = TenantSlots("progress streams", limit=2, retry_after_s=7)
    slots.take("acme"), slots.take("acme")
    with pytest.raises(HTTPException) as caught:
        slots.take("acme")
    assert caught.value.status_code == 429
    assert caught.value.headers == {"Retry-After": "7"}
    assert "acme" in caught.value.detail and "2 progress streams" in caught.value.detail


def test_one_tenant_at_its_limit_leaves_other_tenants_free():
    slots = TenantSlots("exports", limit=1, retry_after_s=1)
    slots.take("acme")
    slots.take("globex")
    with pytest.raises(HTTPException):
        slots.take("acme")


def test_a_released_slot_can_be_taken_again_and_releasing_twice_frees_one():
    slots = TenantSlots("exports", limit=2, retry_after_s=1)
    first, _ = slots.take("acme"), slots.take("acme")
    first()
    first()
    slots.take("acme")
    with pytest.raises(HTTPException):
        slots.take("acme")


def test_a_limit_of_zero_is_no_limit():
    slots = TenantSlots("exports", limit=0, retry_after_s=1)
    for _ in range(1000):
        slots.take("acme")


def test_a_held_response_gives_its_slot_back_when_it_ends_and_when_its_stream_fails():
    slots = TenantSlots("exports", limit=1, retry_after_s=1)

    async def body():
        yield b"a"

    async def broken():
        yield b"a"
        raise RuntimeError("page read failed")

    for content in (body, broken):
        release = slots.take("acme")
        response = HeldStreamingResponse(content(), release=release)

        async def app(scope, receive, send, response=response):
            await response(scope, receive, send)

        try:
            TestClient(app).get("/")
        except RuntimeError:
            pass
        assert slots.held["acme"] == 0
