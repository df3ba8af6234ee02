#!/usr/bin/env bash
# scale.sh — what a signed act costs as the ledger grows, side by side in one run: a
# ledger of 1,000 agreements beside one of LARGE (default 1,000,000), each seeded by
# `apibench seed` (two signed acts per agreement), then ROUNDS alternating rounds of
# `apibench measure` (FLOWS order flows of five signed acts from 16 portals) on each:
# acts/s, CPU per act and store bytes per act. The ledgers live in a temporary directory
# (SCALE_DIR to keep them; an existing ledger there is reused), removed on exit.
#
# Usage: test/apibench/scale.sh [BIN_DIR] [LARGE]   (make bench-scale)
set -euo pipefail

bin=${1:-bin}
large=${2:-1000000}
ROUNDS=${ROUNDS:-3}
FLOWS=${FLOWS:-2000}

if [ -n "${SCALE_DIR:-}" ]; then
  dir=$SCALE_DIR
  mkdir -p "$dir"
else
  dir=$(mktemp -d -t registry-scale.XXXXXX)
  trap 'rm -rf "$dir"' EXIT
fi

for n in 1000 "$large"; do
  if [ ! -f "$dir/$n/seeded" ]; then
    rm -rf "${dir:?}/$n"
    mkdir -p "$dir/$n"
    "$bin/apibench" seed -data "$dir/$n" -agreements "$n"
    touch "$dir/$n/seeded"
  fi
done

echo "per-act cost, $ROUNDS alternating rounds of $FLOWS order flows (5 signed acts each, 16 portals)"
for r in $(seq "$ROUNDS"); do
  for n in 1000 "$large"; do
    printf 'round %s, %8s agreements: ' "$r" "$n"
    "$bin/apibench" measure -data "$dir/$n" -flows "$FLOWS"
  done
done
