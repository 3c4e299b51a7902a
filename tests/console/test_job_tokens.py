"""Job tokens open one job of one tenant for a couple of minutes, and nothing else (pure: no server)."""

import pytest

from services.api.console.tokens import TOKEN_TTL_S, TokenRefused, check, mint, parse

KEY = {"key_id": "k1", "tenant": "acme", "secret_sha256": "a" * 64}
NOW = 1_800_000_000.0


def token_for(job_id: str = "job-1", key: dict = KEY, now: float = NOW) -> str:
    return mint(key["secret_sha256"], job_id, key["key_id"], key["tenant"], now=now)[0]


def refusal(token: str, job_id: str = "job-1", key: dict | None = KEY, now: float = NOW) -> str:
    with pytest.raises(TokenRefused) as refused:
        check(parse(token), job_id, key, now=now)
    return str(refused.value)


def test_a_token_opens_its_job_for_the_keys_tenant():
    assert check(parse(token_for()), "job-1", KEY, now=NOW + TOKEN_TTL_S - 1) == "acme"


def test_a_token_opens_no_other_job():
    assert "another job" in refusal(token_for("job-1"), job_id="job-2")


def test_a_token_stops_working_when_it_expires():
    assert "expired" in refusal(token_for(), now=NOW + TOKEN_TTL_S + 1)


def test_a_token_with_a_changed_expiry_or_job_is_not_valid():
    job_id, key_id, expires, mac = token_for().split(".")
    assert "not valid" in refusal(f"{job_id}.{key_id}.{int(expires) + 3600}.{mac}")
    assert "not valid" in refusal(f"job-2.{key_id}.{expires}.{mac}", job_id="job-2")


def test_a_token_signed_for_another_keys_secret_or_tenant_is_not_valid():
    other_secret = {**KEY, "secret_sha256": "b" * 64}
    moved_tenant = {**KEY, "tenant": "globex"}
    assert "not valid" in refusal(token_for(), key=other_secret)
    assert "not valid" in refusal(token_for(), key=moved_tenant)
    assert "not valid" in refusal(token_for(), key=None)


def test_a_token_of_a_revoked_key_is_refused():
    assert "revoked" in refusal(token_for(), key={**KEY, "revoked_at": "2026-12-03T00:00:00Z"})


@pytest.mark.parametrize("junk", ["", "abc", "a.b.c", "a.b.notanumber.d", "a.b.1.d.e", "x" * 300])
def test_anything_not_shaped_like_a_token_is_refused_with_how_to_get_one(junk):
    assert "stream-token" in refusal(junk)


def test_the_token_holds_no_secret_of_the_key():
    token = token_for()
    assert KEY["secret_sha256"] not in token and token.count(".") == 3
