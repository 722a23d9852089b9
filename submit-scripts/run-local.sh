#!/usr/bin/env bash
# Runs a cfpipe job on local Spark in this JVM, building the jobs jar first when sources changed.
#
#   submit-scripts/run-local.sh                      the whole pipeline on the bundled ml-latest-small
#   submit-scripts/run-local.sh pipeline --ratings PATH --output DIR --run-date DATE [--set k=v]...
#   submit-scripts/run-local.sh STAGE ...            one stage: ingest, encode, split, train, evaluate, export
#
# Environment: SPARK_MASTER (default local[*]), CFPIPE_DRIVER_MEMORY (default 6g), JAVA (default java),
# CFPIPE_JAVA_OPTS (more JVM options, e.g. -Dspark.hadoop.fs.s3a.endpoint=http://minio:9000).
# Needs only JDK 17 and Maven: Spark comes from Maven Central as a library, no Spark install is used.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
jar="jobs/target/cfpipe-jobs.jar"
classpath_file="jobs/target/runtime-classpath.txt"

needs_build() {
  [ ! -f "$jar" ] || [ ! -f "$classpath_file" ] && return 0
  [ -n "$(find pom.xml common jobs -newer "$jar" \( -name '*.java' -o -name '*.xml' -o -name '*.conf' -o -name '*.properties' \) -not -path '*/target/*' -print -quit)" ]
}

if needs_build; then
  echo "Building cfpipe (first run downloads Spark from Maven Central; later runs reuse it)..." >&2
  mvn -q -B -Dstyle.color=never -DskipTests package >&2
  # Maven leaves an up-to-date jar as it was: without this, a change to common alone would
  # rebuild on every run.
  touch "$jar" "$classpath_file"
fi

if [ $# -eq 0 ]; then
  run_date="$(date -u +%F)"
  set -- pipeline --ratings data/ml-latest-small/ratings.csv --format movielens-csv \
    --set cfpipe.input.items=data/ml-latest-small/movies.csv \
    --output output/local --run-date "$run_date"
  echo "No arguments: running the pipeline on the bundled ml-latest-small sample, run date $run_date." >&2
fi

exec "${JAVA:-java}" @conf/jvm-module-opens.txt \
  -Xmx"${CFPIPE_DRIVER_MEMORY:-6g}" -XX:+UseParallelGC \
  -Dspark.master="${SPARK_MASTER:-local[*]}" \
  -Dspark.ui.enabled=false \
  -Dspark.driver.memory="${CFPIPE_DRIVER_MEMORY:-6g}" \
  -Dlog4j2.configurationFile="$root/conf/log4j2-local.properties" \
  ${CFPIPE_JAVA_OPTS:-} \
  -cp "$jar:$(cat "$classpath_file")" \
  org.cfpipe.jobs.CfPipe "$@"
