"""Tenant names: the form every tenant a key is issued for must have, and the names no key may ever have.

`shared` owns the record types shipped in schemas/records/ (every tenant sees them) and the events of the global
profiles; a key of that tenant could rewrite what every tenant reads, so none is ever issued, not even by an
operator or the server's CLI. The other reserved names are kept for the installation itself, so that no tenant can
pass for it in logs, stats or key lists.
"""

import re

from events.record_types import SHARED_TENANT

TENANT_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"
RESERVED_TENANTS = frozenset({SHARED_TENANT, "system", "operator", "all"})


def tenant_refusal(tenant: str) -> str | None:
    """Why no key may be issued for `tenant`, or None when one may."""
    if not re.fullmatch(TENANT_PATTERN, tenant or ""):
        return (f"tenant {tenant!r} is not a tenant name: lower-case letters, digits, `_` and `-`, starting with a "
                f"letter or digit, 63 at most")
    if tenant in RESERVED_TENANTS:
        return (f"tenant {tenant!r} is reserved for the installation ({', '.join(sorted(RESERVED_TENANTS))}); "
                f"choose another name")
    return None
