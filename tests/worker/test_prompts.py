"""The prompt template is a file: provenance names the sha256 of its bytes (so reformatting code changes no record),
and a job's instructions and field descriptions are filled with each record's sampled values."""

import hashlib
import shutil

from events.models import JobSpec
from services.common.placeholders import render
from services.worker.prompts import TEMPLATE_FILE, PromptTemplate, record_prompt, template

SCHEMA = {
    "type": "object",
    "properties": {
        "category": {"type": "string", "x-sdg-sampler": {"kind": "choice", "values": ["books", "games"]}},
        "stars": {"type": "integer", "x-sdg-sampler": {"kind": "integer", "min": 1, "max": 5}},
        "body": {"type": "string", "description": "a review of {category} rated {stars}"},
    },
}


def test_the_template_hash_is_the_sha256_of_the_file_and_nothing_else(tmp_path):
    assert template().sha256 == hashlib.sha256(TEMPLATE_FILE.read_bytes()).hexdigest()
    copy = tmp_path / "elsewhere.txt"
    shutil.copy(TEMPLATE_FILE, copy)
    assert PromptTemplate.read(copy).sha256 == template().sha256, "the same file gives the same hash"


def test_a_changed_wording_changes_the_template_hash(tmp_path):
    changed = tmp_path / "changed.txt"
    changed.write_bytes(TEMPLATE_FILE.read_bytes().replace(b"make it different", b"make it unlike"))
    assert PromptTemplate.read(changed).sha256 != template().sha256


def test_instructions_and_descriptions_are_filled_with_the_records_sampled_values():
    spec = JobSpec(schema=SCHEMA, count=2, instructions="A review of a {category} product, {{not}} a {stars}.")
    prompt = record_prompt(spec, 0, {"category": "books", "stars": 4})
    assert "A review of a books product, {not} a 4." in prompt
    assert "- body: a review of books rated 4" in prompt
    assert "{category}" not in record_prompt(spec, 1, {"category": "games", "stars": 1})


def test_paragraphs_without_a_value_are_left_out_and_examples_are_listed_once_each():
    spec = JobSpec(schema={"type": "object", "title": "person"}, count=3, examples=[{"a": 1}, {"a": 2}])
    prompt = record_prompt(spec, 2)
    assert prompt.startswith("Create one person record.\n\n")
    assert prompt.count("Example: ") == 2 and "already set" not in prompt
    assert prompt.endswith("This is record 3 of 3; make it different from the others.")


def test_filling_evaluates_nothing_and_reads_no_value_as_a_template():
    values = {"name": "{other}", "other": "x"}
    assert render("{name} {name.__class__} {name[0]} {name!r} {missing}", values) == (
        "{other} {name.__class__} {name[0]} {name!r} {missing}")
    assert render("{{name}} {{{name}}}", values) == "{name} {{other}}"
