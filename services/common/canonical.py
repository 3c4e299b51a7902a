"""Canonical JSON: one text per value (sorted keys, no spaces), so equal values hash alike wherever they are hashed.

`ascii_only` escapes non-ASCII characters, as the schema hashes stored in record types and provenance always have:
changing it would change those hashes.
"""

import hashlib
import json
from typing import Any


def canonical_json(value: Any, ascii_only: bool = False) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=ascii_only, separators=(",", ":"))


def canonical_sha256(value: Any, ascii_only: bool = False) -> str:
    return hashlib.sha256(canonical_json(value, ascii_only).encode()).hexdigest()


def schema_sha256(schema: dict[str, Any]) -> str:
    """A JSON Schema's identity: record types store it, provenance keeps its first 16 digits (`schema_hash`)."""
    return canonical_sha256(schema, ascii_only=True)
