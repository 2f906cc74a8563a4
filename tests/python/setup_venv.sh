#!/usr/bin/env bash
# Create .venv-check/ (at the repository root) with the pinned datasets, transformers, tokenizers and trl that
# tests/python/check_exports.py runs, without torch.
#
# Idempotent: a venv whose stamp matches the pins (and whose imports work) is left as it is.
# Offline-capable: wheels come from a wheelhouse, $MUSEGEN_WHEELHOUSE (default ~/.cache/musegen/wheels, or under
# $XDG_CACHE_HOME when set).
# The install is tried from the wheelhouse alone first (--no-index); only when that fails (first run, or the
# pins changed) are the missing wheels downloaded into it with `pip download`, and the install retried from it,
# so a second run on the same machine needs no network.
#
# Environment: PYTHON (default python3, must be 3.11+), MUSEGEN_WHEELHOUSE, MUSEGEN_VENV (default .venv-check).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
venv="${MUSEGEN_VENV:-$repo/.venv-check}"
wheels="${MUSEGEN_WHEELHOUSE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/musegen/wheels}"
python="${PYTHON:-python3}"
req="$here/requirements.txt"
req_nodeps="$here/requirements-nodeps.txt"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1

if ! command -v "$python" >/dev/null 2>&1; then
  echo "setup_venv: $python not found (set PYTHON to a Python 3.11+ interpreter)" >&2
  exit 1
fi
if ! "$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
  echo "setup_venv: $python is $("$python" -V 2>&1); the pins need Python 3.11+ (set PYTHON)" >&2
  exit 1
fi

stamp_want="$("$python" -V 2>&1) $(cat "$req" "$req_nodeps" | sha256sum | cut -d' ' -f1)"
stamp_file="$venv/.musegen-pins"
probe='import datasets, transformers, tokenizers, yaml, jinja2
from trl.data_utils import is_conversational, maybe_convert_to_chatml, apply_chat_template'

if [[ -f "$stamp_file" && "$(cat "$stamp_file")" == "$stamp_want" ]] &&
  TRANSFORMERS_VERBOSITY=error "$venv/bin/python" -c "$probe" >/dev/null 2>&1; then
  echo "setup_venv: $venv already has the pinned versions"
  exit 0
fi

start=$SECONDS
if [[ ! -x "$venv/bin/python" ]]; then
  "$python" -m venv "$venv"
fi
pip=("$venv/bin/python" -m pip --quiet)
mkdir -p "$wheels"

install_offline() {
  "${pip[@]}" install --no-index --find-links "$wheels" -r "$req" &&
    "${pip[@]}" install --no-index --find-links "$wheels" --no-deps -r "$req_nodeps"
}

if install_offline 2>/dev/null; then
  echo "setup_venv: installed from the wheelhouse $wheels (offline)"
else
  echo "setup_venv: the wheelhouse $wheels lacks some pinned wheels; downloading them (pip download)"
  "${pip[@]}" download --dest "$wheels" -r "$req"
  "${pip[@]}" download --dest "$wheels" --no-deps -r "$req_nodeps"
  install_offline
  echo "setup_venv: installed from the wheelhouse $wheels (a next run needs no network)"
fi

if "$venv/bin/python" -c 'import torch' >/dev/null 2>&1; then
  echo "setup_venv: note: torch is importable in $venv (not needed by the checks)" >&2
fi
TRANSFORMERS_VERBOSITY=error "$venv/bin/python" -c "$probe"
echo "$stamp_want" >"$stamp_file"
echo "setup_venv: $venv ready in $((SECONDS - start)) s ($(TRANSFORMERS_VERBOSITY=error "$venv/bin/python" -c 'import datasets, transformers, tokenizers, trl; print(f"datasets {datasets.__version__}, transformers {transformers.__version__}, tokenizers {tokenizers.__version__}, trl {trl.__version__}")'))"
