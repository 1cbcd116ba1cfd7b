#!/usr/bin/env bash
# Proves that the README's two commands work on a brand-new machine: builds a clean Debian 12
# (debootstrap --variant=minbase) in a temporary folder, gives it the .NET SDK, copies the
# repository (git HEAD) into it and runs, inside that chroot:
#   1. scripts/test.sh                                      (the test command)
#   2. ./elasticvit quickstart --minutes 1 --out /tmp/qs    (the main job; see --main)
# and prints PASS/FAIL with durations per step. Needs root; installs debootstrap if missing.
#
# Usage: scripts/fresh-machine-test.sh [--tests-only | --main-only] [--main CMD] [--check CMD] [--worktree] [--keep]
#   --tests-only  skip the main job (step 2)
#   --main-only   skip the tests (step 1): the main job then meets the machine as fresh as a user's first
#                 command does, so its time includes the setup and the first build
#   --main CMD    main job command, run from the repository root in the chroot
#                 (default: $FRESH_MAIN_CMD, else the command above)
#   --check CMD   one more command to run after the tests (e.g. --check ./elasticvit)
#   --worktree    copy the working tree (without bin/, obj/, .build/) instead of git HEAD
#   --keep        keep the chroot folder afterwards (for inspection; it is printed)
#
# What "a brand-new machine with the .NET SDK" gets from this script, and what it does not:
# the SDK itself (bind-mounted read-only from this machine) and the SDK's own runtime
# prerequisites from Microsoft's list for Debian 12 (ca-certificates, libc6, libgcc-s1,
# libgssapi-krb5-2, libicu72 -- the SDK's tools need ICU even though the project's programs run
# with InvariantGlobalization --, libssl3, libstdc++6, zlib1g), plus this machine's network
# settings (resolv.conf, hosts, locally trusted CA certificates, DOTNET_*/NUGET_*/proxy variables).
# Everything the project itself needs (Fashion-MNIST, python3-onnx, a libstdc++ with
# GLIBCXX_3.4.32, the NuGet packages) must be installed by the README's commands; the NuGet cache
# in the chroot starts empty.
set -euo pipefail

log() { echo "[fresh] $*" >&2; }
die() { echo "[fresh] error: $*" >&2; exit 1; }

repo=$(cd -P "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
main_cmd=${FRESH_MAIN_CMD:-./elasticvit quickstart --minutes 1 --out /tmp/qs}
check_cmd=""
tests_only=0
main_only=0
use_worktree=0
keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --tests-only) tests_only=1 ;;
    --main-only) main_only=1 ;;
    --main) [ $# -ge 2 ] || die "--main needs a command"; main_cmd=$2; shift ;;
    --check) [ $# -ge 2 ] || die "--check needs a command"; check_cmd=$2; shift ;;
    --worktree) use_worktree=1 ;;
    --keep) keep=1 ;;
    -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
  shift
done

[ "$tests_only" -eq 0 ] || [ "$main_only" -eq 0 ] || die "--tests-only and --main-only exclude each other"
[ "$(id -u)" -eq 0 ] || die "must run as root (debootstrap, chroot, mount)"
dotnet_bin=$(command -v dotnet) || die "dotnet not found on PATH; this script lends this machine's .NET SDK to the chroot"
sdk_dir=$(dirname "$(readlink -f "$dotnet_bin")")
[ -x "$sdk_dir/dotnet" ] && [ -d "$sdk_dir/sdk" ] || die "no .NET SDK layout at $sdk_dir"
[ "$use_worktree" -eq 1 ] || git -C "$repo" rev-parse --verify -q HEAD >/dev/null || die "not a git repository with a commit: $repo"

# The Debian mirror: the first non-security URI of this machine's own apt sources.
mirror=""
if compgen -G "/etc/apt/sources.list.d/*.sources" >/dev/null; then
  mirror=$(awk '/^URIs:/ {for (i = 2; i <= NF; i++) print $i}' /etc/apt/sources.list.d/*.sources \
             | grep -v -- '-security' | grep -v 'security\.' | head -n 1 || true)
fi
if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
  mirror=$(awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' /etc/apt/sources.list || true)
fi
[ -n "$mirror" ] || die "no Debian mirror URI found in /etc/apt"

if ! command -v debootstrap >/dev/null 2>&1; then
  log "installing debootstrap"
  apt-get update -qq >/dev/null || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null \
    || die "apt-get install debootstrap failed"
fi

root=$(readlink -f "$(mktemp -d "${FRESH_TMPDIR:-/var/tmp}/elasticvit-fresh.XXXXXX")")
chmod 755 "$root" # mktemp makes it 0700; apt's _apt user must be able to reach the chroot's files
logs="$root.logs"
mkdir -p "$logs"
chroot_repo=/root/elasticvit

# Processes left inside the chroot (e.g. .NET build servers) would keep its mounts busy; they are
# ours (started by the steps below), found by their root directory and ended by PID.
kill_chroot_procs() {
  local p r pids=()
  for p in /proc/[0-9]*; do
    r=$(readlink "$p/root" 2>/dev/null) || continue
    if [ "$r" = "$root" ]; then pids+=("${p#/proc/}"); fi
  done
  if [ "${#pids[@]}" -gt 0 ]; then
    kill "${pids[@]}" 2>/dev/null || true
    sleep 2
    kill -9 "${pids[@]}" 2>/dev/null || true
  fi
}

# Mount points under $root, deepest first (reverse lexical order puts dev/pts before dev).
mounts_left() { awk -v r="$root" '$2 == r || index($2, r "/") == 1 { print $2 }' /proc/mounts | sort -r; }

cleanup() {
  local rc=$? m
  set +e
  if [ -x "$root/usr/share/dotnet/dotnet" ]; then
    chroot "$root" /usr/bin/env -i PATH=/usr/share/dotnet:/usr/bin:/bin HOME=/root \
      dotnet build-server shutdown >/dev/null 2>&1
  fi
  kill_chroot_procs
  while IFS= read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
  done < <(mounts_left)
  if [ -n "$(mounts_left)" ]; then
    # Never delete through a bind mount (the SDK, /dev): leave the folder instead.
    log "warning: mounts still present under $root; not deleting it:"
    mounts_left >&2
  elif [ "$keep" -eq 1 ]; then
    log "kept the chroot: $root"
  else
    rm -rf --one-file-system "$root"
  fi
  log "logs: $logs"
  exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

bind() { # bind SRC DST [ro]
  mkdir -p "$2"
  mount --bind "$1" "$2"
  if [ "${3:-}" = ro ]; then mount -o remount,bind,ro "$2" 2>/dev/null || log "note: could not make $2 read-only"; fi
}

# --- steps, each timed ---------------------------------------------------------------------------
# step NAME COMMAND...: runs COMMAND (a function or program) in a subshell with errexit on, its
# output to the terminal and to $logs/NN.log; records PASS/FAIL and the duration; sets step_ok.
# Never call it in an `if`/`||` context: bash would then ignore errexit inside COMMAND.
names=() results=() durations=() step_ok=0
step() {
  local name=$1 start end rc n
  shift
  n=$(( ${#names[@]} + 1 ))
  log "=== step $n: $name"
  start=$(date +%s.%N)
  set +e
  ( set -e; "$@" ) 2>&1 | tee "$logs/$(printf %02d "$n").log"
  rc=${PIPESTATUS[0]}
  set -e
  end=$(date +%s.%N)
  names+=("$name")
  durations+=("$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.0f", b - a }')")
  if [ "$rc" -eq 0 ]; then results+=(PASS); step_ok=1; else results+=("FAIL (exit $rc)"); step_ok=0; fi
}

summary() {
  local i
  echo
  echo "fresh-machine test summary (Debian 12 minbase chroot, mirror $mirror):"
  for i in "${!names[@]}"; do
    printf '  %-16s %5ss  %s\n' "${results[i]}" "${durations[i]}" "${names[i]}"
  done
}

# Runs a command as root inside the chroot, from the repository, with a clean environment plus
# this machine's .NET/NuGet/proxy variables.
in_chroot() {
  local -a envs=(HOME=/root LANG=C.UTF-8 TERM="${TERM:-dumb}" DOTNET_ROOT=/usr/share/dotnet
                 PATH=/usr/share/dotnet:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)
  local v
  while IFS= read -r v; do
    case "$v" in DOTNET_ROOT=*|DOTNET_ROOT_*) ;; *) envs+=("$v") ;; esac
  done < <(env | grep -E '^(DOTNET_|NUGET_|https?_proxy=|no_proxy=|HTTPS?_PROXY=|NO_PROXY=)' || true)
  chroot "$root" /usr/bin/env -i "${envs[@]}" /bin/bash -c "cd $chroot_repo && $1"
}

make_base() {
  local keyring=()
  [ -f /usr/share/keyrings/debian-archive-keyring.gpg ] && keyring=(--keyring=/usr/share/keyrings/debian-archive-keyring.gpg)
  debootstrap --variant=minbase "${keyring[@]}" bookworm "$root" "$mirror"
}

give_sdk() {
  # Network settings of this machine.
  cp -L /etc/resolv.conf "$root/etc/resolv.conf"
  cp -L /etc/hosts "$root/etc/hosts"
  mount -t proc proc "$root/proc"
  bind /sys "$root/sys" ro
  bind /dev "$root/dev"
  bind /dev/pts "$root/dev/pts"
  # The SDK and its prerequisites (see the header: these are not the project's to install).
  bind "$sdk_dir" "$root/usr/share/dotnet" ro
  ln -sfn /usr/share/dotnet/dotnet "$root/usr/local/bin/dotnet"
  chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
    /bin/sh -c 'apt-get update -qq && apt-get install -y -qq --no-install-recommends \
      ca-certificates libc6 libgcc-s1 libgssapi-krb5-2 libicu72 libssl3 libstdc++6 zlib1g >/dev/null'
  # Locally trusted CAs of this machine (e.g. a TLS-inspecting proxy on the way to NuGet).
  if compgen -G "/usr/local/share/ca-certificates/*" >/dev/null; then
    cp -a /usr/local/share/ca-certificates/. "$root/usr/local/share/ca-certificates/"
    chroot "$root" /usr/sbin/update-ca-certificates >/dev/null
  fi
  echo "dotnet in the chroot: $(chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/share/dotnet:/usr/bin:/bin \
    DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 dotnet --version)"
}

# What the README commands are responsible for, as seen inside the chroot.
show_state() {
  cat >"$root/tmp/fresh-state.sh" <<'STATE'
. /etc/os-release; echo "system: $PRETTY_NAME"
if [ -f /usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz ]; then echo "Fashion-MNIST: present"; else echo "Fashion-MNIST: missing"; fi
lib=$(ldconfig -p | awk '/libstdc\+\+\.so\.6 / {print $NF; exit}')
if grep -qa GLIBCXX_3.4.32 "$lib"; then echo "GLIBCXX_3.4.32 in $lib: present"; else echo "GLIBCXX_3.4.32 in $lib: missing"; fi
if [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import onnx' 2>/dev/null; then echo "python3 onnx: present"; else echo "python3 onnx: missing"; fi
if compgen -G "/usr/lib/*/libfontconfig.so.1" >/dev/null; then echo "libfontconfig.so.1: present"; else echo "libfontconfig.so.1: missing"; fi
echo "NuGet packages cached: $(ls /root/.nuget/packages 2>/dev/null | wc -l)"
STATE
  in_chroot "bash /tmp/fresh-state.sh"
}

copy_repo() {
  mkdir -p "$root$chroot_repo"
  if [ "$use_worktree" -eq 1 ]; then
    tar -C "$repo" --exclude=./.git --exclude=bin --exclude=obj --exclude=./.build -cf - . \
      | tar -C "$root$chroot_repo" -xf -
  else
    git -C "$repo" archive --format=tar HEAD | tar -C "$root$chroot_repo" -xf -
    echo "copied git HEAD $(git -C "$repo" rev-parse --short HEAD)"
  fi
  show_state # the starting point the README commands face
}

log "chroot: $root  mirror: $mirror  SDK: $sdk_dir"
status=1
step "debootstrap bookworm minbase" make_base
if [ "$step_ok" -eq 1 ]; then step "give it the .NET SDK" give_sdk; fi
if [ "$step_ok" -eq 1 ]; then step "copy the repository" copy_repo; fi
if [ "$step_ok" -eq 1 ]; then
  status=0
  if [ "$main_only" -eq 0 ]; then
    step "scripts/test.sh" in_chroot scripts/test.sh
    [ "$step_ok" -eq 1 ] || status=1
  fi
  if [ -n "$check_cmd" ]; then
    step "$check_cmd" in_chroot "$check_cmd"
    [ "$step_ok" -eq 1 ] || status=1
  fi
  if [ "$tests_only" -eq 0 ]; then
    step "$main_cmd" in_chroot "$main_cmd"
    [ "$step_ok" -eq 1 ] || status=1
  fi
  log "state after the README commands:"
  show_state || true
fi
summary
if [ "$status" -eq 0 ]; then echo "fresh-machine test: PASS"; else echo "fresh-machine test: FAIL"; fi
exit "$status"
