"""Duplicate records within a job: exact (same canonical JSON) and near (same after normalising text: case,
punctuation, spacing). Each form's digest is claimed job-wide (services/worker/claims.py); a duplicate is rejected
naming the record it repeats."""

import hashlib
import json
import re
from typing import Any

from services.common.canonical import canonical_json

_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)


def normalised(record: dict[str, Any]) -> str:
    values = json.loads(canonical_json(record), object_pairs_hook=lambda pairs: [v for _, v in sorted(pairs)])
    return _NOT_WORD.sub(" ", json.dumps(values, ensure_ascii=False).lower()).strip()


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def digests(record: dict[str, Any]) -> list[tuple[str, str]]:
    """The record's forms to compare: [("exact", digest), ("near", digest)], exact first."""
    return [("exact", _digest(canonical_json(record))), ("near", _digest(normalised(record)))]
