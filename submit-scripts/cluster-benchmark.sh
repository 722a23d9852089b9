#!/usr/bin/env bash
# The nightly pipeline on a Spark standalone cluster on this machine, with the time and the peak
# memory of every process (issue 17; docs/benchmarks/pipeline.md).
#
#   submit-scripts/cluster-benchmark.sh [--data DIR] [--out DIR] [--ratings N] [--users N]
#     [--items N] [--workers N] [--executor-memory SIZE] [--driver-memory SIZE] [--job NAME]
#     [--keep-output] [--event-log DIR] [--set k=v]...
#
# Generates planted ratings into DIR unless DIR/ratings is already there (default 25M ratings of
# 162k users and 59k items, MovieLens-25M's shape), starts a master and N workers (default 2, one
# core each) as separate JVMs, as ClusterIT does, and submits the pipeline (or --job, e.g. train
# after a pipeline run into the same --out with --keep-output) to them through
# submit.sh in client mode: the driver in its own JVM with --driver-memory (default 2g), the
# sparse engine on the executors (train.distributed.workers = N). Every 5 seconds it reads the
# peak resident size (VmHWM) of each process of the run: master, workers, executors, driver, and
# prints them with the wall time and each stage's seconds. Needs the jobs jar (mvn -DskipTests
# package). --event-log writes Spark's event log into DIR (submit-scripts/gibbs-sweeps.py reads
# the gibbs chain's sweeps from it). Not part of the test suite; run it with nothing else running.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data=/tmp/cfpipe-25m
out=/tmp/cfpipe-cluster-out
ratings=25000000
users=162000
items=59000
workers=2
executor_memory=8g
driver_memory=2g
sets=()
job=pipeline
keep=false
event_log=
while [ $# -gt 0 ]; do
  case "$1" in
    --data) data="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --ratings) ratings="$2"; shift 2 ;;
    --users) users="$2"; shift 2 ;;
    --items) items="$2"; shift 2 ;;
    --workers) workers="$2"; shift 2 ;;
    --executor-memory) executor_memory="$2"; shift 2 ;;
    --driver-memory) driver_memory="$2"; shift 2 ;;
    --set) sets+=(--set "$2"); shift 2 ;;
    --job) job="$2"; shift 2 ;;
    --keep-output) keep=true; shift ;;
    --event-log) event_log="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
classpath="$(cat "$root/jobs/target/runtime-classpath.txt")"
java_bin="${JAVA:-java}"
if [ ! -d "$data/ratings" ]; then
  CFPIPE_DRIVER_MEMORY=8g "$root/submit-scripts/run-local.sh" generate --output "$data" \
    --users "$users" --items "$items" --ratings "$ratings" >&2
fi
if [ "$keep" = true ]; then rm -rf "$out/cluster"; else rm -rf "$out"; fi
mkdir -p "$out/cluster/spark-home/jars"
# Where executors find Spark: the jars Maven resolved, linked into a SPARK_HOME.
tr ':' '\n' <<< "$classpath" | while read -r jar; do
  ln -sf "$jar" "$out/cluster/spark-home/jars/$(basename "$jar")"
done
export SPARK_HOME="$out/cluster/spark-home" SPARK_SCALA_VERSION=2.12
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
daemons=()
cleanup() {
  for pid in "${daemons[@]}"; do
    pkill -KILL -P "$pid" 2>/dev/null || true
    kill -KILL "$pid" 2>/dev/null || true
  done
}
trap cleanup EXIT
"$java_bin" @"$root/conf/jvm-module-opens.txt" -Xmx512m -cp "$classpath" \
  org.apache.spark.deploy.master.Master --host 127.0.0.1 --port "$port" --webui-port 0 \
  > "$out/cluster/master.log" 2>&1 &
daemons+=($!)
disown
for w in $(seq 1 "$workers"); do
  "$java_bin" @"$root/conf/jvm-module-opens.txt" -Xmx512m -cp "$classpath" \
    org.apache.spark.deploy.worker.Worker --host 127.0.0.1 --cores 1 --memory "$executor_memory" \
    --webui-port 0 --work-dir "$out/cluster/work$w" "spark://127.0.0.1:$port" \
    > "$out/cluster/worker$w.log" 2>&1 &
  daemons+=($!)
  disown
done
for _ in $(seq 1 180); do
  [ "$(grep -c "Registering worker" "$out/cluster/master.log" || true)" -ge "$workers" ] && break
  sleep 0.5
done
logging=
if [ -n "$event_log" ]; then
  mkdir -p "$event_log"
  logging=", \"spark.eventLog.enabled\" = \"true\", \"spark.eventLog.dir\" = \"file://$(cd "$event_log" && pwd)\""
fi
cat > "$out/cluster.conf" <<EOF
cfpipe {
  output.dir = "$out/output"
  train.distributed.workers = $workers
  spark.shuffle-partitions = $((workers * 8))
  submit {
    spark-submit = submit-scripts/spark-submit-maven.sh
    master = "spark://127.0.0.1:$port"
    deploy-mode = client
    driver.memory = $driver_memory
    executor { instances = $workers, cores = 1, memory = $executor_memory }
    spark-conf { "spark.ui.enabled" = "false", "spark.driver.host" = "127.0.0.1"$logging }
  }
}
EOF
# Peak resident size of every process below this script, by its role, sampled every 5 seconds:
# VmHWM is a high-water mark, so a later reading includes the earlier peaks (only a process's
# last seconds can be missed). Sampling every second took 2.5% of a core from the cluster.
peaks="$out/peaks.txt"
(
  while true; do
    for pid in $(pgrep -f "org.apache.spark.deploy|CoarseGrainedExecutorBackend" || true); do
      cmd=$(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null) || continue
      case "$cmd" in
        *deploy.master.Master*) role=master ;;
        *deploy.worker.Worker*) role="worker-$(grep -o 'work[0-9][0-9]*' <<< "$cmd" | head -1)" ;;
        *CoarseGrainedExecutorBackend*) role="executor-$(grep -o 'executor-id [0-9]*' <<< "$cmd" | grep -o '[0-9]*$')" ;;
        *org.apache.spark.deploy.SparkSubmit*) role=driver ;;
        *) continue ;;
      esac
      hwm=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null) || continue
      [ -n "$hwm" ] && echo "$role $hwm"
    done
    sleep 5
  done
) > "$peaks.raw" 2>/dev/null &
sampler=$!
start=$(date +%s.%N)
status=0
(cd "$root" && submit-scripts/submit.sh "$job" --conf "$out/cluster.conf" --run-date 2024-01-01 \
  --ratings "$data/ratings" "${sets[@]}") > "$out.log" 2>&1 || status=$?
end=$(date +%s.%N)
kill "$sampler" 2>/dev/null || true
echo "date: $(date -u +%F), commit $(git -C "$root" rev-parse --short HEAD), $(nproc) cores;" \
  "$workers workers of 1 core and $executor_memory, driver $driver_memory; exit status $status"
printf 'wall time: %.1f s\n' "$(echo "$end - $start" | bc)"
echo "peak resident memory by process (VmHWM):"
sort -k1,1 -k2,2n "$peaks.raw" | awk '{peak[$1] = $2 > peak[$1] ? $2 : peak[$1]}
  END {for (r in peak) printf "  %s %.2f GB\n", r, peak[r] / 1048576}' | sort
metrics="$out/output/run_date=2024-01-01/model=dot-bias/metrics.json"
if [ "$job" = pipeline ] && [ -f "$metrics" ]; then
  python3 "$root/submit-scripts/stage-table.py" "$metrics" "$data/oracle.json"
fi
grep -E "Exception|Error|engine" "$out.log" | grep -v "^\s" | head -20 | cut -c1-240
exit "$status"
