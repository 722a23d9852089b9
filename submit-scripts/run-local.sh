#!/usr/bin/env bash
# Runs a cfpipe job on local Spark in this JVM, building the jobs jar first when sources changed.
#
#   submit-scripts/run-local.sh                      the whole pipeline on the bundled ml-latest-small
#   submit-scripts/run-local.sh pipeline --ratings PATH --output DIR --run-date DATE [--set k=v]...
#   submit-scripts/run-local.sh STAGE ...            one stage: ingest, encode, split, train, evaluate, export
#
# Environment: SPARK_MASTER (default local[*]), CFPIPE_DRIVER_MEMORY (default 6g), JAVA (default java),
# CFPIPE_JAVA_OPTS (more JVM options, e.g. -Dspark.hadoop.fs.s3a.endpoint=http://minio:9000),
# CFPIPE_CDS (on by default; off runs without the class-data archive described below).
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

java_bin="${JAVA:-java}"
jvm=(@conf/jvm-module-opens.txt
  -Xmx"${CFPIPE_DRIVER_MEMORY:-6g}" -XX:+UseParallelGC
  -Dspark.master="${SPARK_MASTER:-local[*]}"
  -Dspark.ui.enabled=false
  -Dspark.driver.memory="${CFPIPE_DRIVER_MEMORY:-6g}"
  -Dlog4j2.configurationFile="$root/conf/log4j2-local.properties")

# Class-data sharing (a dynamic AppCDS archive): the first pipeline run after a build writes the
# classes it loaded (Spark, Hadoop, Parquet, Scala: some 25,000) to an archive of about 200 MB,
# which takes about 17 s at its end; later runs of any job map the archive instead of loading and
# verifying those classes from the jars, 6-10 s less on the bundled sample
# (docs/benchmarks/pipeline.md). One archive per JVM; the JVM itself checks that the jars are the
# ones it was made from, and runs without it (with a warning) if not. CFPIPE_CDS=off: without;
# set it when CFPIPE_JAVA_OPTS starts Java Flight Recorder, which crashed this JDK 17 (17.0.15)
# at start-up with the archive mapped.
cds=()
dump=""
if [ "${CFPIPE_CDS:-on}" != off ]; then
  jvm_id="$(readlink -f "$(command -v "$java_bin")" | cksum | cut -d' ' -f1)"
  archive="jobs/target/cfpipe-classes-$jvm_id.jsa"
  if [ -f "$archive" ] && [ "$archive" -nt "$jar" ] && [ "$archive" -nt "$classpath_file" ]; then
    cds=(-XX:SharedArchiveFile="$archive")
  elif [ "${1:-}" = pipeline ]; then
    find jobs/target -maxdepth 1 -name 'cfpipe-classes-*.jsa' ! -newer "$jar" -delete
    echo "This first pipeline run after a build also writes a class-data archive for faster" \
      "starts (about 17 s at its end): $archive" >&2
    dump="$archive.$$"
    cds=(-XX:ArchiveClassesAtExit="$dump")
  fi
fi

job=("$java_bin" "${jvm[@]}" ${cds[@]+"${cds[@]}"} ${CFPIPE_JAVA_OPTS:-}
  -cp "$jar:$(cat "$classpath_file")" org.cfpipe.jobs.CfPipe "$@")
if [ -z "$dump" ]; then
  exec "${job[@]}"
fi
status=0
"${job[@]}" || status=$?
# A failed run may have loaded few of the classes: its archive is not kept.
if [ "$status" -eq 0 ] && [ -s "$dump" ]; then
  mv -f "$dump" "$archive"
fi
rm -f "$dump"
exit "$status"
