"""Prints a committed run's stage seconds and validation RMSE (beside the planted data's noise
floor), and its ranking metrics when it has them: what the pipeline benchmarks show.

    python3 submit-scripts/stage-table.py OUTPUT/run_date=.../model=.../metrics.json DATA/oracle.json
"""
import json
import sys

m = json.load(open(sys.argv[1]))
oracle = json.load(open(sys.argv[2]))
print("| stage | seconds |\n|---|---|")
for stage, seconds in m["stage_seconds"].items():
    print(f"| {stage} | {seconds:.1f} |")
line = f"\nvalidation RMSE {m['valid_rmse']:.4f} (noise floor {oracle['oracle_rmse']:.4f})"
if "ranking" in m:
    line += (f"; ranking: {m['ranking']} over {m['ranking_users']} users, "
             f"sample {m['ranking_sample']}")
print(line)
