#!/usr/bin/env bash
# spark-submit without a Spark download: Spark's own SparkSubmit from the jars Maven resolved for
# the jobs module (jobs/target/runtime-classpath.txt, written by mvn package). Takes spark-submit's
# arguments. For machines with no Spark install (these build machines, CI); where Spark is
# installed, set cfpipe.submit.spark-submit = spark-submit instead.
# Environment: JAVA (default java).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
classpath_file="$root/jobs/target/runtime-classpath.txt"
if [ ! -f "$classpath_file" ]; then
  echo "spark-submit-maven.sh: $classpath_file not found; build with: mvn -DskipTests package" >&2
  exit 1
fi
exec "${JAVA:-java}" @"$root/conf/jvm-module-opens.txt" -Xmx1g \
  -cp "$(cat "$classpath_file")" org.apache.spark.deploy.SparkSubmit "$@"
