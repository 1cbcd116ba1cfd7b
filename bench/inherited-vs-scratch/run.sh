#!/usr/bin/env bash
# Inherited vs from scratch: for the best fixed subnet (by held-out top-1, never test) at a low and a high FLOPs level of
# a supernet run of the sampler study, compare the inherited EMA weights (BN recalibrated, no retraining) with the same
# architecture trained standalone from scratch for as many forward/backward passes as the whole supernet run made
# (run steps × 4 subnets), same data pipeline and optimiser; full held-out and test sets.
#   bench/inherited-vs-scratch/run.sh [STUDY_DIR]       (after bench/sampler-study/run.sh has evaluated STUDY_DIR)
#   RUN=DIR LEVELS="5 25" JOBS=2 STEPS=N THREADS=1 override the defaults.
# Finished comparisons are kept (one JSON per level) and skipped when the script is run again.
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.."
STUDY=${1:-runs/sampler-study}
RUN=${RUN:-$STUDY/cas-pas-seed0}
LEVELS=${LEVELS:-"5 25"}
JOBS=${JOBS:-2}
THREADS=${THREADS:-1}
OUT=${OUT:-$STUDY/inherited-vs-scratch}
if [ ! -f "$RUN/study-eval.json" ]; then
  echo "error: $RUN/study-eval.json is missing; evaluate the study first: dotnet run --project bench/ElasticVit.Bench -c Release -- sampler-study $STUDY" >&2
  exit 1
fi
mkdir -p "$OUT"
dotnet build bench/ElasticVit.Bench -c Release -nologo -v quiet >/dev/null
BENCH=bench/ElasticVit.Bench/bin/Release/net10.0/ElasticVit.Bench.dll

compare() {
  local level=$1 out="$OUT/level-$1.json"
  if [ -f "$out" ]; then echo "done already: $out"; return; fi
  dotnet "$BENCH" scratch-train --run "$RUN" --best-at-level "$level" --threads "$THREADS" ${STEPS:+--steps "$STEPS"} --out "$out" \
    > "$OUT/level-$level.log" 2>&1
  echo "compared: level $level -> $out"
}
export -f compare
export RUN OUT THREADS STEPS BENCH
printf '%s\n' $LEVELS | xargs -P "$JOBS" -I{} bash -c 'compare {}'

echo "| level | subnet | MFLOPs | selection | inherited test top-1 | scratch test top-1 (steps) | scratch − inherited | inherited held-out | scratch held-out | scratch train s |"
echo "| ---: | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
for level in $LEVELS; do
  jq -r --arg level "$level" '"| \($level)M | `\(.subnet)` | \(.flops_m) | \(.selection) | \(.inherited.test * 10000 | round / 100) | \(.scratch.test * 10000 | round / 100) (\(.scratch.steps)) | \((.scratch.test - .inherited.test) * 10000 | round / 100) | \(.inherited.heldout * 10000 | round / 100) | \(.scratch.heldout * 10000 | round / 100) | \(.scratch.train_seconds) |"' "$OUT/level-$level.json"
done
