"""The ingest benchmark's figures: every round of every contender, reduced to its median and spread, printed as a
table (throughput and CPU) and one JSON line."""

import json
import statistics

NAMES = {
    "rust": "(a) rust_ingest",
    "python": "(b) python aio-pika + async_streaming_bulk",
    "raw": "(c) raw _bulk, rust_ingest's actions",
    "raw_cheapest": "(d) raw _bulk, cheapest actions",
}


class IngestRounds:
    """What each contender measured, round by round, for `docs` documents."""

    def __init__(self, docs: int):
        self.docs, self.runs = docs, {}

    def add(self, key: str, result: dict) -> None:
        result = {**result, "docs_per_s": self.docs / result["seconds"],
                  "es_ms_per_1k": 1e6 * result["cpu"]["elasticsearch"] / self.docs}
        self.runs.setdefault(key, []).append(result)
        print(f"  {key}: {result['seconds']:.2f} s, {result['docs_per_s']:,.0f} docs/s, "
              f"Elasticsearch {result['es_ms_per_1k']:.0f} CPU-ms per 1,000 docs", flush=True)

    def median_run(self, key: str) -> dict:
        """The round whose docs/s is the median (the lower middle one for an even count)."""
        runs = sorted(self.runs[key], key=lambda run: run["docs_per_s"])
        return runs[(len(runs) - 1) // 2]

    def rate(self, key: str) -> float | None:
        return self.median_run(key)["docs_per_s"] if key in self.runs else None

    @property
    def count(self) -> int:
        """Rounds measured (every contender runs each round)."""
        return len(next(iter(self.runs.values()), []))

    def es_ms_per_1k(self, key: str) -> float:
        return statistics.median(run["es_ms_per_1k"] for run in self.runs[key])

    def spread(self, key: str) -> str:
        rates = [run["docs_per_s"] for run in self.runs[key]]
        return f"{min(rates) / 1000:.1f}-{max(rates) / 1000:.1f}k"


def report(rounds: IngestRounds, batch_docs: int) -> None:
    print(f"\nall contenders: {batch_docs} bulk actions per request, {rounds.docs:,} documents; median of "
          f"{rounds.count} rounds (spread: slowest-fastest); cpu = CPU seconds spent during the median round; "
          f"es ms/1k = Elasticsearch CPU-ms per 1,000 documents (median)")
    print(f"{'contender':42} {'docs/s':>7} {'spread':>11} {'es ms/1k':>8} {'cpu es':>6} {'cpu mq':>6} {'cpu self':>8} "
          f"{'idle':>5} {'rss MB':>6}  setting")
    for key in NAMES:
        if key in rounds.runs:
            row = rounds.median_run(key)
            cpu, rss = row["cpu"], f"{row['rss_mb']:.1f}" if "rss_mb" in row else "-"
            print(f"{NAMES[key]:42} {row['docs_per_s']:>7,.0f} {rounds.spread(key):>11} "
                  f"{rounds.es_ms_per_1k(key):>8.0f} {cpu['elasticsearch']:>6.1f} {cpu['rabbitmq']:>6.1f} "
                  f"{cpu['contender']:>8.1f} {cpu['idle']:>5.1f} {rss:>6}  {row['setting']}")
    index_table(rounds)
    print(json.dumps(summary(rounds)))


def index_table(rounds: IngestRounds) -> None:
    """Elasticsearch's own account of the median round (index stats of the fresh bench indices)."""
    print("\nElasticsearch's index stats, median round: indexing ms (events / records), refreshes, merges (ms)")
    for key in NAMES:
        if key in rounds.runs:
            stats = rounds.median_run(key)["index_stats"]
            events, records = stats["events"], stats["records"]
            print(f"{NAMES[key]:42} {events['index_ms']:>7,} / {records['index_ms']:>7,}   "
                  f"refreshes {events['refreshes'] + records['refreshes']:>4}   "
                  f"merges {events['merges'] + records['merges']:>3} ({events['merge_ms'] + records['merge_ms']:,})")


def summary(rounds: IngestRounds) -> dict:
    rate = {key: rounds.rate(key) for key in NAMES}
    rust = rounds.runs.get("rust")
    figures = {
        "rust_docs_per_s": rate["rust"], "python_docs_per_s": rate["python"], "raw_docs_per_s": rate["raw"],
        "raw_cheapest_docs_per_s": rate["raw_cheapest"],
        "rust_vs_python": _ratio(rate["rust"], rate["python"]),
        "rust_vs_raw": _ratio(rate["rust"], rate["raw"]),
        "rust_vs_raw_cheapest": _ratio(rate["rust"], rate["raw_cheapest"]),
        "es_cpu_ms_per_1k_docs": {key: round(rounds.es_ms_per_1k(key), 1) for key in NAMES if key in rounds.runs},
        "rust_rss_mb": max(run["rss_mb"] for run in rust) if rust else None,
        "rounds": rounds.count,
    }
    return {key: round(value, 2) if isinstance(value, float) else value for key, value in figures.items()}


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    return numerator / denominator if numerator and denominator else None
