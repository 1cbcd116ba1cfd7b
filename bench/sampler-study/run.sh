#!/usr/bin/env bash
# Sampler study: uniform, sandwich, cas and cas-pas trained on the fmnist space with the same seed and the same
# compute (every sampler trains 4 subnets per step, so equal steps = equal subnet forward/backward passes), plus a
# second seed for cas and cas-pas; then every supernet is evaluated on one fixed set of subnets.
#   STEPS=600 JOBS=2 bench/sampler-study/run.sh [OUT_DIR]
# Runs are resumable: run the script again after an interruption.
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.."
OUT=${1:-runs/sampler-study}
STEPS=${STEPS:-600}
JOBS=${JOBS:-2}
RUNS=${RUNS:-"uniform:0 sandwich:0 cas:0 cas-pas:0 cas:1 cas-pas:1"}
mkdir -p "$OUT"
./elasticvit --help >/dev/null   # builds once before the parallel runs start

train() {
  local sampler=${1%%:*} seed=${1##*:}
  local dir="$OUT/$sampler-seed$seed"
  if [ -f "$dir/summary.json" ]; then echo "done already: $dir"; return; fi
  local resume=()
  [ -f "$dir/checkpoint.ckpt" ] && resume=(--resume)
  if [ ${#resume[@]} -gt 0 ]; then
    ./elasticvit train --out "$dir" --resume > "$dir.log" 2>&1
  else
    ./elasticvit train --sampler "$sampler" --seed "$seed" --steps "$STEPS" --threads 1 --checkpoint-every 100 --probe-every 25 --out "$dir" > "$dir.log" 2>&1
  fi
  echo "trained: $dir"
}
export -f train
export OUT STEPS
printf '%s\n' $RUNS | xargs -P "$JOBS" -I{} bash -c 'train {}'
dotnet run --project bench/ElasticVit.Bench -c Release -- sampler-study "$OUT" | tee "$OUT/results.md"
