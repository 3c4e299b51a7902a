"""Regenerate a record from its provenance: the same job spec, batch, seed and model give the same bytes."""

from typing import Any

from events.models import JobSpec, Provenance
from services.worker.engine import Engine
from services.worker.job_run import Plan


class ProvenanceMismatch(Exception):
    pass


def reproduce(engine: Engine, spec: JobSpec, provenance: Provenance) -> dict[str, Any]:
    """The record at `provenance.position` of its batch, decoded again. Refuses a different model or template."""
    identity = engine.identity
    if (identity.weights_sha256, engine.settings.backend) != (provenance.weights_sha256, provenance.backend):
        raise ProvenanceMismatch("this worker's model weights or backend differ from the record's provenance")
    plan = Plan(spec, engine)
    attempts = {int(index): used for index, used in provenance.sample_attempts.items()}
    completions = plan.decode(provenance.batch, provenance.seed, attempts)
    index = provenance.batch[provenance.position]
    verdict = plan.verdict(completions[provenance.position], plan.sampled(index, attempts.get(index)))
    if not verdict.valid:
        raise ProvenanceMismatch(f"the regenerated record {index} is not valid: {verdict.reason}")
    return verdict.record
