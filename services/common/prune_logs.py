"""Log retention without ILM (the local Elasticsearch build has none): drops the whole daily indices `sdg-logs-*`
whose day ended longer ago than `--older-than`. `just prune-logs --older-than 7d [--dry-run]`."""

import argparse
import asyncio
import os
import re
import sys
from datetime import UTC, date, datetime, timedelta

from elasticsearch import AsyncElasticsearch

from services.common.search import LOGS_INDEX_PREFIX
from services.common import servers

AGE = re.compile(r"^(\d+)([dh])$")


def parse_age(text: str) -> timedelta:
    match = AGE.match(text.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r} is not an age: write a number of days or hours, like 7d or 36h")
    amount, unit = int(match[1]), match[2]
    return timedelta(days=amount) if unit == "d" else timedelta(hours=amount)


def day_of(index: str) -> date | None:
    try:
        return datetime.strptime(index.removeprefix(LOGS_INDEX_PREFIX), "%Y.%m.%d").date()
    except ValueError:
        return None  # not a daily log index: never touched


def expired(indices: list[str], older_than: timedelta, now: datetime) -> list[str]:
    """The indices whose whole day lies before `now - older_than`."""
    cutoff = now - older_than
    days = {index: day_of(index) for index in indices}
    return sorted(index for index, day in days.items()
                  if day is not None and datetime.combine(day + timedelta(days=1), datetime.min.time(), UTC) <= cutoff)


async def prune(es_url: str, older_than: timedelta, dry_run: bool) -> list[str]:
    async with AsyncElasticsearch(es_url) as es:
        found = await es.indices.get(index=f"{LOGS_INDEX_PREFIX}*", expand_wildcards="open,closed",
                                     allow_no_indices=True)
        doomed = expired(list(found), older_than, datetime.now(UTC))
        if doomed and not dry_run:
            await es.indices.delete(index=",".join(doomed))
        return doomed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="just prune-logs", description=__doc__)
    parser.add_argument("--older-than", type=parse_age, required=True, help="7d, 36h, ...")
    parser.add_argument("--dry-run", action="store_true", help="name the indices, delete nothing")
    parser.add_argument("--es-url", default=servers.es_url())
    args = parser.parse_args(argv)
    doomed = asyncio.run(prune(args.es_url, args.older_than, args.dry_run))
    verb = "would drop" if args.dry_run else "dropped"
    print(f"{verb} {len(doomed)} log index(es){': ' + ', '.join(doomed) if doomed else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
