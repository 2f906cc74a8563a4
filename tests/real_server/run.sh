#!/usr/bin/env bash
# The real-server check: musegen against llama.cpp's own HTTP server and a tiny random-weight model, on 127.0.0.1.
#
#   bash tests/real_server/run.sh                 # every scenario
#   bash tests/real_server/run.sh main,replay     # some of them (names: see check.py)
#
# 1. installs the pinned xllamacpp and gguf wheels (requirements.txt) into the test venv .venv-check/, offline from
#    the wheelhouse when it has them (the pattern of tests/python/setup_venv.sh; the first run downloads them);
# 2. builds the debug binary (cargo build --quiet);
# 3. check.py: writes the tiny model (make_model.py, seeded), starts the server(s) (serve.py) and runs the
#    scenarios, asserting on musegen's files and on the server's /metrics and log; ends with `N passed, N failed`.
#
# Environment: PYTHON (3.11+), MUSEGEN_WHEELHOUSE, MUSEGEN_VENV (as setup_venv.sh), MUSEGEN_KEEP=1 keeps the work
# folder, REAL_SERVER_THREADS (server threads, default 1: one decode needs no thread barrier, which a busy machine makes slow).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cd "$repo"
start=$SECONDS
venv="${MUSEGEN_VENV:-$repo/.venv-check}"
wheels="${MUSEGEN_WHEELHOUSE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/musegen/wheels}"
python="${PYTHON:-python3}"
req="$here/requirements.txt"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1

if ! "$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
  echo "real_server: $python is not Python 3.11+ (set PYTHON)" >&2
  exit 1
fi
stamp_want="$("$python" -V 2>&1) $(sha256sum <"$req" | cut -d' ' -f1)"
stamp_file="$venv/.musegen-real-server-pins"
probe='import xllamacpp, gguf'
if [[ -f "$stamp_file" && "$(cat "$stamp_file")" == "$stamp_want" ]] && "$venv/bin/python" -c "$probe" 2>/dev/null; then
  echo "real_server: $venv already has the pinned xllamacpp and gguf"
else
  [[ -x "$venv/bin/python" ]] || "$python" -m venv "$venv"
  pip=("$venv/bin/python" -m pip --quiet)
  mkdir -p "$wheels"
  if "${pip[@]}" install --no-index --find-links "$wheels" -r "$req" 2>/dev/null; then
    echo "real_server: installed from the wheelhouse $wheels (offline)"
  else
    echo "real_server: the wheelhouse $wheels lacks some pinned wheels; downloading them (pip download)"
    "${pip[@]}" download --dest "$wheels" -r "$req"
    "${pip[@]}" install --no-index --find-links "$wheels" -r "$req"
  fi
  "$venv/bin/python" -c "$probe"
  echo "$stamp_want" >"$stamp_file"
fi

echo "real_server: cargo build"
cargo build --quiet
work="$(mktemp -d "${TMPDIR:-/tmp}/musegen-real-server.XXXXXX")"
if [[ "${MUSEGEN_KEEP:-0}" == "1" ]]; then
  echo "real_server: keeping $work"
else
  trap 'rm -rf "$work"' EXIT
fi
status=0
"$venv/bin/python" "$here/check.py" --bin "$repo/target/debug/musegen" --work "$work" \
  --threads "${REAL_SERVER_THREADS:-1}" ${1:+--only "$1"} || status=$?
echo "real_server: done in $((SECONDS - start)) s"
exit "$status"
