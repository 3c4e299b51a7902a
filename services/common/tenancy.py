"""Which tenant a stored document belongs to, and the query filter for one tenant's documents: one rule for every
index. Documents written before tenants existed have no `tenant` and belong to `default`, as their events do when
they are read back (events/envelope.py)."""

from collections.abc import Mapping
from typing import Any

from events.envelope import DEFAULT_TENANT


def tenant_of(doc: Mapping[str, Any]) -> str:
    return doc.get("tenant", DEFAULT_TENANT)


def tenant_filter(tenant: str) -> dict[str, Any]:
    """An Elasticsearch filter for the documents of `tenant`."""
    owned = {"term": {"tenant": tenant}}
    if tenant != DEFAULT_TENANT:
        return owned
    return {"bool": {"should": [owned, {"bool": {"must_not": {"exists": {"field": "tenant"}}}}]}}
