#!/usr/bin/env bash
# Processes vs threads on this machine: supernet training throughput (images/s of the quickstart's training
# configuration, cas-pas, batch 64) for 1 and 2 processes (Open MPI ranks) × 1 and 2 threads each, then the search's
# fitness evaluations per minute for 1 process × 2 threads against 2 ranks × 1 thread on one trained run.
# Configurations are interleaved round by round (the machine is noisy: compare within a round).
#   bench/distributed/run.sh [OUT_DIR]            ROUNDS=3 STEPS=60 SEARCH_ROUNDS=2 override the defaults
# Needs Open MPI (scripts/setup.sh installs openmpi-bin). Prints one line per run and a summary table.
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.."
OUT=${1:-runs/distributed-bench}
ROUNDS=${ROUNDS:-3}
STEPS=${STEPS:-60}
SEARCH_ROUNDS=${SEARCH_ROUNDS:-2}
command -v mpirun >/dev/null || { echo "error: mpirun not found; run scripts/setup.sh" >&2; exit 1; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
dotnet build src/ElasticVit.Cli -c Release -nologo -v quiet -o "$OUT/bin" >/dev/null
CLI=(dotnet "$OUT/bin/ElasticVit.Cli.dll")
mkdir -p "$OUT"
lscpu | grep -E '^(Model name|CPU family|Model|CPU\(s\)):' | sed 's/  */ /g'
echo "other load: $(uptime | sed 's/.*load average: //') (1/5/15-min load averages before the first run)"

launch() {   # launch RANKS THREADS ARGS... — one process, or a job of RANKS ranks (not bound to cores when they have 2 threads)
  local ranks=$1 threads=$2; shift 2
  if [ "$ranks" = 1 ]; then "${CLI[@]}" "$@" --threads "$threads"
  else mpirun -np "$ranks" --oversubscribe --bind-to "$([ "$threads" = 1 ] && echo core || echo none)" "${CLI[@]}" "$@" --threads "$threads"; fi
}

configs=("1 1" "1 2" "2 1" "2 2")
for round in $(seq 1 "$ROUNDS"); do
  for c in "${configs[@]}"; do
    set -- $c
    run="$OUT/train-r$round-p$1-t$2"
    rm -rf "$run"
    start=$(date +%s.%N)
    launch "$1" "$2" train --steps "$STEPS" --checkpoint-every 50 --probe-every 100 --seed 0 --out "$run" >"$run.log" 2>&1
    wall=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
    seconds=$(sed -E 's/.*"last_session_seconds":([0-9.]+).*/\1/' "$run/summary.json")
    echo "train round $round: $1 process(es) x $2 thread(s): $(awk -v n="$STEPS" -v s="$seconds" 'BEGIN { printf "%.1f", n * 64 / s }') images/s ($seconds s of steps, $wall s with start-up)"
  done
done

# Search on the first round's 2-thread run (a short supernet is enough: the evaluations cost the same).
RUN="$OUT/train-r1-p1-t2"
for round in $(seq 1 "$SEARCH_ROUNDS"); do
  for c in "1 2" "2 1"; do
    set -- $c
    out="$OUT/search-r$round-p$1-t$2.json"
    launch "$1" "$2" search --run "$RUN" --budget flops:10 --budget flops:20 --population 24 --generations 4 --seed 0 --out "$out" >"$out.log" 2>&1
    echo "search round $round: $1 process(es) x $2 thread(s): $(grep -o '"evaluations_per_minute": *[0-9.]*' "$out" | grep -o '[0-9.]*$') evaluations/min, $(grep -o '"seconds": *[0-9.]*' "$out" | tail -1 | grep -o '[0-9.]*$') s"
  done
done
