#!/usr/bin/env bash
# Submits one cfpipe job with spark-submit, every Spark option taken from the configuration:
#
#   submit-scripts/submit.sh JOB --conf conf/ENV.conf --run-date YYYY-MM-DD [--set key=value]... [job options]
#   submit-scripts/submit.sh --dry-run JOB ...      prints the command instead of running it
#
# The file's cfpipe.submit block (master, deploy mode, driver and executor resources, GPUs, files,
# Spark properties; documented in common/src/main/resources/reference.conf) shapes the
# spark-submit command; the rest of the file configures the job, which gets the same --conf and
# --set. --set cfpipe.submit.executor.instances=8 changes the submission for one run.
# Exit status: spark-submit's (the job's: 0 done, 1 bad arguments or settings, 2 job failed).
# Environment: JAVA (default java) runs the command builder; build the jar first (mvn package).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jar="$root/jobs/target/cfpipe-jobs-spark.jar"
dry_run=false
if [ "${1:-}" = "--dry-run" ]; then
  dry_run=true
  shift
fi
if [ ! -f "$jar" ]; then
  echo "submit.sh: $jar not found; build it with: mvn -DskipTests package" >&2
  exit 1
fi

command_file="$(mktemp)"
trap 'rm -f "$command_file"' EXIT
"${JAVA:-java}" -cp "$jar" org.cfpipe.jobs.SubmitCommand "$@" > "$command_file"
mapfile -d '' -t command < "$command_file"

if $dry_run; then
  printf '%q ' "${command[@]}"
  echo
  exit 0
fi
echo "submit.sh: ${command[*]}" >&2
exec "${command[@]}"
