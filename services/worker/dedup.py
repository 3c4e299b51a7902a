"""Duplicate records within a job: exact (same canonical JSON) and near (same after normalising text: case,
punctuation, spacing). Each duplicate is rejected naming the record it repeats."""

import hashlib
import json
import re
from typing import Any

_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)


def canonical(record: dict[str, Any]) -> str:
    return json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def normalised(record: dict[str, Any]) -> str:
    values = json.loads(canonical(record), object_pairs_hook=lambda pairs: [v for _, v in sorted(pairs)])
    return _NOT_WORD.sub(" ", json.dumps(values, ensure_ascii=False).lower()).strip()


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


class Deduplicator:
    def __init__(self) -> None:
        self._exact: dict[str, str] = {}
        self._near: dict[str, str] = {}

    def duplicate_of(self, record: dict[str, Any]) -> tuple[str, str] | None:
        """("exact" | "near", id of the earlier record) when this record repeats one already accepted."""
        if (earlier := self._exact.get(_digest(canonical(record)))) is not None:
            return "exact", earlier
        if (earlier := self._near.get(_digest(normalised(record)))) is not None:
            return "near", earlier
        return None

    def remember(self, record: dict[str, Any], record_id: str) -> None:
        self._exact.setdefault(_digest(canonical(record)), record_id)
        self._near.setdefault(_digest(normalised(record)), record_id)
