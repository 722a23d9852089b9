#!/usr/bin/env bash
# Times the whole nightly pipeline at production size on local Spark (docs/benchmarks/pipeline.md).
#
#   submit-scripts/pipeline-benchmark.sh [--data DIR] [--out DIR] [--ratings N] [--set k=v]...
#
# Generates planted ratings of MovieLens-25M's size into DIR (default /tmp/cfpipe-25m: 162k users,
# 59k items, 25M ratings) unless DIR/ratings is already there, runs the pipeline on them with the
# defaults (plus any --set), and prints the wall time, the peak memory, each stage's seconds from
# metrics.json, and the lines in which evaluate and analyze say where their time went. Needs about
# 18 GiB of memory and 15 minutes on a 2-core machine. Not part of the test suite.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data=/tmp/cfpipe-25m
out=/tmp/cfpipe-25m-out
ratings=25000000
sets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --data) data="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --ratings) ratings="$2"; shift 2 ;;
    --set) sets+=(--set "$2"); shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
export CFPIPE_DRIVER_MEMORY="${CFPIPE_DRIVER_MEMORY:-16g}"
if [ ! -d "$data/ratings" ]; then
  "$root/submit-scripts/run-local.sh" generate --output "$data" --users 162000 --items 59000 \
    --ratings "$ratings" >&2
fi
rm -rf "$out"
log="$out.log"
/usr/bin/time -v -o "$out.time" "$root/submit-scripts/run-local.sh" pipeline \
  --ratings "$data/ratings" --output "$out" --run-date 2024-01-01 "${sets[@]}" > "$log" 2>&1
echo "date: $(date -u +%F), commit $(git -C "$root" rev-parse --short HEAD), $(nproc) cores"
grep -E "Elapsed \(wall|Maximum resident" "$out.time" | sed 's/^\s*/  /'
python3 "$root/submit-scripts/stage-table.py" "$out/run_date=2024-01-01/model=dot-bias/metrics.json" \
  "$data/oracle.json"
grep -E "analyze: |evaluate: |engine|CfPipe: stage analyze done" "$log" | grep -v "^ " | cut -c1-240
