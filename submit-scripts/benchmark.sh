#!/usr/bin/env bash
# Runs the training benchmark on local Spark and writes its Markdown report.
#
#   submit-scripts/benchmark.sh [--out docs/benchmarks/sparse-engine.md] [--ratings N] [--users N] ...
#   submit-scripts/benchmark.sh --only accuracy [--out docs/benchmarks/accuracy.md] [--shapes a,b]
#   submit-scripts/benchmark.sh --only implicit-als --data ../shared/splits/ml-100k[,...] [--out F]
#
# The defaults are the issue's benchmark: 20M ratings, 160k users, 59k items, k = 50. Needs about
# 16 GiB of heap and some minutes (Spark ALS dominates). Not part of the test suite.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
mvn -q -B -Dstyle.color=never -DskipTests package >&2
# --only accuracy (first) is the transfer benchmark, AccuracyBenchmark; the rest TrainingBenchmark.
main=org.cfpipe.bench.TrainingBenchmark
if [ "${1:-}" = "--only" ] && [ "${2:-}" = "accuracy" ]; then
  main=org.cfpipe.bench.AccuracyBenchmark
  shift 2
elif [ "${1:-}" = "--only" ] && [ "${2:-}" = "implicit-als" ]; then
  # Tuned implicit-feedback ALS and the most-rated items on train/test folders (issue 19's bar).
  main=org.cfpipe.bench.ImplicitAlsBenchmark
  shift 2
fi
exec "${JAVA:-java}" @conf/jvm-module-opens.txt -Xmx"${CFPIPE_BENCH_MEMORY:-18g}" -XX:+UseParallelGC \
  -Dspark.master="${SPARK_MASTER:-local[*]}" -Dspark.ui.enabled=false \
  -Dlog4j2.configurationFile="$root/conf/log4j2-local.properties" \
  -cp "bench/target/cfpipe-bench-0.1.0-SNAPSHOT.jar:$(cat bench/target/runtime-classpath.txt)" \
  "$main" "$@"
