#!/usr/bin/env bash
# Training throughput of two builds (or settings), side by side: each round runs every given training command for the
# same fixed number of steps, one after another, and prints the mean step time and images per second over the steps
# after the first WARMUP. Compare the arms within a round (these hosts drift between rounds).
# Usage: bench/train-throughput.sh ROUNDS STEPS WARMUP "LABEL=COMMAND" "LABEL=COMMAND" ...
#   COMMAND is a full 'train' invocation without --steps and --out, e.g.
#   "now=./elasticvit train --space elasticvit-fmnist --sampler cas-pas --paper --probe-every 0 --seed 0 --threads 2"
set -euo pipefail
rounds=${1:?rounds}; steps=${2:?steps}; warmup=${3:?warmup}; shift 3
[ $# -ge 1 ] || { echo "usage: $0 ROUNDS STEPS WARMUP LABEL=COMMAND..." >&2; exit 2; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
lscpu | grep -E '^Model name|^CPU family|^Model:' | tr -s ' '
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-6s %-12s %10s %10s %10s\n' round arm "ms/step" "images/s" "subnets"
for r in $(seq 1 "$rounds"); do
  for arm in "$@"; do
    label=${arm%%=*}; command=${arm#*=}
    rm -rf "$work/run"
    # shellcheck disable=SC2086 # the command is split into words on purpose
    $command --steps "$steps" --out "$work/run" >/dev/null 2>&1 || { echo "$label failed" >&2; exit 1; }
    python3 - "$work/run/metrics.jsonl" "$warmup" "$r" "$label" <<'PY'
import json, os, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if '"step_seconds"' in l][int(sys.argv[2]):]
batch = json.load(open(os.path.join(os.path.dirname(sys.argv[1]), "config.json")))["batch_size"]
seconds = statistics.mean(r["step_seconds"] for r in rows)
images = batch * len(rows) / sum(r["step_seconds"] for r in rows)
subnets = statistics.mean(len(r["subnet_keys"]) for r in rows)
print(f"{sys.argv[3]:<6} {sys.argv[4]:<12} {1000 * seconds:10.1f} {images:10.1f} {subnets:10.2f}")
PY
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
