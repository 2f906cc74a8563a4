#!/usr/bin/env bash
# The viewer in a real browser: installs Debian's chromium (and chromium-driver) when missing, builds the debug
# binary, runs the quickstart, writes its viewer with `musegen view`, imports conversations holding markup into a
# second folder and views them, then drives headless Chromium over the DevTools pipe (tests/browser/check.py,
# standard library only). Screenshots of the main views go to docs/ when MUSEGEN_VIEW_SHOTS=1.
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v chromium >/dev/null 2>&1; then
  echo "installing Debian's chromium and chromium-driver" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium chromium-driver >/dev/null
fi
cargo build --locked --quiet
bin=target/debug/musegen
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin" --quiet run --config examples/quickstart.toml --out "$work/run" >/dev/null
"$bin" view "$work/run"
"$bin" --quiet review --in tests/browser/imported.sharegpt.jsonl --out "$work/imported" >/dev/null
"$bin" view "$work/imported"
shots=()
if [ "${MUSEGEN_VIEW_SHOTS:-0}" = 1 ]; then
  shots=(--shots docs)
fi
python3 tests/browser/check.py --run "$work/run" --imported "$work/imported" "${shots[@]}"
