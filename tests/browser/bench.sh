#!/usr/bin/env bash
# The viewer at scale: a 100,000-conversation run (the quickstart's config with dialogue.sessions=100000, sim, no
# network), its viewer, and the time to open it and to filter it in headless Chromium (tests/browser/bench.py).
# BENCH_DIR keeps the run between invocations (default: target/bench-view); MUSEGEN_BIN picks the binary.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${MUSEGEN_BIN:-target/release/musegen}
dir=${BENCH_DIR:-target/bench-view}
if [ ! -x "$bin" ]; then cargo build --release --locked --quiet; fi
if [ ! -f "$dir/conversations.jsonl" ] || [ "$(wc -l < "$dir/conversations.jsonl")" -lt 100000 ]; then
  "$bin" --quiet --config examples/quickstart.toml --set dialogue.sessions=100000 --out "$dir" run
fi
start=$(date +%s.%N)
"$bin" view "$dir"
echo "musegen view: $(echo "$(date +%s.%N) - $start" | bc) s"
python3 tests/browser/bench.py --run "$dir"
