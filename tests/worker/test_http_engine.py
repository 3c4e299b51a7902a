"""The OpenAI-compatible provider against a real HTTP server that answers like vLLM's chat endpoint."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from services.worker.http_engine import HttpEngine, create_engine
from services.worker.settings import WorkerSettings

SCHEMA = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}


@pytest.fixture
def server():
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            received.append((self.path, self.headers.get("Authorization"), body))
            answer = {"choices": [{"message": {"content": json.dumps({"name": f"n{body['seed']}"})}}],
                      "usage": {"prompt_tokens": 11, "completion_tokens": 5}}
            data = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", received
    httpd.shutdown()


def test_each_prompt_becomes_a_guided_json_chat_request_with_its_own_seed(server):
    url, received = server
    engine = create_engine(WorkerSettings(provider="openai", openai_base_url=url, openai_api_key="k",
                                          model_id="served-model"))
    assert isinstance(engine, HttpEngine)
    prompts = [engine.chat_prompt("sys", f"user {i}") for i in range(3)]
    completions = engine.generate(SCHEMA, prompts, seed=100)
    assert [json.loads(c.text)["name"] for c in completions] == ["n100", "n101", "n102"]
    assert all(c.prompt_tokens == 11 and c.completion_tokens == 5 for c in completions)
    path, auth, body = received[0]
    assert path == "/v1/chat/completions" and auth == "Bearer k"
    assert body["model"] == "served-model" and body["messages"][0] == {"role": "system", "content": "sys"}
    schema_sent = body["response_format"]["json_schema"]["schema"]
    assert schema_sent["required"] == ["name"] and schema_sent["additionalProperties"] is False
    assert "x-guidance" not in schema_sent


def test_an_unreachable_server_surfaces_as_an_exception():
    engine = create_engine(WorkerSettings(provider="openai", openai_base_url="http://127.0.0.1:9"))
    with pytest.raises(httpx.ConnectError):
        engine.generate(SCHEMA, [engine.chat_prompt("s", "u")], seed=1)
