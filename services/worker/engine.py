"""The local model under Outlines constrained decoding: loaded once per process, one compiled generator per schema."""

import hashlib
import json
import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

from services.schema_rules.constraints import constrained_schema, estimate_max_tokens, schema_hash
from services.worker.settings import WorkerSettings


LIBRARIES = ("torch", "transformers", "outlines", "outlines_core", "llguidance", "faker")  # faker: sampled fields


def sha256_of_files(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths):
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 22):
                digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class ModelIdentity:
    """What a record's provenance says about the model that wrote it."""

    model_id: str
    weights_sha256: str
    tokenizer_sha256: str
    versions: dict[str, str]

    @classmethod
    def of(cls, model_id: str, model_dir: str) -> "ModelIdentity":
        folder = Path(model_dir)
        return cls(
            model_id=model_id,
            weights_sha256=sha256_of_files(list(folder.glob("*.safetensors")) or list(folder.glob("*.gguf"))),
            tokenizer_sha256=sha256_of_files(list(folder.glob("tokenizer*.json"))),
            versions={name: version(name) for name in LIBRARIES},
        )


@dataclass(frozen=True)
class Completion:
    text: str
    prompt_tokens: int
    completion_tokens: int
    latency_ms: float


def sampling_options(settings: WorkerSettings) -> dict[str, Any]:
    """Transformers generation arguments for the settings' temperature, top_p, min_p and repetition penalty. Only
    those that change decoding are given, so settings at their defaults decode exactly as before they existed."""
    options: dict[str, Any] = {"do_sample": False}
    if settings.temperature > 0:
        options = {"do_sample": True, "temperature": settings.temperature}
        if settings.top_p < 1:
            options["top_p"] = settings.top_p
        if settings.min_p > 0:
            options["min_p"] = settings.min_p
    if settings.repetition_penalty != 1:
        options["repetition_penalty"] = settings.repetition_penalty
    return options


def threads_for(settings: WorkerSettings) -> int:
    """Torch threads: as set, else this worker's share of the cores (SDG_WORKERS workers on this machine). Two
    workers each using every core run many times slower than one."""
    if settings.threads:
        return settings.threads
    workers = max(1, int(os.environ.get("SDG_WORKERS", "1") or 1))
    return max(1, (os.cpu_count() or 1) // workers)


class Engine:
    """Holds the model and a small LRU of compiled generators keyed by schema hash."""

    def __init__(self, settings: WorkerSettings, cache_size: int = 32) -> None:
        import outlines
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        torch.set_num_threads(threads_for(settings))
        self.settings = settings
        self.tokenizer = AutoTokenizer.from_pretrained(settings.model_dir)
        hf_model = AutoModelForCausalLM.from_pretrained(settings.model_dir, dtype=getattr(torch, settings.dtype))
        hf_model.eval()
        self.model = outlines.from_transformers(hf_model, self.tokenizer)
        self.identity = ModelIdentity.of(settings.model_id, settings.model_dir)
        self._generators: OrderedDict[str, Any] = OrderedDict()
        self._text_generator: Any = None
        self._cache_size = cache_size
        self._lock = threading.Lock()  # one generation at a time: torch's RNG and threads are process-wide

    def chat_prompt(self, system: str, user: str) -> str:
        messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
        return self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)

    def generator(self, schema: dict[str, Any]) -> Any:
        import outlines
        from outlines.types import JsonSchema

        # Views of this engine with other profile settings share the cache: what shapes a generator is in its key.
        key = f"{schema_hash(schema)}/{self.settings.backend}/{self.settings.default_max_string_length}"
        if key in self._generators:
            self._generators.move_to_end(key)
            return self._generators[key]
        tight = constrained_schema(schema, self.settings.default_max_string_length)
        generator = outlines.Generator(self.model, JsonSchema(json.dumps(tight)), backend=self.settings.backend)
        self._generators[key] = generator
        if len(self._generators) > self._cache_size:
            self._generators.popitem(last=False)
        return generator

    def max_new_tokens(self, schema: dict[str, Any]) -> int:
        estimate = estimate_max_tokens(schema, self.settings.default_max_string_length)
        return max(32, min(self.settings.max_new_tokens, estimate))

    def generate(self, schema: dict[str, Any], prompts: list[str], seed: int) -> list[Completion]:
        """Blocking: call it from a thread. Same prompts and seed give the same completions."""
        import torch

        sampling = sampling_options(self.settings)
        with self._lock:
            generator = self.generator(schema)
            torch.manual_seed(seed)
            started = time.perf_counter()
            texts = generator.batch(prompts, max_new_tokens=self.max_new_tokens(schema), **sampling)
            elapsed_ms = (time.perf_counter() - started) * 1000 / max(1, len(prompts))
        return [self._completion(p, t, elapsed_ms) for p, t in zip(prompts, texts, strict=True)]

    def chat(self, conversations: list[list[dict[str, str]]], seed: int, max_new_tokens: int, temperature: float,
             schema: dict[str, Any] | None = None) -> list[Completion]:
        """Blocking: chat requests decoded together, as JSON matching `schema` or as free text when it is None.
        Temperature 0 decodes greedily. The same conversations, settings and seed give the same completions."""
        import outlines
        import torch

        prompts = [self.tokenizer.apply_chat_template(c, tokenize=False, add_generation_prompt=True)
                   for c in conversations]
        sampling = {"do_sample": True, "temperature": temperature} if temperature > 0 else {"do_sample": False}
        with self._lock:
            if schema is not None:
                generator = self.generator(schema)
            else:
                generator = self._text_generator = self._text_generator or outlines.Generator(self.model)
            torch.manual_seed(seed)
            started = time.perf_counter()
            texts = generator.batch(prompts, max_new_tokens=max_new_tokens, **sampling)
            elapsed_ms = (time.perf_counter() - started) * 1000 / max(1, len(prompts))
        return [self._completion(p, t, elapsed_ms) for p, t in zip(prompts, texts, strict=True)]

    def _completion(self, prompt: str, text: str, latency_ms: float) -> Completion:
        return Completion(
            text=text,
            prompt_tokens=len(self.tokenizer(prompt)["input_ids"]),
            completion_tokens=len(self.tokenizer(text)["input_ids"]),
            latency_ms=round(latency_ms, 1),
        )
