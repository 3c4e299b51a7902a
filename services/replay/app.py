"""`python -m services.replay`: rebuild the job projection from the event log while the system keeps running."""

import asyncio
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated

import typer
from elasticsearch import AsyncElasticsearch

from services.common.search import JOBS_INDEX
from services.replay.diff import differences, live_documents
from services.replay.rebuild import (catch_up, current_generation, fold_all, reproject_record_types, swap_alias,
                                     write_generation)
from services.replay.settings import ReplaySettings
from services.replay.sources import from_elasticsearch, from_stream


class Source(StrEnum):
    es = "es"
    stream = "stream"


@dataclass
class ReplayReport:
    events: int = 0
    jobs: int = 0
    seconds: float = 0.0
    index: str | None = None
    caught_up: int = 0
    differences: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def events_per_s(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


def read_log(source: Source, es: AsyncElasticsearch, settings: ReplaySettings, job: str | None, skipped: list[str]):
    if source is Source.stream:
        return from_stream(settings.amqp_url, job, settings.stream_idle_s, skipped)
    return from_elasticsearch(es, job, page_size=settings.page_size, skipped=skipped)


async def replay(settings: ReplaySettings, job: str | None = None, dry_run: bool = False,
                 source: Source = Source.es) -> ReplayReport:
    report, started_at, clock = ReplayReport(), datetime.now(UTC), time.perf_counter()
    async with AsyncElasticsearch(settings.es_url) as es:
        record_types: list = []
        docs, report.events = await fold_all(read_log(source, es, settings, job, report.skipped), record_types)
        report.jobs = len(docs)
        if dry_run:
            report.differences = differences(docs, await live_documents(es, list(docs)))
        elif job:
            if job in docs:
                await es.index(index=JOBS_INDEX.alias, id=job, document=docs[job], refresh="wait_for")
        else:
            old, generation = await current_generation(es)
            report.index = await write_generation(es, docs, generation + 1)
            await swap_alias(es, old, report.index)
            await es.indices.delete(index=old)
            await reproject_record_types(es, record_types)
        if not dry_run:
            since = started_at - timedelta(seconds=settings.catch_up_margin_s)
            report.caught_up = await catch_up(es, from_elasticsearch(es, job, since=since))
    report.seconds = time.perf_counter() - clock
    return report


def main(
    job: Annotated[str | None, typer.Option(help="Rebuild this job only.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the differences; change nothing.")] = False,
    source: Annotated[Source, typer.Option(help="Read the log from Elasticsearch or the RabbitMQ stream.")] = Source.es,
) -> None:
    """Rebuild the job projection from the event log (all jobs into a new index, then an atomic alias swap)."""
    report = asyncio.run(replay(ReplaySettings(), job, dry_run, source))
    for line in report.skipped:
        typer.echo(f"skipped {line}", err=True)
    if dry_run:
        typer.echo("\n".join(report.differences) or "no differences")
    where = f" into {report.index}" if report.index else ""
    typer.echo(f"replayed {report.events} events of {report.jobs} jobs{where} in {report.seconds:.2f}s "
               f"({report.events_per_s:.0f} events/s); re-applied {report.caught_up} recent events")
    raise typer.Exit(1 if dry_run and report.differences else 0)


