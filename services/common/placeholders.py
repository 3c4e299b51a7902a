"""`{name}` placeholders in a user's text (a job's instructions, a field's `description`) and in the prompt template,
filled per record. The API checks a user's text at submission; the worker fills it.

Only a plain name is a placeholder, and `{{` / `}}` are literal braces. Nothing is evaluated: unlike `str.format`,
no attribute access (`{a.b}`), indexing (`{a[0]}`), conversion (`{a!r}`) or format spec (`{a:>9}`), so a user's text
can reach nothing but the values it is given. The text is read once, left to right: a filled-in value is never read
as a template again.
"""

import json
import re
from collections.abc import Iterator
from typing import Any

_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_NOT_PLAIN = re.compile(r"[.\[\]!:]")


def pieces(text: str) -> Iterator[tuple[str, str]]:
    """("text", literal) | ("name", placeholder) | ("stray", a lone brace or a placeholder that is not a plain
    name), in order."""
    end = 0
    for match in _TOKEN.finditer(text):
        if match.start() > end:
            yield "text", text[end:match.start()]
        token, end = match.group(0), match.end()
        if token in ("{{", "}}"):
            yield "text", token[0]
        elif match.group(1) is not None and match.group(1) and not _NOT_PLAIN.search(match.group(1)):
            yield "name", match.group(1)
        else:
            yield "stray", token
    if end < len(text):
        yield "text", text[end:]


def problem(text: str, names: set[str], where: str) -> str | None:
    """Why `text` cannot be filled from fields `names` (a message naming the placeholder), or None."""
    for kind, piece in pieces(text):
        if kind == "stray" and len(piece) == 1:
            return (f"{where} has a lone {piece!r}: write {piece * 2!r} for a literal brace, or {{field}} for a "
                    "sampled field's value")
        if kind == "stray":
            return (f"{where}: placeholder {piece} is not a plain field name; only {{field}} is filled in (no "
                    "attribute, index, conversion or format syntax); write {{{{ and }}}} for literal braces")
        if kind == "name" and piece not in names:
            known = ", ".join(sorted(names)) or "none: this schema samples no field"
            return (f"{where}: placeholder {{{piece}}} names no sampled top-level field (fields with an "
                    f"x-sdg-sampler: {known})")
    return None


def as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def render(text: str, values: dict[str, Any]) -> str:
    """`text` with each placeholder replaced by its value (strings as they are, anything else as JSON). A
    placeholder without a value, or a stray brace, is kept as written: the API refused those at submission, so
    only a job from before placeholders existed can have them."""
    out = []
    for kind, piece in pieces(text):
        if kind == "name" and piece in values:
            out.append(as_text(values[piece]))
        else:
            out.append("{" + piece + "}" if kind == "name" else piece)
    return "".join(out)
