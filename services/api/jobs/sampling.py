"""A job's sampling, settled at submission: its locale (asked for, named in the instructions, or en_US) and the
auto samplers it gets, which are pinned in its spec so that every worker draws the same fields the same way."""

from datetime import UTC, datetime
from typing import Any

import structlog
from fastapi import HTTPException

from services.api.jobs.schema_check import check_draws, check_job_schema
from services.common.schema_safety import safe_validator
from services.schema_rules.generators.auto import auto_declarations
from services.schema_rules.generators.locales import locale_named_in, locale_problem
from services.schema_rules.generators.person import PersonField
from services.schema_rules.generators.slot import DEFAULT_LOCALE, Context
from services.schema_rules.samplers import samplers_of, sampler_of

log = structlog.get_logger()


def job_context(locale: str | None, instructions: str) -> Context:
    """The job's locale and date; a 422 (with near matches) for a locale Faker does not have."""
    if locale is not None and (problem := locale_problem(locale)) is not None:
        raise HTTPException(status_code=422, detail=f"locale: {problem}")
    return Context(locale or locale_named_in(instructions) or DEFAULT_LOCALE, datetime.now(UTC).date())


def checked_sampling(schema: dict[str, Any], examples: list[dict[str, Any]], instructions: str, context: Context,
                     auto: bool) -> dict[str, dict[str, Any]]:
    """Checks the schema (a 422 for what is wrong) and returns the auto samplers to pin. CPU-bound: run it in a
    worker thread."""
    check_job_schema(schema, examples, context)
    return auto_samplers(schema, instructions, context) if auto else {}


def auto_samplers(schema: dict[str, Any], instructions: str, context: Context) -> dict[str, dict[str, Any]]:
    """Each automatic choice whose draws the field's own schema allows (a field with a pattern no generator meets is
    left to the model, as it would be without auto samplers)."""
    declared = samplers_of(schema)
    person = next((s for s in declared.values() if isinstance(s, PersonField)), None)
    template = {"locale": person.locale or context.locale, "min_age": person.min_age,
                "max_age": person.max_age} if person else None
    validator = safe_validator(schema)
    chosen = {}
    for name, declaration in auto_declarations(schema, instructions, context, template).items():
        try:
            check_draws(validator, schema, declared | {name: sampler_of(declaration)}, context)
        except HTTPException as refusal:
            log.info("auto sampler left out", field=name, declaration=declaration, reason=refusal.detail)
            continue
        chosen[name] = declaration
    return chosen
