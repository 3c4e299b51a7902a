"""API keys: issued once in plain text, stored as a SHA-256 of their secret in the `sdg-keys` index.

A key reads `sdg_<key_id>_<secret>`. The key id is the document id, so checking a key is one GET by id and a
constant-time comparison of hashes. Keys are credentials, not domain facts: they are written straight to
Elasticsearch and never travel on the bus or into the event log.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from elasticsearch import AsyncElasticsearch

from services.access.tenants import tenant_refusal
from services.common.search import KEYS_INDEX

SCOPES = ("read", "write", "admin", "operator")
PREFIX = "sdg_"
# Each scope grants the ones before it: admin can write and read, write can read. `operator` (the whole
# installation) also includes admin of its own key's tenant; no tenant's admin holds it or can grant it.
IMPLIED = {"read": {"read"}, "write": {"read", "write"}, "admin": {"read", "write", "admin"},
           "operator": {"read", "write", "admin", "operator"}}


@dataclass(frozen=True)
class StoredKey:
    key_id: str
    tenant: str
    name: str
    scopes: frozenset[str]
    revoked: bool


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def split_key(key: str) -> tuple[str, str] | None:
    """(key_id, secret) of a well-formed key, else None."""
    if not key.startswith(PREFIX):
        return None
    key_id, _, secret = key[len(PREFIX):].partition("_")
    if len(key_id) != 16 or not secret:
        return None
    return key_id, secret


def granted(scopes: list[str] | set[str] | frozenset[str]) -> frozenset[str]:
    return frozenset().union(*(IMPLIED[s] for s in scopes if s in IMPLIED))


async def issue_key(es: AsyncElasticsearch, tenant: str, scopes: tuple[str, ...] | list[str], name: str = "",
                    created_by: str = "cli") -> tuple[str, str]:
    """Stores a new key and returns (key_id, the key in plain text). The plain text exists only in this answer.
    ValueError for scopes that do not exist or a tenant no key may have (malformed or reserved). Who may ask for
    which key is the caller's business (routes/keys.py); this is also the server's own CLI path."""
    unknown = set(scopes) - set(SCOPES)
    if unknown or not scopes:
        raise ValueError(f"scopes must be a non-empty subset of {', '.join(SCOPES)}; got {sorted(scopes)}")
    if refusal := tenant_refusal(tenant):
        raise ValueError(refusal)
    key_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
    await es.create(index=KEYS_INDEX.alias, id=key_id, refresh="wait_for", document={
        "key_id": key_id, "tenant": tenant, "name": name, "scopes": sorted(set(scopes)),
        "secret_sha256": digest(secret), "created_at": datetime.now(UTC).isoformat(), "created_by": created_by})
    return key_id, f"{PREFIX}{key_id}_{secret}"


async def verify_key(es: AsyncElasticsearch, key: str) -> StoredKey | None:
    """The stored key if `key` matches one that is not revoked, else None."""
    parts = split_key(key)
    if parts is None:
        return None
    key_id, secret = parts
    doc = await key_document(es, key_id)
    if doc is None:
        return None
    if not hmac.compare_digest(doc["secret_sha256"], digest(secret)):
        return None
    return StoredKey(key_id=key_id, tenant=doc["tenant"], name=doc.get("name", ""),
                     scopes=granted(doc["scopes"]), revoked=bool(doc.get("revoked_at")))


async def key_document(es: AsyncElasticsearch, key_id: str) -> dict | None:
    """The key's stored document, its secret's hash included (what signs a job token), or None."""
    found = await es.options(ignore_status=404).get(index=KEYS_INDEX.alias, id=key_id)
    return found["_source"] if found.get("found") else None


async def find_key(es: AsyncElasticsearch, key_id: str, tenant: str | None) -> dict | None:
    """The stored key (without its hash), or None when there is no such key (in `tenant`, when given)."""
    doc = await key_document(es, key_id)
    if doc is None or (tenant is not None and doc["tenant"] != tenant):
        return None
    return {field: value for field, value in doc.items() if field != "secret_sha256"}


async def revoke_key(es: AsyncElasticsearch, key_id: str) -> None:
    await es.update(index=KEYS_INDEX.alias, id=key_id, refresh="wait_for",
                    doc={"revoked_at": datetime.now(UTC).isoformat()})
