"""How a job's records are made (the Plan), shared by the chunk runner, regeneration and reproduction."""

import hashlib
import random
from dataclasses import dataclass
from typing import Any

from events.models import JobSpec, Provenance
from services.schema_rules.constraints import schema_hash
from services.worker.engine import Completion, Engine
from services.schema_rules.generators.slot import Context
from services.worker.prompts import example_id, record_prompt, template
from services.schema_rules.samplers import draw, field_fits, merge, model_schema, samplers_of
from services.schema_rules.unique import value_at
from services.worker.validation import Verdict, validate_output, validate_record

def record_id(job_id: str, index: int) -> str:
    return f"{job_id}-{index:06d}"


def batch_seed(job_seed: int, batch_number: int | str) -> int:
    """The sampling seed of one batch (chunk 0's batches are numbered 0, 1, ...; chunk c's "c.0", "c.1", ...)."""
    return random.Random(f"{job_seed}/{batch_number}").getrandbits(63)


@dataclass(frozen=True)
class Candidate:
    index: int
    completion: Completion
    sampled: dict[str, Any]
    provenance: Provenance


class Plan:
    """How a job's records are made: which fields are sampled, what the model is left to write, and the prompts.
    Shared by the live worker and by reproduce.py, so a record's provenance always rebuilds the same inputs."""

    def __init__(self, spec: JobSpec, engine: Engine) -> None:
        self.spec, self.engine = spec, engine
        self.samplers = samplers_of(spec.schema_, spec.auto_samplers)
        self.model_schema = model_schema(spec.schema_, set(self.samplers))
        self.context = Context(spec.locale, spec.as_of or Context.as_of)
        self.fits = field_fits(spec.schema_)

    def sampled(self, index: int, attempts: dict[str, int] | None = None) -> dict[str, Any]:
        """The record's sampled fields; `attempts` names the unique fields that were drawn again, and which attempt
        each kept (services/schema_rules/unique.py)."""
        values = draw(self.samplers, self.spec.seed, index, self.context, self.fits)
        for field, attempt in (attempts or {}).items():
            values[field] = value_at(self.samplers[field], values[field], self.spec.seed, index, field, attempt,
                                     self.context, values)
        return values

    def prompt(self, index: int, sampled: dict[str, Any] | None = None) -> str:
        sampled = self.sampled(index) if sampled is None else sampled
        return self.engine.chat_prompt(template().system, record_prompt(self.spec, index, sampled))

    def decode(self, indices: list[int], seed: int, attempts: dict[int, dict[str, int]] | None = None
               ) -> list[Completion]:
        """Blocking: the model call for one batch (`attempts`: per index, as in `sampled`)."""
        attempts = attempts or {}
        return self.decode_prompts([self.prompt(i, self.sampled(i, attempts.get(i))) for i in indices], seed)

    def decode_prompts(self, prompts: list[str], seed: int) -> list[Completion]:
        return self.engine.generate(self.model_schema, prompts, seed)

    def verdict(self, completion: Completion, sampled: dict[str, Any]) -> Verdict:
        """The record the model wrote, merged with the sampled fields, validated against the job's schema."""
        written = validate_output(completion.text, self.model_schema)
        if not written.valid:
            return written
        return validate_record(merge(self.spec.schema_, sampled, written.record), self.spec.schema_)

    def provenance(self, indices: list[int], position: int, seed: int, prompt: str,
                   attempts: dict[int, dict[str, int]] | None = None) -> Provenance:
        identity, settings = self.engine.identity, self.engine.settings
        redrawn = {str(i): used for i, used in (attempts or {}).items() if used and i in indices}
        return Provenance(
            model_id=identity.model_id, weights_sha256=identity.weights_sha256,
            tokenizer_sha256=identity.tokenizer_sha256, backend=settings.backend,
            schema_hash=schema_hash(self.spec.schema_), prompt_template=template().sha256,
            prompt_sha256=hashlib.sha256(prompt.encode()).hexdigest(),
            example_ids=[example_id(e) for e in self.spec.examples], seed=seed, batch=indices, position=position,
            max_new_tokens=self.engine.max_new_tokens(self.model_schema), temperature=settings.temperature,
            versions=identity.versions, profile=self.profile, sample_attempts=redrawn)

    @property
    def profile(self) -> str | None:
        return self.spec.profile.ref if self.spec.profile else None
