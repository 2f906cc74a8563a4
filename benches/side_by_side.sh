#!/usr/bin/env bash
# The sim dialogue benchmark of two commits side by side: builds `benches/dialogue_scale.rs` at BASE (in a scratch
# worktree) and at the working tree, then runs them alternately (A B A B …) so that load on the machine falls on
# both alike, and prints each run and the median conversations per second of each, with their ratio.
#
#   bash benches/side_by_side.sh BASE [ROUNDS]        # e.g. bash benches/side_by_side.sh c5d76e2 5
#
# BASE is a commit, or the path of a checkout of it (whose `target/` may already hold the release build).
#
# Sizes come from MUSEGEN_BENCH_ITEMS, MUSEGEN_BENCH_PROFILES and MUSEGEN_BENCH_SESSIONS (defaults here: 20,000
# items, 20,000 profiles, 200,000 conversations, ~30 s a run on 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:?usage: side_by_side.sh BASE [ROUNDS]}
rounds=${2:-5}
export MUSEGEN_BENCH_ITEMS=${MUSEGEN_BENCH_ITEMS:-20000}
export MUSEGEN_BENCH_PROFILES=${MUSEGEN_BENCH_PROFILES:-20000}
export MUSEGEN_BENCH_SESSIONS=${MUSEGEN_BENCH_SESSIONS:-200000}
scratch=$(mktemp -d)
trap 'git worktree remove --force "$scratch/base" >/dev/null 2>&1 || true; rm -rf "$scratch"' EXIT
if [ -d "$base" ]; then
  base_dir=$(cd "$base" && pwd)
else
  git worktree add --detach -q "$scratch/base" "$base"
  base_dir="$scratch/base"
  # The base builds into its own target folder (a copy of this one's when there is one, to save time).
  if [ -d target ]; then cp -r target "$base_dir/target"; fi
fi
bench_bin() { # the dialogue_scale bench executable cargo builds in $1
  (cd "$1" && cargo bench --locked --bench dialogue_scale --no-run --message-format=json 2>/dev/null) |
    python3 -c 'import json,sys
for l in sys.stdin:
    m=json.loads(l)
    if m.get("reason")=="compiler-artifact" and m["target"]["name"]=="dialogue_scale" and m.get("executable"): print(m["executable"])' | tail -1
}
old=$(bench_bin "$base_dir")
new=$(bench_bin .)
[ -x "$old" ] && [ -x "$new" ] || { echo "could not build the benchmark" >&2; exit 1; }
rate() { "$1" | sed -n 's/.*(\([0-9]*\)\/s).*/\1/p' | head -1; }
olds=(); news=()
for i in $(seq "$rounds"); do
  o=$(rate "$old"); n=$(rate "$new")
  echo "round $i: base $o/s, this tree $n/s"
  olds+=("$o"); news+=("$n")
done
python3 - "${olds[*]}" "${news[*]}" <<'PY'
import statistics, sys
old = [float(x) for x in sys.argv[1].split()]
new = [float(x) for x in sys.argv[2].split()]
mo, mn = statistics.median(old), statistics.median(new)
print(f"median: base {mo:.0f}/s, this tree {mn:.0f}/s, ratio {mn / mo:.3f}")
PY
