"""What a submitted schema may not contain, found before anything recurses into it: each refusal names the keyword
and the JSON pointer (RFC 6901) where it sits, so the user can find it."""

import json
from collections import deque
from collections.abc import Iterator
from typing import Any

import re2

from services.common.schema_safety import compiled_pattern, re2_error

MAX_DEPTH = 64  # nested objects and arrays; validating a schema recurses about twice as deep, well within Python's
MAX_NODES = 10_000  # objects and arrays in one schema or example
REFERENCES = ("$ref", "$dynamicRef", "$recursiveRef")
DATA_KEYWORDS = ("const", "enum", "examples", "default")  # their values are instances, not schemas
NAMED_SCHEMAS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas", "dependencies")


def too_large(value: Any, what: str) -> str | None:
    """Why `value` is too deep or too big to check, or None. Iterative: it must not itself hit the recursion limit."""
    stack, count = [(value, 1)], 0
    while stack:
        node, depth = stack.pop()
        if not isinstance(node, (dict, list)):
            continue
        if depth > MAX_DEPTH:
            return (f"{what} is nested more than {MAX_DEPTH} levels deep; flatten it (a part used in several places "
                    f'can go in "$defs" once and be referred to with "$ref")')
        if (count := count + 1) > MAX_NODES:
            return f"{what} has more than {MAX_NODES} objects and arrays; send a smaller one"
        stack.extend((child, depth + 1) for child in (node.values() if isinstance(node, dict) else node))
    return None


def pointer(path: tuple[str | int, ...]) -> str:
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


def quoted(text: str, limit: int = 120) -> str:
    return json.dumps(text if len(text) <= limit else text[:limit] + "...")


def schema_objects(schema: Any) -> Iterator[tuple[dict[str, Any], tuple[str | int, ...]]]:
    """Every object of the schema that sits where a schema goes, with its path, shallowest first. Values of data
    keywords (`const`, `enum`, ...) and of `x-` extensions are instances, and are skipped."""
    queue: deque[tuple[Any, tuple[str | int, ...]]] = deque([(schema, ())])
    while queue:
        node, path = queue.popleft()
        if isinstance(node, list):
            queue.extend((item, path + (i,)) for i, item in enumerate(node))
        if not isinstance(node, dict):
            continue
        yield node, path
        for key, value in node.items():
            if key in DATA_KEYWORDS or key.startswith("x-"):
                continue
            if key in NAMED_SCHEMAS and isinstance(value, dict):
                queue.extend((sub, path + (key, name)) for name, sub in value.items())
            else:
                queue.append((value, path + (key,)))


def remote_reference(node: dict[str, Any], path: tuple[str | int, ...]) -> str | None:
    for keyword in REFERENCES:
        if isinstance(ref := node.get(keyword), str) and not ref.startswith("#"):
            return (f"{keyword} {quoted(ref)} at {pointer(path + (keyword,))} refers outside the schema; only local "
                    f'references are allowed ("#/$defs/name", "#anchor"): copy what it refers to into "$defs"')
    return None


def unrunnable_pattern(node: dict[str, Any], path: tuple[str | int, ...]) -> str | None:
    candidates = [(node["pattern"], path + ("pattern",))] if isinstance(node.get("pattern"), str) else []
    if isinstance(patterns := node.get("patternProperties"), dict):
        candidates += [(key, path + ("patternProperties", key)) for key in patterns]
    for pattern, where in candidates:
        try:
            compiled_pattern(pattern)
        except re2.error as exc:
            return (f"pattern {quoted(pattern)} at {pointer(where)} cannot be run by RE2 ({re2_error(exc)}); "
                    "patterns are matched in linear time, so backreferences and look-around are not supported: "
                    "rewrite it without them")
    return None


def unsafe_schema(schema: Any) -> str | None:
    """Why the schema cannot be accepted as it is (too deep or big, a remote reference, a pattern RE2 cannot run),
    or None."""
    if (problem := too_large(schema, "the schema")) is not None:
        return problem
    for node, path in schema_objects(schema):
        if (problem := remote_reference(node, path) or unrunnable_pattern(node, path)) is not None:
            return problem
    return None
