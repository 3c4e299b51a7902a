"""Cursors of paged lists (jobs, records, log lines): the last hit's sort values, opaque to the caller."""

import base64
import json
from typing import Any

from fastapi import HTTPException


def encode_cursor(sort: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(sort).encode()).decode()


def decode_cursor(cursor: str) -> list[Any]:
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, UnicodeDecodeError):
        raise HTTPException(status_code=400, detail="`after` is not a cursor this API returned") from None
    if not isinstance(value, list):
        raise HTTPException(status_code=400, detail="`after` is not a cursor this API returned")
    return value
