#!/usr/bin/env python3
"""The partitioned gibbs chain's sweeps, read from a Spark event log (docs/benchmarks/gibbs-engine.md).

    submit-scripts/gibbs-sweeps.py EVENT_LOG_FILE_OR_DIR [--from N]

The chain names its jobs ("gibbs sweep 12", "gibbs validation after sweep 12", ...; Spark's job
description). Prints the time of each kind of job, the sweeps' times (mean over all and from
sweep N on, default 11), and for the stages of the sweeps' jobs, in the order Spark ran them,
each task's mean run time, CPU time and shuffle bytes: run time above CPU time is time the
task's thread was not on a core.
"""
import collections
import glob
import json
import os
import statistics
import sys


def main():
    args = sys.argv[1:]
    start = 11
    if "--from" in args:
        at = args.index("--from")
        start = int(args[at + 1])
        del args[at:at + 2]
    path = args[0]
    if os.path.isdir(path):
        path = sorted(glob.glob(os.path.join(path, "*")))[-1]
    jobs = {}
    tasks = collections.defaultdict(list)
    with open(path) as f:
        for line in f:
            e = json.loads(line)
            kind = e["Event"]
            if kind == "SparkListenerJobStart":
                what = (e.get("Properties") or {}).get("spark.job.description") or ""
                jobs[e["Job ID"]] = [what, e["Submission Time"], None, e["Stage IDs"]]
            elif kind == "SparkListenerJobEnd":
                jobs[e["Job ID"]][2] = e["Completion Time"]
            elif kind == "SparkListenerTaskEnd":
                m = e.get("Task Metrics") or {}
                read = m.get("Shuffle Read Metrics", {})
                write = m.get("Shuffle Write Metrics", {})
                tasks[e["Stage ID"]].append((
                    m.get("Executor Run Time", 0) / 1e3,
                    m.get("Executor CPU Time", 0) / 1e9,
                    (read.get("Remote Bytes Read", 0) + read.get("Local Bytes Read", 0)) / 1e6,
                    write.get("Shuffle Bytes Written", 0) / 1e6))
    gibbs = [j for j in jobs.values() if j[0].startswith("gibbs") and j[2] is not None]
    by_kind = collections.defaultdict(list)
    for what, begin, end, _ in gibbs:
        by_kind[what.split(" after ")[0].rstrip("0123456789 ")].append((end - begin) / 1e3)
    print("jobs by kind: count, seconds in all")
    for kind, times in by_kind.items():
        print(f"  {kind:20s} {len(times):4d} {sum(times):8.1f}")
    # A sweep's jobs (its draws, then its users' statistics read from the cache), summed.
    by_sweep = {}
    for what, begin, end, stages in gibbs:
        if what.startswith("gibbs sweep "):
            n = int(what.split()[-1])
            seconds, ids = by_sweep.get(n, (0.0, []))
            by_sweep[n] = (seconds + (end - begin) / 1e3, ids + stages)
    sweeps = sorted((n, t, ids) for n, (t, ids) in by_sweep.items())
    if not sweeps:
        return
    times = [t for _, t, _ in sweeps]
    late = [t for n, t, _ in sweeps if n >= start]
    print(f"sweeps: {len(sweeps)}, mean {statistics.mean(times):.2f} s, "
          f"from sweep {start} on {statistics.mean(late) if late else float('nan'):.2f} s")
    print("  " + " ".join(f"{t:.2f}" for t in times))
    print(f"the sweeps' stages, in order, from sweep {start} on: tasks a stage, mean task run s, "
          "CPU s, shuffle read MB, written MB")
    rows = collections.defaultdict(list)
    widths = collections.Counter()
    for n, _, stages in sweeps:
        if n < start:
            continue
        for place, s in enumerate(sorted(x for x in stages if tasks[x])):
            rows[place].extend(tasks[s])
            widths[place] = len(tasks[s])
    for place in sorted(rows):
        cols = list(zip(*rows[place]))
        print(f"  stage {place + 1}: {widths[place]} tasks  run {statistics.mean(cols[0]):.2f}"
              f"  CPU {statistics.mean(cols[1]):.2f}  read {statistics.mean(cols[2]):.1f}"
              f"  written {statistics.mean(cols[3]):.1f}")


if __name__ == "__main__":
    main()
