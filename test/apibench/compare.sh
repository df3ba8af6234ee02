#!/usr/bin/env bash
# compare.sh — the REST API's figures, side by side with a reference, in one run:
#
#   1. GET /v1/offerings/{id}: registry-api (embedded ledger, demo data) against a bare gin
#      handler serving the same JSON from memory (apibench bare), ROUNDS alternating wrk runs
#      of DURATION each from a separate process on loopback; requests/s, p50, p99, ratio;
#   2. signed acts over HTTP (apibench acts) with SUBMITTERS concurrent portals.
#
# With PROFILE_DIR set, registry-api serves its Go profiles (--pprof-listen) and the script
# saves a CPU profile of the signed-acts phase (acts.cpu.pprof) and the allocations
# (acts.allocs.pprof) there: go tool pprof -top bin/registry-api PROFILE_DIR/acts.cpu.pprof
#
# Needs wrk (Debian: apt-get install wrk). Everything it starts binds to 127.0.0.1 and is
# stopped on exit. Usage: test/apibench/compare.sh [BIN_DIR]   (make bench-api)
set -euo pipefail

bin=${1:-bin}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-32}
SUBMITTERS=${SUBMITTERS:-16}
API_PORT=${API_PORT:-18082}
BARE_PORT=${BARE_PORT:-18090}
PPROF_PORT=${PPROF_PORT:-18091}
PROFILE_DIR=${PROFILE_DIR:-}
path=/v1/offerings/digitaler-bauantrag

command -v wrk >/dev/null || { echo "compare.sh: wrk is needed (apt-get install wrk)" >&2; exit 2; }

data=$(mktemp -d -t registry-bench.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$data"
}
trap cleanup EXIT

api=http://127.0.0.1:$API_PORT
bare=http://127.0.0.1:$BARE_PORT
# The per-client act limit is lifted: every load portal comes from 127.0.0.1.
profiling=()
[ -n "$PROFILE_DIR" ] && profiling=(--pprof-listen "127.0.0.1:$PPROF_PORT") && mkdir -p "$PROFILE_DIR"
"$bin/registry-api" --data "$data" --demo --listen "127.0.0.1:$API_PORT" \
  --acts-per-second 1000000 "${profiling[@]}" >"$data/api.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do curl -sf "$api/readyz" >/dev/null && break; sleep 0.1; done
curl -sf "$api/readyz" >/dev/null || { cat "$data/api.log" >&2; exit 1; }

"$bin/apibench" bare -listen "127.0.0.1:$BARE_PORT" -from "$api" -path "$path" >"$data/bare.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do curl -sf "$bare$path" >/dev/null && break; sleep 0.1; done
curl -sf "$bare$path" >/dev/null || { cat "$data/bare.log" >&2; exit 1; }

# run URL: prints "requests/s p50 p99" of one wrk run
run() {
  wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency "$1" | awk '
    /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} /^Requests\/sec/ {rps=$2}
    END {printf "%s %s %s\n", rps, p50, p99}'
}

echo "GET $path, wrk -t2 -c$CONNECTIONS -d$DURATION --latency, $ROUNDS alternating rounds"
printf '%-6s %-26s %-26s %s\n' round "registry-api rps p50 p99" "bare gin rps p50 p99" ratio
for r in $(seq "$ROUNDS"); do
  ours=$(run "$api$path")
  ref=$(run "$bare$path")
  ratio=$(awk -v a="${ours%% *}" -v b="${ref%% *}" 'BEGIN {printf "%.2f", a/b}')
  printf '%-6s %-26s %-26s %s\n' "$r" "$ours" "$ref" "$ratio"
done

echo
if [ -n "$PROFILE_DIR" ]; then
  seconds=${DURATION%s}
  curl -sf "http://127.0.0.1:$PPROF_PORT/debug/pprof/profile?seconds=$((seconds - 2))" -o "$PROFILE_DIR/acts.cpu.pprof" &
  pids+=($!)
  profiler=$!
fi
"$bin/apibench" acts -api "$api" -token "$(cat "$data/admin-token")" -submitters "$SUBMITTERS" -duration "$DURATION"
if [ -n "$PROFILE_DIR" ]; then
  wait "$profiler"
  curl -sf "http://127.0.0.1:$PPROF_PORT/debug/pprof/allocs" -o "$PROFILE_DIR/acts.allocs.pprof"
  echo "profiles of registry-api in $PROFILE_DIR"
fi
