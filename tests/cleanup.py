"""What the suite leaves on an installation it shares with its users, taken back when the session ends: profiles are
the installation's (every tenant sees and may pin them), so each one that a test key made is retired, and the keys
the tests issued are revoked."""

import httpx
from elasticsearch import AsyncElasticsearch

from services.access.keys import issue_key, revoke_key

DEFAULT_PROFILE = "default"  # never retired (the API refuses); the fuzzer gives its settings back itself


async def take_back(api_url: str, es_url: str, key_ids: list[str]) -> list[str]:
    """Retires every live profile whose latest version one of `key_ids` made, then revokes those keys; returns the
    names retired. A refusal fails loudly: something of the suite would stay behind."""
    made_by_tests = set(key_ids)
    async with AsyncElasticsearch(es_url) as es:
        cleaner_id, cleaner = await issue_key(es, "tests", ("operator",), name="suite cleanup", created_by="tests")
        async with httpx.AsyncClient(base_url=api_url, timeout=30,
                                     headers={"Authorization": f"Bearer {cleaner}"}) as api:
            listed = (await api.get("/v1/profiles")).raise_for_status().json()["profiles"]
            left = [profile["name"] for profile in listed if profile["changed_by"] in made_by_tests
                    and not profile["retired"] and profile["name"] != DEFAULT_PROFILE]
            for name in left:
                answer = await api.delete(f"/v1/profiles/{name}", params={"reason": "left by the test suite"})
                assert answer.status_code == 200, answer.text
        for key_id in [*key_ids, cleaner_id]:
            await revoke_key(es, key_id)
    return left
