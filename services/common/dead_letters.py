"""The dead-letter queue `sdg.dead-letter`, for operators: list what is in it, and re-drive messages back onto the
exchange they came from once their cause is fixed. `just dead-letters list [--limit N]`,
`just dead-letters redrive (--job ID | --message-id ID | --all) [--dry-run]`, and drop the ones that should never run
again: `just dead-letters drop (--job ID | --message-id ID | --all) [--dry-run]`.

Every dead letter also reaches the coordinator (its own copy, `sdg.coordinator.dead-letters`): a dead-lettered chunk
has already failed its job, naming the chunk and why. Re-driving such a chunk does not revive the job (a worker
refuses chunks of an ended job); submit the job again instead. Re-driving suits events a consumer refused (the
projector's or rust_ingest's) after a fix."""

import argparse
import asyncio
import json
import os
import sys
from typing import Any

import aio_pika

from events.topology import DEAD_LETTER_QUEUE, EVENTS, FACTS
from services.common import servers

HOME_EXCHANGES = {EVENTS.name, FACTS.name}


def describe(message: aio_pika.abc.AbstractIncomingMessage) -> dict[str, Any]:
    headers = dict(message.headers or {})
    deaths = headers.get("x-death") or []
    try:
        body = json.loads(message.body)
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    death = deaths[0] if deaths else {}
    return {"message_id": message.message_id, "type": body.get("type") or message.type,
            "job_id": body.get("job_id"), "chunk": body.get("chunk"), "routing_key": routing_key_of(message),
            "exchange": exchange_of(message),
            "reason": str(headers.get("x-sdg-reason") or death.get("reason") or "rejected"),
            "source": str(headers.get("x-sdg-source") or death.get("queue") or ""),
            "deliveries": death.get("count")}


def routing_key_of(message) -> str:
    headers = message.headers or {}
    if original := headers.get("x-sdg-original-routing-key"):
        return str(original)
    deaths = headers.get("x-death") or []
    if deaths and deaths[0].get("routing-keys"):
        return str(deaths[0]["routing-keys"][0])
    return message.routing_key or ""


def exchange_of(message) -> str:
    deaths = (message.headers or {}).get("x-death") or []
    exchange = str(deaths[0].get("exchange", "")) if deaths else ""
    return exchange if exchange in HOME_EXCHANGES else EVENTS.name


def matches(info: dict[str, Any], args: argparse.Namespace) -> bool:
    if args.all:
        return True
    return (args.job is not None and info["job_id"] == args.job) or \
        (args.message_id is not None and info["message_id"] == args.message_id)


async def run(args: argparse.Namespace) -> int:
    connection = await aio_pika.connect(args.amqp_url, timeout=10)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        queue = await channel.declare_queue(DEAD_LETTER_QUEUE.name, passive=True)
        held, shown, redriven = [], 0, 0
        while (message := await queue.get(no_ack=False, fail=False)) is not None:
            held.append(message)  # kept unacked until the end, so no message is read twice
            info = describe(message)
            if args.command == "list":
                if shown < args.limit:
                    print(json.dumps(info))
                shown += 1
                continue
            if not matches(info, args):
                continue
            would, doing = ("would re-drive ", "re-driving ") if args.command == "redrive" else ("would drop ", "dropping ")
            print((would if args.dry_run else doing) + json.dumps(info))
            if not args.dry_run and args.command == "drop":
                await message.ack()
                held.pop()
                redriven += 1
            elif not args.dry_run:
                exchange = await channel.get_exchange(info["exchange"], ensure=False)
                headers = {k: v for k, v in (message.headers or {}).items() if not k.startswith("x-")}
                await exchange.publish(aio_pika.Message(
                    message.body, headers={**headers, "x-sdg-redriven": "true"}, message_id=message.message_id,
                    correlation_id=message.correlation_id, type=message.type, content_type=message.content_type,
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT), routing_key=info["routing_key"])
                await message.ack()
                held.pop()
                redriven += 1
        for message in held:
            await message.nack(requeue=True)
    if args.command == "list":
        print(f"{shown} dead letter(s)" + (f", first {args.limit} shown" if shown > args.limit else ""),
              file=sys.stderr)
    else:
        done = "re-driven" if args.command == "redrive" else "dropped"
        print(f"{redriven} {done}" if not args.dry_run else f"dry run: nothing {done}", file=sys.stderr)
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="just dead-letters", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--amqp-url", default=servers.amqp_url())
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="print each dead letter as one JSON line (the queue is unchanged)")
    listing.add_argument("--limit", type=int, default=100)
    for name, what in (("redrive", "publish matching dead letters again where they came from"),
                       ("drop", "remove matching dead letters for good (e.g. a message that can never be stored)")):
        command = commands.add_parser(name, help=what)
        which = command.add_mutually_exclusive_group(required=True)
        which.add_argument("--job", help="every dead letter of this job")
        which.add_argument("--message-id", help="one dead letter (its AMQP message id, the event id)")
        which.add_argument("--all", action="store_true")
        command.add_argument("--dry-run", action="store_true")
    args = parser.parse_args(argv)
    for name in ("job", "message_id", "all", "dry_run"):
        args.__dict__.setdefault(name, None if name in ("job", "message_id") else False)
    return args


if __name__ == "__main__":
    sys.exit(asyncio.run(run(parse_args())))
