#!/usr/bin/env bash
# Spark's GPU discovery script: prints {"name": "gpu", "addresses": [...]} with the index of
# every GPU nvidia-smi lists, and an empty list on a machine without GPUs or without nvidia-smi.
set -euo pipefail
addresses=""
if command -v nvidia-smi >/dev/null 2>&1; then
  addresses=$(nvidia-smi --query-gpu=index --format=csv,noheader 2>/dev/null \
    | sed -e 's/[^0-9]//g' -e '/^$/d' -e 's/.*/"&"/' | paste -sd, - || true)
fi
printf '{"name": "gpu", "addresses": [%s]}\n' "$addresses"
