#!/usr/bin/env bash
# The project's test command (.ci/run runs exactly this): installs what the machine lacks
# (scripts/setup.sh), builds the whole solution, runs every test. Extra arguments go to
# `dotnet test`, e.g. scripts/test.sh --filter FullyQualifiedName~Onnx
# Exit code: 0 when the build succeeded and every test passed.
set -euo pipefail

die() { echo "test.sh: error: $*" >&2; exit 1; }

root=$(cd -P "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
cd "$root"
command -v dotnet >/dev/null 2>&1 || die "dotnet not found on PATH; install the .NET 10 SDK"
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1

# Same lock as ./elasticvit: setup's apt steps and builds into src/*/obj never overlap with it.
# Only the build holds it; the tests run from their own bin/ folders. Children must not inherit
# fd 9 (a build server left running would hold the lock).
mkdir -p .build
exec 9>.build/lock
flock 9
scripts/setup.sh --tests 9>&-
echo "test.sh: building ElasticVit.slnx (Release)" >&2
if ! dotnet build ElasticVit.slnx -c Release -nologo -v quiet -clp:NoSummary >.build/test-build.log 2>&1 9>&-; then
  # MSBuild can repeat a diagnostic; show each once, or the whole log if none matched.
  grep -E ': (error|warning) ' .build/test-build.log | awk '!seen[$0]++' >&2 || cat .build/test-build.log >&2
  die "build failed (full log: .build/test-build.log)"
fi
exec 9>&-

results="$root/.build/test-results"
rm -rf "$results"
status=0
mkdir -p "$results"
dotnet test ElasticVit.slnx -c Release --no-build --nologo \
  --logger "console;verbosity=normal" --logger "trx" --results-directory "$results" "$@" 2>&1 \
  | tee "$results/console.log" || status=$?

# A CI log is often read from its end: repeat each failed test's name and message (or a crash) there.
# At most 200 lines, counted inside awk: a reader that stops early (head) would fail this pipefail script.
awk 'function out(line) { if (++n <= 200) print line }
  /^  Failed [A-Za-z]/ { show = 1; out("") } /^  Stack Trace:/ { show = 0 } show || /host process crashed/ { out($0) }' \
  "$results/console.log" | sed '1s/^$/failed tests (their messages; stack traces above):/'

# One closing line summed over all test projects (from the TRX files' counters).
if compgen -G "$results/*.trx" >/dev/null; then
  grep -ho '<Counters [^>]*>' "$results"/*.trx | awk '
    function attr(name) { return match($0, name "=\"[0-9]+\"") ? substr($0, RSTART + length(name) + 2, RLENGTH - length(name) - 3) + 0 : 0 }
    { p += attr("passed"); f += attr("failed") + attr("error") + attr("timeout") + attr("aborted"); s += attr("total") - attr("executed") }
    END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }'
fi
exit "$status"
