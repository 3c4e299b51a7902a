"""Generation benchmark: the worker's own Engine, prompts, seeds and validation, measured side by side in one process.

  constrained_vs_unconstrained  seconds per decoding step under the llguidance constraint divided by seconds per step
      with no constraint, same model, same prompts (the person schema's, batch 1), same sampling settings and exactly
      the same number of steps: each prompt is first decoded constrained to learn its length n; then, back to back in
      alternating order, it is decoded constrained again (same seed: same tokens) and unconstrained with
      min_new_tokens = max_new_tokens = n. Steps are counted by a stopping criterion, not by re-tokenising the text.
      Also given at batch 8 (steps of the whole batch; rows that finish early still ride along, as in the worker).
  records_per_s  valid person records per second at batch sizes 1, 4, 8 and 16 through Engine.generate (prompts from
      record_prompt, seeds from job_run.batch_seed), interleaved round by round so load noise hits every size alike.
  coverage  each JSONSchemaBench schema goes through the API's submission check (check_job_schema: a refusal counts
      as not covered and is listed with its 422 detail), then a one-record job as the worker runs it: the prompt of
      record 0 (schema title and fields; the schema's description as instructions), attempt k seeded by
      batch_seed(0, k), each validated, up to max_attempts_per_record attempts. A schema whose attempts are all rejected
      is "exhausted" (listed with the last reason); one that makes the engine raise is "error" (the job would fail);
      one stopped by the benchmark's per-schema time budget is "budget". To save time, attempt 1 is decoded alone and
      the remaining retries together in one batch (--retry-batch 4; 1 decodes them one at a time, exactly like a
      one-record job): same prompt, independent samples, so the chance of coverage is the same. Every emitted record
      is validated again from its bytes ("defects": must be 0, validation gates emission) and with strict checkers for
      the formats the installed jsonschema cannot check ("format_gaps": emitted records whose date-time, uri or hostname
      is malformed).
      Every attempt, raw text included, goes to --attempt-log for the rejection analysis.
  duplicate_rate  share of 1,000 valid person records (raw generation, no dedup) that exactly repeat an earlier one
      (canonical JSON), generated like a job: worker batch size, prompts by index, batch seeds, rejects retried.
  worker_rss_mb  peak RSS of this process (ru_maxrss) at the end: model loaded, every generator compiled.

--quick (under 10 minutes on 2 busy cores): 2 schemas per folder with a 30 s budget each, 200 records for the
duplicate rate, 8 records per batch size. Pass --threads 1 where other processes share the cores: torch's default
of one thread per core was 10x slower here whenever another process was busy.

The machine is shared and noisy: read the ratios, not the absolute numbers. Not a test: `just bench-generate [--quick]`.
"""

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(Path(__file__).resolve().parent)]
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from generate_coverage import FOLDERS, coverage, not_covered, summarise  # noqa: E402
from generate_speed import PERSON, constrained_vs_unconstrained, duplicates, records_per_second  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small samples, under 10 minutes")
    parser.add_argument("--folders", default=",".join(FOLDERS), help="JSONSchemaBench folders, comma-separated")
    parser.add_argument("--per-folder", type=int, help="schemas per folder, evenly spaced (default: all; quick: 2)")
    parser.add_argument("--records", type=int, help="records for the duplicate rate (default 1000; quick: 200)")
    parser.add_argument("--batch-sizes", default="1,4,8,16")
    parser.add_argument("--schema-budget-s", type=float,
                        help="no more attempts on a schema after this many seconds (300; quick: 30)")
    parser.add_argument("--threads", type=int, help="torch threads (default: SDG_WORKER_THREADS, else torch's)")
    parser.add_argument("--retry-batch", type=int, default=4,
                        help="coverage retries decoded together after a rejected first attempt (1: one at a time)")
    parser.add_argument("--only", action="append", choices=["speed", "rate", "coverage", "duplicates"])
    parser.add_argument("--attempt-log", default="/tmp/bench_generate_attempts.jsonl", help="every coverage attempt")
    parser.add_argument("--out", help="also write the JSON summary here")
    args = parser.parse_args()
    args.per_folder = args.per_folder if args.per_folder is not None else (2 if args.quick else None)
    args.records = args.records or (200 if args.quick else 1000)
    args.schema_budget_s = args.schema_budget_s or (30.0 if args.quick else 300.0)
    return args


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    args = parse_args()
    started = time.perf_counter()
    from services.worker.engine import Engine
    from services.worker.settings import WorkerSettings

    import torch

    settings = WorkerSettings() if args.threads is None else WorkerSettings(threads=args.threads)
    engine = Engine(settings)
    load = {"seconds": time.perf_counter() - started, "rss_mb": rss_mb()}
    print(f"model {settings.model_id} ({settings.dtype}, backend {settings.backend}, torch threads "
          f"{torch.get_num_threads()}, {os.cpu_count()} cpus, load average {os.getloadavg()[0]:.1f}) "
          f"loaded in {load['seconds']:.1f} s, RSS {load['rss_mb']:.0f} MB", flush=True)
    only = set(args.only or ["speed", "rate", "coverage", "duplicates"])
    out: dict = {"quick": args.quick}
    if "speed" in only:
        print("constrained vs unconstrained ...", flush=True)
        out["speed"] = [constrained_vs_unconstrained(engine, PERSON, batch=1, pairs=3 if args.quick else 12),
                        constrained_vs_unconstrained(engine, PERSON, batch=8, pairs=1 if args.quick else 4)]
    if "rate" in only:
        print("records/s by batch size ...", flush=True)
        sizes = [int(s) for s in args.batch_sizes.split(",")]
        out["rate"] = records_per_second(engine, sizes, records_per_round=8 if args.quick else 16,
                                         rounds=1 if args.quick else 3)
    if "duplicates" in only:
        print(f"duplicates over {args.records} records ...", flush=True)
        out["duplicates"] = duplicates(engine, args.records, settings.batch_size, settings.max_attempts_per_record)
    if "coverage" in only:
        folders = [f for f in args.folders.split(",") if f]
        print(f"coverage: {folders}, per folder {args.per_folder or 'all'}, budget {args.schema_budget_s:.0f} s "
              f"per schema, attempts logged to {args.attempt_log}", flush=True)
        limits = {"max_attempts": settings.max_attempts_per_record, "retry_batch": args.retry_batch,
                  "budget_s": args.schema_budget_s}
        results = coverage(engine, folders, args.per_folder, limits, Path(args.attempt_log),
                           progress=lambda line: print(line, flush=True))
        out["coverage"] = {"folders": summarise(results, folders), "not_covered": not_covered(results),
                           "defects": [r.__dict__ for r in results if r.defect],
                           "format_gaps": [{"folder": r.folder, "name": r.name, "gap": r.format_gap}
                                           for r in results if r.format_gap]}
    out["load"] = load
    out["wall_s"] = time.perf_counter() - started
    report(out, settings)
    summary = json_summary(out, settings)
    if args.out:
        Path(args.out).write_text(json.dumps({"summary": summary, "detail": out}, indent=2, default=str))
    print(json.dumps(summary, default=str))


def report(out: dict, settings) -> None:
    print()
    for row in out.get("speed", []):
        print(f"constrained/unconstrained, batch {row['batch']:>2}: {row['ratio']:.2f} "
              f"(median of {row['pairs']} pairs {row['median_pair_ratio']:.2f}; "
              f"{row['constrained_ms_per_token']:.0f} vs {row['unconstrained_ms_per_token']:.0f} ms/step, "
              f"{row['steps_per_batch']:.0f} steps per batch)")
    if rate := out.get("rate"):
        print(f"\n{'batch':>5} {'records/s':>9} {'tokens/s':>9} {'valid':>6} {'made':>5} {'seconds':>8}")
        for size, row in rate.items():
            print(f"{size:>5} {row['records_per_s']:>9.2f} {row['tokens_per_s']:>9.1f} {row['valid']:>6} "
                  f"{row['generated']:>5} {row['seconds']:>8.1f}")
    if dup := out.get("duplicates"):
        print(f"\nduplicates: {dup['exact_duplicates']} of {dup['records']} records exact "
              f"({dup['duplicate_rate']:.3f}),"
              f" same full name {dup['same_full_name_rate']:.3f}; {dup['rejected']} rejected on the way; "
              f"{dup['records_per_s']:.2f} records/s at batch {dup['batch_size']}")
    if cov := out.get("coverage"):
        print(f"\n{'folder':15} {'share':>6} {'n':>3} {'cov':>4} {'ref':>4} {'exh':>4} {'err':>4} {'bud':>4} "
              f"{'cap':>4} {'def':>4} {'fmt':>4} {'seconds':>8}")
        for folder, row in cov["folders"].items():
            share = "-" if row["share"] is None else f"{row['share']:.2f}"
            print(f"{folder:15} {share:>6} {row['schemas']:>3} {row['covered']:>4} {row['refused']:>4} "
                  f"{row['exhausted']:>4} {row['error']:>4} {row['budget']:>4} {row['hit_max_new_tokens']:>4} "
                  f"{row['defects']:>4} {row['format_gaps']:>4} {row['seconds']:>8.0f}")
        print("(cov covered, ref refused at submission, exh all attempts rejected, err engine raised, bud stopped by "
              "the time budget, cap schemas with an attempt that reached max_new_tokens, def emitted records that "
              "do not validate, fmt emitted records with a malformed date-time/uri/hostname)")
        for row in cov["not_covered"]:
            print(f"  {row['folder']}/{row['name']} {row['status']}: {(row['reason'] or '')[:160]}")
    print(f"\npeak RSS {rss_mb():.0f} MB; wall time {out['wall_s'] / 60:.1f} min "
          f"({'quick' if out['quick'] else 'full'} run; batch size {settings.batch_size}, "
          f"max_attempts_per_record {settings.max_attempts_per_record})")


def json_summary(out: dict, settings) -> dict:
    speed = out.get("speed") or [{}, {}]
    cov = out.get("coverage")
    dup = out.get("duplicates") or {}
    summary = {
        "constrained_vs_unconstrained": _round(speed[0].get("ratio")),
        "constrained_vs_unconstrained_batch8": _round(speed[1].get("ratio")),
        "records_per_s": {k: _round(v["records_per_s"]) for k, v in (out.get("rate") or {}).items()},
        "coverage": {f: _round(row["share"]) for f, row in cov["folders"].items()} if cov else {},
        "coverage_counts": {f: {k: row[k] for k in ("schemas", "covered", "refused", "exhausted", "error", "budget",
                                                    "hit_max_new_tokens", "defects", "format_gaps")}
                            for f, row in cov["folders"].items()} if cov else {},
        "refused": [{"schema": f"{r['folder']}/{r['name']}", "reason": r["reason"]}
                    for r in cov["not_covered"] if r["status"] == "refused"] if cov else [],
        "not_covered": [{"schema": f"{r['folder']}/{r['name']}", "status": r["status"],
                         "reason": (r["reason"] or "")[:200]}
                        for r in cov["not_covered"] if r["status"] != "refused"] if cov else [],
        "defects": len(cov["defects"]) if cov else None,
        "format_gaps": cov["format_gaps"] if cov else [],
        "duplicate_rate": _round(dup.get("duplicate_rate"), 4),
        "duplicate_sample": dup.get("records"),
        "worker_rss_mb": round(rss_mb()),
        "wall_s": round(out["wall_s"]),
        "quick": out["quick"],
        "torch_threads": torch_threads(),
        "settings": {"dtype": settings.dtype, "backend": settings.backend, "batch_size": settings.batch_size,
                     "temperature": settings.temperature, "threads": settings.threads,
                     "default_max_string_length": settings.default_max_string_length},
    }
    return summary


def torch_threads() -> int:
    import torch

    return torch.get_num_threads()


def _round(value, digits: int = 3):
    return None if value is None else round(value, digits)


if __name__ == "__main__":
    main()
