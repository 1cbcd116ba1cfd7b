#!/usr/bin/env bash
# Training steps under three native-heap settings, interleaved round by round: glibc's defaults (the project's
# mallopt switched off), the project's settings (src/ElasticVit/Nn/NativeHeap.cs), and those plus transparent huge
# pages for malloc (the GLIBC_TUNABLES the launcher sets). Prints the mean step time after warm-up, the process's page
# faults and its CPU time. Usage: bench/heap-settings.sh ROUNDS STEPS CLI [CLI...] (CLI: a built ElasticVit.Cli binary;
# give two to compare builds in the same rounds).
set -euo pipefail
rounds=${1:?rounds}; steps=${2:?steps}; shift 2
[ $# -ge 1 ] || { echo "usage: $0 ROUNDS STEPS CLI [CLI...]" >&2; exit 2; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
lscpu | grep -E '^Model name|^CPU family|^Model:' | tr -s ' '
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-6s %-28s %-18s %12s %12s %12s\n' round cli setting "ms/step" "page faults" "cpu s"
for r in $(seq 1 "$rounds"); do
  for cli in "$@"; do
    for setting in defaults project project+hugetlb; do
      env=(X=1)
      case $setting in
        defaults) env=(ELASTICVIT_GLIBC_HEAP=1) ;;
        project+hugetlb) env=(GLIBC_TUNABLES=glibc.malloc.hugetlb=1) ;;
      esac
      rm -rf "$work/run"
      env "${env[@]}" perf stat -x, -e page-faults,task-clock -o "$work/stat" "$cli" train --space elasticvit-fmnist-lite \
        --steps "$steps" --max-first 0 --probe-every 0 --checkpoint-every 100000 --seed 0 --out "$work/run" >/dev/null 2>&1
      ms=$(python3 -c "
import json,statistics,sys
rows=[json.loads(l) for l in open(sys.argv[1]) if 'step_seconds' in l][10:]
print(round(1000*statistics.mean(r['step_seconds'] for r in rows),1))" "$work/run/metrics.jsonl")
      faults=$(grep page-faults "$work/stat" | cut -d, -f1)
      cpu=$(grep task-clock "$work/stat" | cut -d, -f1 | awk '{printf "%.1f", $1/1000}')
      printf '%-6s %-28s %-18s %12s %12s %12s\n' "$r" "$(basename "$(dirname "$cli")")" "$setting" "$ms" "$faults" "$cpu"
    done
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
