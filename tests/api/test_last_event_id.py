"""Last-Event-ID is an id a stream sent: ASCII digits that fit a signed 64-bit long; anything else is a 400."""

import pytest
from fastapi import HTTPException

from services.api.progress.routes import MAX_EVENT_ID, parse_last_event_id


@pytest.mark.parametrize("value, after", [(None, 0), ("", 0), ("  ", 0), ("0", 0), ("17", 17), (" 17 ", 17),
                                          (str(MAX_EVENT_ID), MAX_EVENT_ID)])
def test_an_id_the_stream_could_have_sent_resumes_after_it(value, after):
    assert parse_last_event_id(value) == after


@pytest.mark.parametrize("value", ["abc", "-1", "+5", "1.0", "1_000", "١٢", "²", "0x10", str(MAX_EVENT_ID + 1),
                                   "99999999999999999999", "9" * 5000])
def test_anything_else_is_a_400_that_says_what_to_send(value):
    with pytest.raises(HTTPException) as caught:
        parse_last_event_id(value)
    assert caught.value.status_code == 400
    assert "the `id` of the last event you received" in caught.value.detail
    assert len(caught.value.detail) < 300
