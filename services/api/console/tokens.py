"""Job tokens: what a browser puts in a URL instead of its API key, where it cannot send a header (EventSource, a
download link).

A token names one job, the key that asked for it and when it expires, and is signed (HMAC-SHA256) with a secret
derived from that key's stored hash. So every API process can check it with one read of the key, without a shared
secret to configure; it stops working when the key is revoked, and it opens nothing but its own job, of its own
tenant. It reads `<job_id>.<key_id>.<expires (Unix s)>.<signature>`.
"""

import hashlib
import hmac
import time
from base64 import urlsafe_b64encode
from dataclasses import dataclass

from elasticsearch import AsyncElasticsearch

from services.access.keys import key_document

TOKEN_TTL_S = 120  # long enough for a stream to open and for EventSource's own reconnects; the console asks again
PURPOSE = b"sdg job token v1"


@dataclass(frozen=True)
class JobToken:
    job_id: str
    key_id: str
    expires: int
    mac: str  # the signature, checked against the key's secret by `check`


class TokenRefused(Exception):
    """The token does not open this job (malformed, expired, forged, of a revoked key or of another job)."""


def signing_secret(secret_sha256: str) -> bytes:
    return hmac.new(secret_sha256.encode(), PURPOSE, hashlib.sha256).digest()


def signature(secret_sha256: str, job_id: str, key_id: str, tenant: str, expires: int) -> str:
    message = f"{job_id}|{key_id}|{tenant}|{expires}".encode()
    mac = hmac.new(signing_secret(secret_sha256), message, hashlib.sha256).digest()
    return urlsafe_b64encode(mac).rstrip(b"=").decode()


def mint(secret_sha256: str, job_id: str, key_id: str, tenant: str, now: float | None = None,
         ttl_s: int = TOKEN_TTL_S) -> tuple[str, int]:
    """(token, expires) for one job of the key's tenant."""
    expires = int((now if now is not None else time.time()) + ttl_s)
    return f"{job_id}.{key_id}.{expires}.{signature(secret_sha256, job_id, key_id, tenant, expires)}", expires


def parse(token: str) -> JobToken:
    """The token's claims and its signature, not yet checked; TokenRefused when it is not shaped like a token."""
    parts = token.split(".")
    if len(parts) != 4 or not parts[2].isdigit() or len(token) > 200:
        raise TokenRefused("not a job token: ask POST /v1/jobs/{job_id}/stream-token for one")
    job_id, key_id, expires, mac = parts
    return JobToken(job_id, key_id, int(expires), mac)


def check(claims: JobToken, job_id: str, stored_key: dict | None, now: float | None = None) -> str:
    """The tenant the parsed token acts for, if it opens `job_id`; else TokenRefused saying why.
    `stored_key` is the document of the token's key in sdg-keys (with its hash), None when there is no such key."""
    if claims.job_id != job_id:
        raise TokenRefused("this token was issued for another job")
    if claims.expires < (now if now is not None else time.time()):
        raise TokenRefused("the token has expired: ask POST /v1/jobs/{job_id}/stream-token for a new one")
    if stored_key is None or not stored_key.get("secret_sha256"):
        raise TokenRefused("the token is not valid")
    expected = signature(stored_key["secret_sha256"], claims.job_id, claims.key_id, stored_key["tenant"],
                         claims.expires)
    if not hmac.compare_digest(expected, claims.mac):
        raise TokenRefused("the token is not valid")
    if stored_key.get("revoked_at"):
        raise TokenRefused("the key that asked for this token was revoked")
    return stored_key["tenant"]


async def stored_key(es: AsyncElasticsearch, key_id: str) -> dict | None:
    """The key's document with its hash (the signing secret's source), or None."""
    if not key_id or len(key_id) > 64:
        return None
    return await key_document(es, key_id)
