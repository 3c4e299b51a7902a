"""JSON Schema validation that treats a user's schema as data: it fetches nothing and runs no backtracking regex.

The API (checking a job's schema and examples) and the worker (judging every record) validate through here, so a
schema can neither make a server open a URL (`"$ref": "http://..."`, `"$dynamicRef"`) nor stall it with a pattern
like `^(a+)+$`: every pattern is run by RE2, in time linear in the text.
"""

from functools import lru_cache
from typing import Any

import jsonschema._keywords
import jsonschema._legacy_keywords
import jsonschema._utils
import re2
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError, best_match
from jsonschema.protocols import Validator
from jsonschema.validators import extend, validator_for
from referencing import Registry
from referencing.exceptions import NoSuchResource, Unresolvable

__all__ = ["NO_RETRIEVAL", "SAFE_FORMATS", "compiled_pattern", "first_violation", "re2_error", "safe_validator",
           "schema_error"]

_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False  # a user's bad pattern is a 422, not a line on the server's stderr


def _retrieve_nothing(uri: str):
    raise NoSuchResource(ref=uri)


# Only the schema itself (and the JSON Schema meta-schemas jsonschema ships) can be referred to; any other URI is
# unresolvable rather than fetched.
NO_RETRIEVAL: Registry = Registry(retrieve=_retrieve_nothing)


@lru_cache(maxsize=512)
def compiled_pattern(pattern: str) -> re2._Regexp:
    """The pattern compiled by RE2, once; raises re2.error for one RE2 cannot run (backreference, look-around)."""
    return re2.compile(pattern, _RE2_OPTIONS)


def re2_error(exc: re2.error) -> str:
    reason = exc.args[0] if exc.args else ""
    return reason.decode(errors="replace") if isinstance(reason, bytes) else str(reason)


def _search(pattern: str, text: str) -> bool:
    return compiled_pattern(pattern).search(text) is not None


class _Re2Search:
    """Stands in for `re` in the jsonschema modules that search a schema's patterns (they only call `re.search`).
    Keyword overrides cannot reach everything: `additionalProperties` and `unevaluatedProperties` match
    `patternProperties` through helpers in jsonschema._utils, and a subschema whose `$schema` names another dialect
    is evaluated by jsonschema's own class for it."""

    search = staticmethod(_search)


for _module in (jsonschema._keywords, jsonschema._legacy_keywords, jsonschema._utils):
    _module.re = _Re2Search


def _unrunnable(pattern: str, exc: re2.error) -> ValidationError:
    return ValidationError(f"pattern {pattern!r} cannot be run by RE2 ({re2_error(exc)})")


def _pattern(validator: Validator, pattern: str, instance: Any, schema: dict[str, Any]):
    if not validator.is_type(instance, "string"):
        return
    try:
        found = _search(pattern, instance)
    except re2.error as exc:
        yield _unrunnable(pattern, exc)
        return
    if not found:
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _pattern_properties(validator: Validator, patterns: dict[str, Any], instance: Any, schema: dict[str, Any]):
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in patterns.items():
        try:
            matching = [key for key in instance if _search(pattern, key)]
        except re2.error as exc:
            yield _unrunnable(pattern, exc)
            continue
        for key in matching:
            yield from validator.descend(instance[key], subschema, path=key, schema_path=pattern)


def _is_re2_regex(instance: object) -> bool:
    if isinstance(instance, str):
        compiled_pattern(instance)
    return True


# jsonschema's own formats, except that `format: regex` means "a pattern RE2 can run".
SAFE_FORMATS = FormatChecker()
SAFE_FORMATS.checks("regex", raises=re2.error)(_is_re2_regex)


@lru_cache(maxsize=None)
def _safe_class(base: type[Validator]) -> type[Validator]:
    return extend(base, {"pattern": _pattern, "patternProperties": _pattern_properties})


def safe_validator(schema: dict[str, Any] | bool) -> Validator:
    """A validator for the schema's dialect (2020-12 unless its `$schema` names another) that resolves only
    references inside the schema and runs patterns with RE2."""
    cls = _safe_class(validator_for(schema, default=Draft202012Validator))
    return cls(schema, registry=NO_RETRIEVAL, format_checker=SAFE_FORMATS)


def schema_error(schema: dict[str, Any] | bool) -> ValidationError | None:
    """Why the schema is not a valid JSON Schema of its dialect, or None: jsonschema's check_schema (the first
    error against the meta-schema), with this module's registry and formats."""
    meta_schema = validator_for(schema, default=Draft202012Validator).META_SCHEMA
    return next(iter(safe_validator(meta_schema).iter_errors(schema)), None)


def first_violation(validator: Validator, instance: Any) -> ValidationError | None:
    """The most relevant reason the instance does not match, or None. A schema that cannot be evaluated (it refers
    to what it does not hold, its references loop, a pattern RE2 cannot run) is a reason too, never an exception."""
    try:
        return best_match(validator.iter_errors(instance))
    except Unresolvable as exc:
        return ValidationError(f"the schema refers to what it does not hold ({exc}); references must point inside it")
    except RecursionError:
        return ValidationError("the schema's references loop (or nest) too deeply to evaluate")
    except re2.error as exc:
        return ValidationError(f"the schema has a pattern RE2 cannot run ({re2_error(exc)})")
