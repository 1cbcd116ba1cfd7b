#!/usr/bin/env bash
# Recipe ablation at a fixed wall-clock training budget: each arm trains the fmnist supernet for MINUTES minutes of
# steps (train --minutes: the step count follows the arm's own pace, so cheaper steps buy more of them), one arm at
# a time on the whole machine, then every supernet is scored on one fixed set of subnets (the sampler-study bench).
#   MINUTES=4 bench/recipe-study/run.sh [OUT_DIR]
# Arms: NAME:extra train arguments (commas for spaces). Runs are resumable: run the script again after an interruption.
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.."
OUT=${1:-runs/recipe-study}
MINUTES=${MINUTES:-4}
ARMS=${ARMS:-"previous:--lr,0.005,--level-subnets,3,--max-first,0 paper:--paper lr4x-l1:--lr,0.02,--level-subnets,1,--max-first,0 default:"}
mkdir -p "$OUT"
./elasticvit --help >/dev/null   # build once
for arm in $ARMS; do
  name=${arm%%:*}; IFS=',' read -r -a extra <<< "${arm#*:}"
  dir="$OUT/$name"
  if [ -f "$dir/summary.json" ]; then echo "done already: $dir"; continue; fi
  if [ -f "$dir/checkpoint.ckpt" ]; then ./elasticvit train --out "$dir" --resume > "$dir.log" 2>&1
  else ./elasticvit train --sampler cas-pas --minutes "$MINUTES" --seed 0 --threads 2 --probe-every 0 --checkpoint-every 100 "${extra[@]}" --out "$dir" > "$dir.log" 2>&1; fi
  echo "trained: $dir ($(cat "$dir/summary.json"))"
done
dotnet run --project bench/ElasticVit.Bench -c Release -- sampler-study "$OUT" --per-level 1 --threads 2 | tee "$OUT/results.md"
