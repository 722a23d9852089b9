#!/usr/bin/env bash
# The nightly run: one spark-submit per stage, in order, stopping at the first failure with its
# exit status (1 bad settings, 2 job failed). Each stage reads what the previous one staged under
# OUTPUT/_work/run_date=DATE, and export publishes the run folder whole, so a failed night leaves
# no partial output and rerunning the date starts it over.
#
#   submit-scripts/nightly.sh YYYY-MM-DD [--set key=value]...
#   submit-scripts/nightly.sh FROM TO [--set key=value]...     every date from FROM to TO, in order
#
# Nights depend on each other (the id maps, and with cfpipe.train.warm-start = auto the model):
# a range runs one night at a time in date order and stops at the first night that fails, and a
# night whose predecessor started but did not commit refuses to encode (docs/operations.md).
#
# Environment: CFPIPE_CONF (default conf/local.conf), the configuration of the environment.
set -euo pipefail

date_pattern='^[0-9]{4}-[0-9]{2}-[0-9]{2}$'
if [ $# -lt 1 ] || ! [[ "$1" =~ $date_pattern ]]; then
  echo "usage: nightly.sh YYYY-MM-DD [YYYY-MM-DD] [--set key=value]..." >&2
  exit 1
fi
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
first="$1"
shift
last="$first"
if [ $# -gt 0 ] && [[ "$1" =~ $date_pattern ]]; then
  last="$1"
  shift
fi
if [[ "$last" < "$first" ]]; then
  echo "nightly.sh: $last is before $first" >&2
  exit 1
fi
conf="${CFPIPE_CONF:-$root/conf/local.conf}"

run_date="$first"
while true; do
  for stage in ingest encode split train evaluate export analyze; do
    echo "nightly.sh: $stage for $run_date" >&2
    status=0
    "$root/submit-scripts/submit.sh" "$stage" --conf "$conf" --run-date "$run_date" "$@" || status=$?
    if [ "$status" -ne 0 ]; then
      echo "nightly.sh: $stage failed with exit status $status; later stages and nights not run" >&2
      exit "$status"
    fi
  done
  echo "nightly.sh: $run_date done" >&2
  [ "$run_date" = "$last" ] && break
  run_date="$(date -u -d "$run_date + 1 day" +%F)"
done
