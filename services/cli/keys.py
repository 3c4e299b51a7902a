"""`sdg keys`: issue API keys on the server itself (straight to Elasticsearch): the first operator key
(`sdg keys create --tenant ops --scopes operator --save`), or any tenant's key. Whoever reaches Elasticsearch owns
the installation anyway, so this is the one place an operator key comes from without another operator."""

import asyncio
import os
from typing import Annotated

import typer
from elasticsearch import AsyncElasticsearch

from services.access.keys import SCOPES, issue_key
from services.access.tenants import tenant_refusal
from services.cli.credentials import save_key
from services.common.search import ensure_indices, wait_until_searchable
from services.common import servers

app = typer.Typer(help="API keys (run on a machine that reaches Elasticsearch).", no_args_is_help=True)


async def create_key(es_url: str, tenant: str, scopes: list[str], name: str) -> tuple[str, str]:
    async with AsyncElasticsearch(es_url) as es:
        await wait_until_searchable(es)
        await ensure_indices(es)
        return await issue_key(es, tenant, scopes, name, created_by="cli")


@app.command("create")
def create(
    tenant: Annotated[str, typer.Option(help="Tenant the key acts for.")] = "default",
    scopes: Annotated[str, typer.Option(help=f"Comma-separated, from {', '.join(SCOPES)} (operator: the whole "
                                             f"installation, every tenant).")] = "admin",
    name: Annotated[str, typer.Option(help="What the key is for.")] = "",
    save: Annotated[bool, typer.Option(help="Also save it where `sdg` looks for its key.")] = False,
    es_url: Annotated[str, typer.Option(envvar="SDG_ES_URL")] = os.environ.get("SDG_API_ES_URL") or servers.es_url(),
) -> None:
    """Issue a key and print it once (only its hash is stored)."""
    wanted = [s.strip() for s in scopes.split(",") if s.strip()]
    if refusal := tenant_refusal(tenant):
        raise typer.BadParameter(refusal, param_hint="--tenant")
    try:
        key_id, key = asyncio.run(create_key(es_url, tenant, wanted, name))
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--scopes") from None
    print(key)
    typer.echo(f"key {key_id} for tenant {tenant!r} with scopes {','.join(wanted)}"
               + (f"; saved to {save_key(key)}" if save else "; keep it, it is not shown again"), err=True)
