"""A provider for users who scale out: any OpenAI-compatible server with guided JSON (vLLM, llama.cpp server).

It has the local Engine's interface. A "prompt" here is the chat messages as JSON text, and the schema goes to the
server as `response_format: json_schema`; every record is still validated by the worker afterwards.
"""

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from services.schema_rules.constraints import constrained_schema, estimate_max_tokens
from services.worker.engine import Completion, ModelIdentity, sampling_options
from services.worker.settings import WorkerSettings


class HttpEngine:
    def __init__(self, settings: WorkerSettings) -> None:
        self.settings = settings
        headers = {"Authorization": f"Bearer {settings.openai_api_key}"} if settings.openai_api_key else {}
        self.http = httpx.Client(base_url=settings.openai_base_url, headers=headers, timeout=settings.openai_timeout_s)
        self.identity = ModelIdentity(model_id=settings.model_id, weights_sha256=f"remote:{settings.openai_base_url}",
                                      tokenizer_sha256="remote", versions={"httpx": httpx.__version__})

    def chat_prompt(self, system: str, user: str) -> str:
        return json.dumps([{"role": "system", "content": system}, {"role": "user", "content": user}])

    def max_new_tokens(self, schema: dict[str, Any]) -> int:
        estimate = estimate_max_tokens(schema, self.settings.default_max_string_length)
        return max(32, min(self.settings.max_new_tokens, estimate))

    def request(self, schema: dict[str, Any], prompt: str, seed: int) -> dict[str, Any]:
        tight = constrained_schema(schema, self.settings.default_max_string_length)
        tight.pop("x-guidance", None)
        return {
            "model": self.settings.model_id,
            "messages": json.loads(prompt),
            "max_tokens": self.max_new_tokens(schema),
            "temperature": self.settings.temperature,
            **remote_sampling(self.settings),
            "seed": seed,
            "response_format": {"type": "json_schema", "json_schema": {"name": "record", "schema": tight}},
        }

    def complete(self, body: dict[str, Any]) -> Completion:
        response = self.http.post("/v1/chat/completions", json=body)
        response.raise_for_status()
        payload = response.json()
        usage = payload.get("usage") or {}
        return Completion(text=payload["choices"][0]["message"]["content"] or "",
                          prompt_tokens=usage.get("prompt_tokens", 0),
                          completion_tokens=usage.get("completion_tokens", 0),
                          latency_ms=round(response.elapsed.total_seconds() * 1000, 1))

    def generate(self, schema: dict[str, Any], prompts: list[str], seed: int) -> list[Completion]:
        """Blocking; the batch's requests run concurrently, each with its own seed derived from the batch seed."""
        bodies = [self.request(schema, prompt, (seed + i) % 2**63) for i, prompt in enumerate(prompts)]
        with ThreadPoolExecutor(max_workers=max(1, len(bodies))) as pool:
            return list(pool.map(self.complete, bodies))


def remote_sampling(settings: WorkerSettings) -> dict[str, float]:
    """top_p, min_p and repetition_penalty, each only when it changes decoding: top_p is OpenAI's own; min_p and
    repetition_penalty are the extra parameters vLLM and llama.cpp's server accept (a server that accepts neither
    should get profiles that leave them at their defaults)."""
    options = sampling_options(settings)
    return {name: options[name] for name in ("top_p", "min_p", "repetition_penalty") if name in options}


def create_engine(settings: WorkerSettings):
    """The provider the settings name: the local Transformers model (default) or an OpenAI-compatible server."""
    if settings.provider == "openai":
        return HttpEngine(settings)
    from services.worker.engine import Engine

    return Engine(settings)
