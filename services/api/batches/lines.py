"""The lines of an uploaded batch file (OpenAI Batch API format), checked one by one.

Every mistake names its line (1-based, as an editor shows it) and what to change; a file with mistakes is refused
whole, so a batch never runs half of what was meant.
"""

import json
import math
from typing import Any, Literal

from fastapi import HTTPException
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from events.batches import BatchRequest, ChatMessage, ResponseFormat
from services.api.jobs.schema_check import check_job_schema
from services.common.canonical import canonical_json, canonical_sha256

MAX_ERRORS_SHOWN = 10
ENDPOINT = "/v1/chat/completions"


class TextPart(BaseModel):
    type: Literal["text"]
    text: str


class LineMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["system", "developer", "user", "assistant"]
    content: str | list[TextPart]
    name: str | None = None


class JsonSchemaFormat(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    schema_: dict[str, Any] = Field(alias="schema")
    description: str | None = None
    strict: bool | None = None


class LineResponseFormat(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["text", "json_object", "json_schema"]
    json_schema: JsonSchemaFormat | None = None

    @model_validator(mode="after")
    def _schema_iff_json_schema(self):
        if (self.type == "json_schema") != (self.json_schema is not None):
            raise ValueError('`json_schema` is required with type "json_schema", and only with it')
        return self


class LineBody(BaseModel):
    """The chat completion parameters this service honours; others are refused rather than silently ignored."""

    model_config = ConfigDict(extra="forbid")

    messages: list[LineMessage] = Field(min_length=1)
    model: str | None = Field(None, max_length=256)
    max_tokens: int | None = Field(None, ge=1)
    max_completion_tokens: int | None = Field(None, ge=1)
    temperature: float | None = Field(None, ge=0, le=2)
    seed: int | None = Field(None, ge=-(2**63), le=2**63 - 1)
    response_format: LineResponseFormat | None = None
    n: Literal[1] | None = None
    stream: Literal[False] | None = None
    user: str | None = None
    store: bool | None = None
    metadata: dict[str, str] | None = None


class BatchLine(BaseModel):
    model_config = ConfigDict(extra="forbid")

    custom_id: str = Field(min_length=1, max_length=512)
    method: Literal["POST"]
    url: Literal["/v1/chat/completions"]
    body: LineBody


def cache_key(messages: list[ChatMessage], response_format: ResponseFormat, model: str | None,
              max_tokens: int | None, temperature: float | None, seed: int | None) -> str:
    """Identical requests share a key: the same messages, response format, model, decoding parameters and seed.
    (The worker adds its own model: an answer is reused only by a worker running the model that wrote it.)"""
    parts = {"messages": [m.model_dump() for m in messages],
             "response_format": response_format.model_dump(by_alias=True, exclude_none=True),
             "model": model, "max_tokens": max_tokens, "temperature": temperature, "seed": seed}
    return canonical_sha256(parts)


def to_chat_message(message: LineMessage) -> ChatMessage:
    content = message.content if isinstance(message.content, str) else "\n".join(p.text for p in message.content)
    return ChatMessage(role="system" if message.role == "developer" else message.role, content=content)


def to_response_format(given: LineResponseFormat | None) -> ResponseFormat:
    if given is None:
        return ResponseFormat()
    if given.json_schema is None:
        return ResponseFormat(type=given.type)
    js = given.json_schema
    return ResponseFormat(type="json_schema", name=js.name, schema=js.schema_, strict=js.strict)


def to_request(line: BatchLine, position: int) -> BatchRequest:
    body = line.body
    messages = [to_chat_message(m) for m in body.messages]
    response_format = to_response_format(body.response_format)
    max_tokens = body.max_completion_tokens or body.max_tokens
    key = cache_key(messages, response_format, body.model, max_tokens, body.temperature, body.seed)
    return BatchRequest(custom_id=line.custom_id, line=position, messages=messages, model=body.model,
                        max_tokens=max_tokens, temperature=body.temperature, seed=body.seed,
                        response_format=response_format, cache_key=key)


def describe(error: dict[str, Any]) -> str:
    where = ".".join(str(part) for part in error["loc"]) or "(line)"
    if error["type"] == "extra_forbidden":
        return f"{where} is not supported here; remove it"
    if error["type"] == "missing":
        return f"{where} is required"
    return f"{where}: {error['msg']}"


class LineError(ValueError):
    pass


class SchemaChecks:
    """Compiling a schema for the engine is slow: each distinct schema of a file is checked once."""

    def __init__(self) -> None:
        self._verdicts: dict[str, str | None] = {}

    def problem(self, schema: dict[str, Any]) -> str | None:
        key = canonical_json(schema)
        if key not in self._verdicts:
            try:
                check_job_schema(schema, [])
                self._verdicts[key] = None
            except HTTPException as exc:
                self._verdicts[key] = str(exc.detail).replace("records are JSON objects", "answers are JSON objects")
            except RecursionError:
                self._verdicts[key] = "the schema is nested too deeply"
        return self._verdicts[key]


def refuse_constant(name: str) -> Any:
    raise LineError(f"{name} is not a JSON number; write a finite number")


def finite(text: str) -> float:
    if math.isinf(value := float(text)):
        raise LineError(f"{text} is too large for a number")
    return value


def parse_json(text: str) -> Any:
    try:
        raw = json.loads(text, parse_constant=refuse_constant, parse_float=finite)
    except json.JSONDecodeError as exc:
        message = f"not valid JSON ({exc.msg} at column {exc.colno}); each line must be one JSON object"
        raise LineError(message) from None
    except RecursionError:
        raise LineError("nested too deeply to read") from None
    try:
        json.dumps(raw, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        raise LineError("contains a \\u escape of half a surrogate pair, which is not a character") from None
    return raw


def parse_line(text: str, position: int, schemas: SchemaChecks) -> BatchRequest:
    raw = parse_json(text)
    try:
        line = BatchLine.model_validate(raw)
    except ValidationError as exc:
        raise LineError("; ".join(describe(e) for e in exc.errors()[:3])) from None
    request = to_request(line, position)
    if (schema := request.response_format.schema_) is not None and (problem := schemas.problem(schema)):
        raise LineError(f"body.response_format.json_schema.schema: {problem}")
    return request


def parse_batch(content: bytes, max_lines: int) -> list[BatchRequest]:
    """The requests of a JSONL file in order, or a 422 naming the lines that are wrong and why."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise HTTPException(status_code=422, detail=f"the file is not UTF-8 text (byte {exc.start})") from None
    requests: list[BatchRequest] = []
    errors: list[str] = []
    seen: dict[str, int] = {}
    schemas = SchemaChecks()
    for number, text_line in enumerate(text.split("\n"), start=1):  # not splitlines: U+2028 may sit in a string
        if not text_line.strip():
            continue
        if len(requests) + len(errors) >= max_lines:
            raise HTTPException(status_code=413, detail=f"the file has more than {max_lines} requests; split it "
                                                        f"into several batches")
        try:
            request = parse_line(text_line, len(requests), schemas)
            if (first := seen.setdefault(request.custom_id, number)) != number:
                raise LineError(f"custom_id {request.custom_id!r} repeats line {first}; custom_ids must be unique")
            requests.append(request)
        except LineError as exc:
            errors.append(f"line {number}: {exc}")
            if len(errors) >= MAX_ERRORS_SHOWN:
                errors.append("(stopped at the first errors)")
                break
    if errors:
        raise HTTPException(status_code=422, detail="; ".join(errors))
    if not requests:
        raise HTTPException(status_code=422, detail="the file has no requests: send one JSON request per line")
    return requests
