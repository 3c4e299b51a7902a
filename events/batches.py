"""Events of a prompt batch: chat completion requests in the OpenAI Batch format, answered by a worker.

A batch is a job (its id is the job id): `BatchSubmitted` opens it, one `BatchRequestCompleted` or
`BatchRequestFailed` per request follows, and the job's own `JobStarted` / `JobCompleted` / `JobFailed` /
`JobCancelled` frame it, so the job projection, progress streams and replay treat it like any job.
"""

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from events.envelope import Envelope


class ChatMessage(BaseModel):
    """One chat message, its content flattened to text (`developer` is folded into `system`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    role: Literal["system", "user", "assistant"]
    content: str


class ResponseFormat(BaseModel):
    """What the answer must be: free text, any JSON object, or JSON matching `schema`."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    type: Literal["text", "json_object", "json_schema"] = "text"
    name: str | None = None
    schema_: dict[str, Any] | None = Field(None, alias="schema", serialization_alias="schema")
    strict: bool | None = None


class BatchRequest(BaseModel):
    """One line of the uploaded file, validated and normalised."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    custom_id: str
    line: int = Field(ge=0, description="0-based position of the request in the file: its place in the output.")
    messages: list[ChatMessage] = Field(min_length=1)
    model: str | None = Field(None, description="The model the line asked for (answers name the model that ran).")
    max_tokens: int | None = Field(None, ge=1, description="max_completion_tokens or max_tokens as given.")
    temperature: float | None = Field(None, ge=0, le=2)
    seed: int | None = None
    response_format: ResponseFormat = ResponseFormat()
    cache_key: str = Field(description="sha256 of the canonical JSON of everything that decides the answer.")


class CompletionUsage(BaseModel):
    model_config = ConfigDict(frozen=True)

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


class CompletionMessage(BaseModel):
    model_config = ConfigDict(frozen=True)

    role: Literal["assistant"] = "assistant"
    content: str


class CompletionChoice(BaseModel):
    model_config = ConfigDict(frozen=True)

    index: int = 0
    message: CompletionMessage
    finish_reason: Literal["stop", "length"]


class ChatCompletion(BaseModel):
    """An answer in the OpenAI `chat.completion` shape: the body of a line of the batch output."""

    model_config = ConfigDict(frozen=True)

    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int = Field(description="Unix seconds.")
    model: str = Field(description="The model that wrote the answer.")
    choices: list[CompletionChoice] = Field(min_length=1)
    usage: CompletionUsage = CompletionUsage()


class CachedAnswer(BaseModel):
    """An earlier answer to an identical request (same cache key), found by the API at submission."""

    model_config = ConfigDict(frozen=True)

    line: int = Field(ge=0)
    source_event_id: str = Field(description="The BatchRequestCompleted that first answered it.")
    response: ChatCompletion


class RequestError(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str
    message: str


class BatchSubmitted(Envelope):
    """A user uploaded a batch of chat completion requests; `cached` holds earlier answers to identical ones."""

    routing_key: ClassVar[str] = "batch.submitted"
    type: Literal["BatchSubmitted"] = "BatchSubmitted"
    endpoint: Literal["/v1/chat/completions"] = "/v1/chat/completions"
    requests: list[BatchRequest] = Field(min_length=1)
    cached: list[CachedAnswer] = Field(default_factory=list)


class BatchRequestCompleted(Envelope):
    """One request of a batch was answered, generated now or served from the cache (`cache_hit`)."""

    routing_key: ClassVar[str] = "batch.request.completed"
    type: Literal["BatchRequestCompleted"] = "BatchRequestCompleted"
    custom_id: str
    line: int = Field(ge=0)
    cache_key: str
    cache_hit: bool
    response: ChatCompletion
    requests_completed: int = Field(description="Requests of this batch answered so far, this one included.")
    requests_cached: int = Field(description="Of those, answers served from the cache.")


class BatchRequestFailed(Envelope):
    """One request of a batch could not be answered; `error` says why."""

    routing_key: ClassVar[str] = "batch.request.failed"
    type: Literal["BatchRequestFailed"] = "BatchRequestFailed"
    custom_id: str
    line: int = Field(ge=0)
    cache_key: str
    error: RequestError
    requests_failed: int = Field(description="Requests of this batch failed so far, this one included.")


BATCH_EVENT_TYPES: tuple[type[Envelope], ...] = (BatchSubmitted, BatchRequestCompleted, BatchRequestFailed)
