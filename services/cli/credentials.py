"""Where the CLI finds its API key: `--key`, then $SDG_API_KEY, then the file `sdg keys create --save` wrote."""

import os
from pathlib import Path


def key_file() -> Path:
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "sdg" / "api-key"


def saved_key() -> str | None:
    if key := os.environ.get("SDG_API_KEY"):
        return key
    path = key_file()
    return path.read_text().strip() if path.is_file() else None


def save_key(key: str) -> Path:
    path = key_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(key + "\n")
    return path
