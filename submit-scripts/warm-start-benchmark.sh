#!/usr/bin/env bash
# Warm start against a cold night (issue 17; docs/benchmarks/warm-start.md).
#
#   submit-scripts/warm-start-benchmark.sh [--users N] [--items N] [--ratings N] [--engines "sparse gibbs"]
#     [--work DIR] [--set k=v]...
#
# Generates planted ratings (default 10,000 users, 4,000 items, 1M ratings), and makes two nights
# of them: the second night is every rating, the first leaves out about 2% of them: every rating
# of 1% of the users and of 0.25% of the items (ids that are new on the second night) and 1% of
# the other ratings. For each engine it runs night 1 from scratch, then night 2 twice over the same
# output: from scratch (cfpipe.train.warm-start=off) and warm (auto), both extending night 1's id
# maps and scored on the same validation ratings (the split hashes each (user, item), so a rating
# is on the same side both nights). Prints one table: RMSE, epochs or sweeps and training seconds
# of each night-2 run, and the warm run's share of the cold run's training time. Not part of the
# test suite; run it with nothing else running.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
users=10000
items=4000
ratings=1000000
engines="sparse gibbs"
work=/tmp/cfpipe-warm
sets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --users) users="$2"; shift 2 ;;
    --items) items="$2"; shift 2 ;;
    --ratings) ratings="$2"; shift 2 ;;
    --engines) engines="$2"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    --set) sets+=(--set "$2"); shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
data="$work/data"
if [ ! -f "$data/oracle.json" ]; then
  rm -rf "$work"
  "$root/submit-scripts/run-local.sh" generate --output "$data" --users "$users" \
    --items "$items" --ratings "$ratings" --seed 11 > "$work.generate.log" 2>&1
fi
mkdir -p "$work/night1" "$work/night2"
cat "$data"/ratings/*.csv | awk -F, 'NR == 1 || $1 != "userId"' > "$work/night2/ratings.csv"
# Night 1: without the new users (id % 100 == 0), the new items (id % 400 == 0) and 1% of the rest.
awk -F, 'NR == 1 || !($1 % 100 == 0 || $2 % 400 == 0 || (($1 * 7919 + $2 * 104729) % 100) == 0)' \
  "$work/night2/ratings.csv" > "$work/night1/ratings.csv"
n1=$(($(wc -l < "$work/night1/ratings.csv") - 1))
n2=$(($(wc -l < "$work/night2/ratings.csv") - 1))
echo "date: $(date -u +%F), commit $(git -C "$root" rev-parse --short HEAD), $(nproc) cores"
echo "night 1: $n1 ratings; night 2: $n2 ratings ($((n2 - n1)) new, $(python3 -c "print(f'{100 * ($n2 - $n1) / $n2:.2f}')")%)"
echo
echo "| engine | night 2 | valid RMSE | epochs or sweeps | train s | warm/cold | train stage s | warm/cold | from |"
echo "|---|---|---|---|---|---|---|---|---|"
run() {  # out, night, date, warm-start, engine
  "$root/submit-scripts/run-local.sh" pipeline --ratings "$work/$2/ratings.csv" \
    --format movielens-csv --output "$1" --run-date "$3" --set "cfpipe.train.engine=$5" \
    --set "cfpipe.train.warm-start=$4" "${sets[@]}" > "$1.$2.$4.log" 2>&1
  cp "$1/run_date=$3/model=dot-bias/metadata.json" "$1.$2.$4.metadata.json"
}
for engine in $engines; do
  out="$work/out-$engine"
  rm -rf "$out"
  run "$out" night1 2024-01-01 off "$engine"
  run "$out" night2 2024-01-02 off "$engine"
  run "$out" night2 2024-01-02 auto "$engine"
  python3 - "$engine" "$out.night2.off.metadata.json" "$out.night2.auto.metadata.json" <<'EOF'
import json, sys
engine, cold, warm = sys.argv[1], json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
def row(name, m, share, stage_share):
    w = m["choice"]["warm_start"]
    print(f"| {engine} | {name} | {m['metrics']['valid_rmse']:.4f} | {m['metrics']['epochs']} | "
          f"{m['metrics']['train_seconds']:.1f} | {share} | {m['stage_seconds']['train']:.1f} | "
          f"{stage_share} | {w['from'] or '-'} |")
row("cold", cold, "", "")
row("warm", warm, f"{warm['metrics']['train_seconds'] / cold['metrics']['train_seconds']:.2f}",
    f"{warm['stage_seconds']['train'] / cold['stage_seconds']['train']:.2f}")
print(f"| {engine} | warm - cold RMSE | {warm['metrics']['valid_rmse'] - cold['metrics']['valid_rmse']:+.4f} | | | | | | |")
EOF
done
