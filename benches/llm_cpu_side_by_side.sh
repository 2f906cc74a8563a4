#!/usr/bin/env bash
# musegen's CPU per request in a whole `generate` with both agents on a model, against the fake server at zero
# latency with no limits in force, for two musegen binaries run alternately (A B A B …) so that load on the machine
# falls on both alike. Prints each run (CPU seconds, requests, µs per request) and the medians with their ratio.
#
#   bash benches/llm_cpu_side_by_side.sh OLD_BIN NEW_BIN [ROUNDS]
#
# e.g. build a base commit's binary in a worktree (`git worktree add --detach ../base c5d76e2 && cd ../base &&
# cargo build --release`) and compare it with this tree's `target/release/musegen`. The server is NEW_BIN's
# `dev fake-llm` in a process of its own, so its CPU is not counted. MUSEGEN_BENCH_SESSIONS sets the conversations
# (2,000), MUSEGEN_BENCH_PORT the server's port (18089). The client's settings: examples/llm.toml with rpm and tpm
# out of reach, 64 requests in flight, no cache.
set -euo pipefail
cd "$(dirname "$0")/.."
old=${1:?usage: llm_cpu_side_by_side.sh OLD_BIN NEW_BIN [ROUNDS]}
new=${2:?usage: llm_cpu_side_by_side.sh OLD_BIN NEW_BIN [ROUNDS]}
rounds=${3:-5}
sessions=${MUSEGEN_BENCH_SESSIONS:-2000}
port=${MUSEGEN_BENCH_PORT:-18089}
scratch=$(mktemp -d)
"$new" dev fake-llm --port "$port" --latency-ms 0 >/dev/null &
server=$!
trap 'kill "$server" 2>/dev/null || true; rm -rf "$scratch"' EXIT
sleep 1
export OPENAI_BASE_URL="http://127.0.0.1:$port/v1" OPENAI_API_KEY=bench
sets=(--config examples/llm.toml --set limits.rpm=10000000 --set limits.tpm=2000000000
  --set limits.concurrency=64 --set limits.cache=false --set profiles.count=200 --quiet)
# Each binary sets up its own folder (catalog and profiles, with the offline agents; not timed).
for who in old new; do
  bin=${!who}
  mkdir -p "$scratch/$who"
  "$bin" catalog sample "${sets[@]}" --out "$scratch/$who" >/dev/null
  "$bin" profiles "${sets[@]}" --out "$scratch/$who" >/dev/null
done
run() { # one timed generate of binary $1 in folder $2: prints "cpu_seconds requests"
  rm -f "$2"/conversations.jsonl "$2"/conversations.manifest.json "$2"/failures.jsonl "$2"/usage.csv
  /usr/bin/time -f "%U %S" -o "$2/time" "$1" generate "${sets[@]}" --sessions "$sessions" --out "$2" >/dev/null
  python3 - "$2" <<'PY'
import csv, sys
folder = sys.argv[1]
user, system = map(float, open(f"{folder}/time").read().split()[-2:])
requests = sum(int(r["requests"]) for r in csv.DictReader(open(f"{folder}/usage.csv")))
print(f"{user + system:.2f} {requests}")
PY
}
olds=(); news=()
for i in $(seq "$rounds"); do
  read -r oc or < <(run "$old" "$scratch/old")
  read -r nc nr < <(run "$new" "$scratch/new")
  ou=$(python3 -c "print(round($oc * 1e6 / $or))"); nu=$(python3 -c "print(round($nc * 1e6 / $nr))")
  echo "round $i: old ${oc}s / $or requests = $ou µs; new ${nc}s / $nr requests = $nu µs (load $(cut -d' ' -f1 /proc/loadavg))"
  olds+=("$ou"); news+=("$nu")
done
python3 - "${olds[*]}" "${news[*]}" <<'PY'
import statistics, sys
old = [float(x) for x in sys.argv[1].split()]
new = [float(x) for x in sys.argv[2].split()]
mo, mn = statistics.median(old), statistics.median(new)
print(f"median CPU per request: old {mo:.0f} µs, new {mn:.0f} µs, ratio {mn / mo:.3f}")
PY
