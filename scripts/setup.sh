#!/usr/bin/env bash
# Installs what ElasticViT for .NET needs on the machine, and nothing when it is already there:
#   1. Debian's dataset-fashion-mnist (the built-in real dataset), python3-onnx (an independent
#      validator for the ONNX files the project writes: onnx.checker and shape inference),
#      libfontconfig1 (SkiaSharp's native library needs it: plots, image-folder datasets) and
#      openmpi-bin (mpirun: training and search spread over processes and machines);
#   2. a libstdc++ that exports GLIBCXX_3.4.32 (TorchSharp-cpu 0.107's native shim needs it).
# With --tests (scripts/test.sh) also python3-opencv: the tests check portable ONNX exports in OpenCV's DNN module.
# Idempotent: a second run does no apt work. The libstdc++ step is the last apt step on purpose
# (after it, bookworm's -dev packages can no longer be installed).
set -euo pipefail

log() { echo "[setup] $*" >&2; }
die() { echo "[setup] error: $*" >&2; exit 1; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi
fi

apt_updated=0
apt_update() {
  if [ "$apt_updated" -eq 0 ]; then
    $SUDO apt-get update -qq >/dev/null || die "apt-get update failed"
    apt_updated=1
  fi
}

is_debian() { [ -r /etc/os-release ] && . /etc/os-release && [ "${ID:-}" = "debian" ]; }

# --- 1. apt packages --------------------------------------------------------------------------
FMNIST_DIR=/usr/share/datasets/fashion-mnist
need_pkgs=()
if [ "${1:-}" = "--tests" ]; then
  compgen -G "/usr/lib/python3/dist-packages/cv2*" >/dev/null || need_pkgs+=(python3-opencv)
fi
[ -f "$FMNIST_DIR/t10k-labels-idx1-ubyte.gz" ] || need_pkgs+=(dataset-fashion-mnist)
# A file test instead of `/usr/bin/python3 -c 'import onnx'` keeps the no-op path fast; this is
# the module Debian's python3-onnx installs for the system Python (/usr/bin/python3).
[ -f /usr/lib/python3/dist-packages/onnx/__init__.py ] || need_pkgs+=(python3-onnx)
# SkiaSharp's native library (PNG plots, image-folder datasets) links against fontconfig; its
# package also brings a font for the plots' text.
# Open MPI runs training and search as a job of several processes (mpirun); nothing needs it otherwise.
command -v mpirun >/dev/null 2>&1 || need_pkgs+=(openmpi-bin)
compgen -G "/usr/lib/*/libfontconfig.so.1" >/dev/null || compgen -G "/usr/lib/libfontconfig.so.1" >/dev/null || need_pkgs+=(libfontconfig1)
if [ "${#need_pkgs[@]}" -gt 0 ] && ! command -v apt-get >/dev/null 2>&1; then
  # Without apt only the dataset is essential; the ONNX validator is optional.
  case " ${need_pkgs[*]} " in
    *" dataset-fashion-mnist "*) die "Fashion-MNIST missing and no apt-get; install it into $FMNIST_DIR or pass --data-dir" ;;
  esac
  log "warning: no apt-get; Python's onnx and OpenCV packages (independent checks of the ONNX exports) and Open MPI are not installed"
  need_pkgs=()
fi
if [ "${#need_pkgs[@]}" -gt 0 ]; then
  log "installing ${need_pkgs[*]}"
  apt_update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null \
    || die "apt-get install ${need_pkgs[*]} failed"
fi

# --- 2. libstdc++ with GLIBCXX_3.4.32 (must stay the last apt step) ------------------------------
has_glibcxx() {
  local lib
  lib=$(ldconfig -p 2>/dev/null | awk '/libstdc\+\+\.so\.6 .*x86-64/ {print $NF; exit}')
  [ -n "$lib" ] || lib=$(ldconfig -p 2>/dev/null | awk '/libstdc\+\+\.so\.6 / {print $NF; exit}')
  [ -n "$lib" ] && grep -qa 'GLIBCXX_3.4.32' "$lib"
}

if ! has_glibcxx; then
  version_id=""
  if is_debian; then version_id=$(. /etc/os-release && echo "${VERSION_ID:-}"); fi
  [ "$version_id" = "12" ] || die "TorchSharp needs libstdc++ with GLIBCXX_3.4.32 (GCC >= 13); install a newer libstdc++6 on this system"
  # Reuse the URIs of the machine's own Debian source; never hard-code a mirror host.
  uris=""
  if compgen -G "/etc/apt/sources.list.d/*.sources" >/dev/null; then
    uris=$(awk '/^URIs:/ {for (i = 2; i <= NF; i++) print $i}' /etc/apt/sources.list.d/*.sources \
             | grep -v -- '-security' | grep -v 'security\.' | head -n 1 || true)
  fi
  if [ -z "$uris" ] && [ -f /etc/apt/sources.list ]; then
    uris=$(awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' /etc/apt/sources.list || true)
  fi
  [ -n "$uris" ] || die "no Debian source URI found in /etc/apt to add the trixie suite from"
  log "adding trixie (pin 100) from $uris for libstdc++6 with GLIBCXX_3.4.32"
  printf 'Types: deb\nURIs: %s\nSuites: trixie\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$uris" \
    | $SUDO tee /etc/apt/sources.list.d/elasticvit-trixie.sources >/dev/null
  printf 'Package: *\nPin: release n=trixie\nPin-Priority: 100\n' \
    | $SUDO tee /etc/apt/preferences.d/elasticvit-trixie-pin >/dev/null
  apt_updated=0
  apt_update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends -t trixie libstdc++6 >/dev/null \
    || die "installing libstdc++6 from trixie failed"
  $SUDO ldconfig || true
  has_glibcxx || die "libstdc++ still lacks GLIBCXX_3.4.32 after the upgrade"
  log "libstdc++ now provides GLIBCXX_3.4.32"
fi
