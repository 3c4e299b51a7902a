"""Prompts for record generation, from the template file `prompt_template.txt` next to this module: the user's
instructions and examples, the fields, and per-record variation (the sampled facts, the record's number).

The file has a `[system]` and a `[user]` section. The user section is paragraphs (blank-line separated) with
`{name}` placeholders (services/common/placeholders.py); a paragraph whose placeholder has no value (no
instructions, no sampled fields) is left out, and one whose value is a list is written once per item (examples).
The instructions and each field's `description` may themselves name sampled fields (`{tier}`): they are filled with
this record's sampled values first.

Provenance records the sha256 of the file's bytes, so changing the wording changes it and reformatting this code
does not.
"""

import hashlib
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from events.models import JobSpec
from services.common.placeholders import pieces, render

TEMPLATE_FILE = Path(__file__).with_name("prompt_template.txt")
_SECTION = re.compile(r"^\[(system|user)\]\n", re.MULTILINE)


@dataclass(frozen=True)
class PromptTemplate:
    system: str
    user: str
    sha256: str  # of the file's bytes: what provenance records

    @classmethod
    def read(cls, path: Path) -> "PromptTemplate":
        raw = path.read_bytes()
        parts = _SECTION.split(raw.decode())
        sections = {name: text.strip("\n") for name, text in zip(parts[1::2], parts[2::2], strict=True)}
        return cls(system=sections["system"], user=sections["user"], sha256=hashlib.sha256(raw).hexdigest())

    def fill(self, values: dict[str, Any]) -> str:
        paragraphs = []
        for paragraph in self.user.split("\n\n"):
            names = [piece for kind, piece in pieces(paragraph) if kind == "name"]
            listed = next((n for n in names if isinstance(values.get(n), list)), None)
            for item in values[listed] if listed else [None]:
                filled = values | ({listed: item} if listed else {})
                if all(filled.get(n) not in (None, "") for n in names):
                    paragraphs.append(render(paragraph, filled))
        return "\n\n".join(paragraphs)


@cache
def template() -> PromptTemplate:
    return PromptTemplate.read(TEMPLATE_FILE)


def describe_fields(schema: dict[str, Any], sampled: dict[str, Any]) -> str:
    props = schema.get("properties", {})
    return "\n".join(f"- {name}: {render(spec.get('description') or '', sampled) or spec.get('type', 'value')}"
                     for name, spec in props.items())


def record_prompt(spec: JobSpec, index: int, fixed: dict[str, Any] | None = None) -> str:
    fixed = fixed or {}
    title = spec.schema_.get("title")
    return template().fill({
        "record": f"{title} record" if title else "record",
        "instructions": render(spec.instructions, fixed),
        "fields": describe_fields(spec.schema_, fixed),
        "example": [json.dumps(example, ensure_ascii=False) for example in spec.examples[:3]],
        "fixed": json.dumps(fixed, ensure_ascii=False) if fixed else "",
        "number": index + 1,
        "count": spec.count,
    })


def example_id(example: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(example, sort_keys=True).encode()).hexdigest()[:12]
