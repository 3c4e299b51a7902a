"""Where RabbitMQ and Elasticsearch are and how to sign in to them: the one default every service, script and test
uses when its own setting (e.g. SDG_WORKER_ES_URL) is not given.

`SDG_ES_URL` and `SDG_AMQP_URL` win. Otherwise the local servers that infra/ installs are used with the passwords
it generated under `$SDG_HOME/secrets` (readable by their owner only, never in the repository): Elasticsearch's
`sdg` user, and RabbitMQ's `sdg` user on the `sdg` vhost. Without those files (servers not installed by infra/),
the URLs carry no credentials.
"""

import os
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

ES_SECRET, AMQP_SECRET = "es-sdg", "rabbitmq-sdg"
SERVICE_USER, VHOST = "sdg", "sdg"


def secrets_dir() -> Path:
    home = Path(os.environ.get("SDG_HOME", "/opt/sdg"))
    return Path(os.environ.get("SDG_SECRETS", home / "secrets"))


def secret(name: str) -> str | None:
    try:
        return (secrets_dir() / name).read_text().strip() or None
    except OSError:
        return None


def es_url() -> str:
    if url := os.environ.get("SDG_ES_URL"):
        return url
    port = os.environ.get("ES_PORT", "9200")
    password = secret(ES_SECRET)
    return f"http://{SERVICE_USER}:{quote(password, safe='')}@127.0.0.1:{port}" if password else \
        f"http://127.0.0.1:{port}"


def amqp_url() -> str:
    if url := os.environ.get("SDG_AMQP_URL"):
        return url
    password = secret(AMQP_SECRET)
    return f"amqp://{SERVICE_USER}:{quote(password, safe='')}@127.0.0.1:5672/{VHOST}" if password else \
        "amqp://guest:guest@127.0.0.1:5672/"


def for_lapin(amqp_url: str) -> str:
    """The URL as rust_ingest (lapin) must get it: lapin reads an empty vhost path as the vhost "", not "/", so a
    URL without a vhost names "/" (%2f)."""
    return amqp_url.rstrip("/") + "/%2f" if amqp_url.rstrip("/").count("/") == 2 else amqp_url


def redacted(url: str) -> str:
    """The URL with its password replaced, for logs and error messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))
