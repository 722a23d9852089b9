#!/usr/bin/env bash
# The nightly run: one spark-submit per stage, in order, stopping at the first failure with its
# exit status (1 bad settings, 2 job failed). Each stage reads what the previous one staged under
# OUTPUT/_work/run_date=DATE, and export publishes the run folder whole, so a failed night leaves
# no partial output and rerunning the date starts it over.
#
#   submit-scripts/nightly.sh YYYY-MM-DD [--set key=value]...
#
# Environment: CFPIPE_CONF (default conf/local.conf), the configuration of the environment.
set -euo pipefail

if [ $# -lt 1 ]; then
  echo "usage: nightly.sh YYYY-MM-DD [--set key=value]..." >&2
  exit 1
fi
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
run_date="$1"
shift
conf="${CFPIPE_CONF:-$root/conf/local.conf}"

for stage in ingest encode split train evaluate export analyze; do
  echo "nightly.sh: $stage for $run_date" >&2
  status=0
  "$root/submit-scripts/submit.sh" "$stage" --conf "$conf" --run-date "$run_date" "$@" || status=$?
  if [ "$status" -ne 0 ]; then
    echo "nightly.sh: $stage failed with exit status $status; later stages not run" >&2
    exit "$status"
  fi
done
echo "nightly.sh: $run_date done" >&2
