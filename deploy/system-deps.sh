#!/usr/bin/env bash
# The Debian packages Guanjia needs outside Python, checked and, when missing, installed.
#
#   deploy/system-deps.sh run    serving: a CJK font (reports, PDFs) and Pango (WeasyPrint)
#   deploy/system-deps.sh test   the suite: the above, Chromium (browser tests) and nginx
#                                (the proxy test)
#
# Nothing missing: silent, exit 0. Something missing: installed with apt-get when this user
# may (root, or sudo without a password); otherwise it stops at once (exit 1) and prints the
# one command to run. GUANJIA_SKIP_SYSTEM_DEPS=1 skips the check (a machine that provides
# them some other way). `make run`, `make test` and .ci/run call it.
# GUANJIA_SYSTEM_DEPS_PATH_ONLY=1 looks for programs on PATH only, not in the sbin
# directories too (tests/test_system_deps.py plays the decisions with a PATH of its own).
set -euo pipefail

mode="${1:-test}"
case "$mode" in
  run | test) ;;
  *)
    echo "usage: $0 [run|test]" >&2
    exit 2
    ;;
esac
if [ "${GUANJIA_SKIP_SYSTEM_DEPS:-}" = 1 ]; then
  exit 0
fi

# What is there: each check looks the way the code that needs it does.
has_command() {
  # PATH first; sbin directories too, which a non-root PATH often lacks (nginx, ldconfig).
  command -v "$1" >/dev/null 2>&1 && return 0
  [ -z "${GUANJIA_SYSTEM_DEPS_PATH_ONLY:-}" ] && { [ -x "/usr/sbin/$1" ] || [ -x "/sbin/$1" ]; }
}
has_cjk_font() {
  # grep reads to the end (no -q): an early exit would fail the pipe under pipefail.
  has_command fc-list && fc-list 2>/dev/null | grep -i "Noto Sans CJK" >/dev/null
}
has_library() {
  local ldconfig
  ldconfig="$(command -v ldconfig || true)"
  if [ -z "$ldconfig" ] && [ -z "${GUANJIA_SYSTEM_DEPS_PATH_ONLY:-}" ]; then
    for candidate in /usr/sbin/ldconfig /sbin/ldconfig; do
      [ -x "$candidate" ] && ldconfig="$candidate" && break
    done
  fi
  [ -n "$ldconfig" ] && "$ldconfig" -p 2>/dev/null | grep -F "$1" >/dev/null
}

missing_packages() {
  local missing=()
  has_cjk_font || missing+=(fonts-noto-cjk)
  has_library "libpango-1.0.so" || missing+=(libpango-1.0-0)
  has_library "libpangoft2-1.0.so" || missing+=(libpangoft2-1.0-0)
  if [ "$mode" = test ]; then
    has_command chromium || missing+=(chromium)
    has_command nginx || missing+=(nginx)
  fi
  echo "${missing[@]}"
}

read -r -a missing <<<"$(missing_packages)"
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

install_command="apt-get update && apt-get install -y ${missing[*]}"
echo "Missing system packages for 'make $mode': ${missing[*]}" >&2

# Who may install: root, or a user whose sudo needs no password. Nobody else waits at a
# password prompt: the command is printed and make stops.
runner=()
if ! has_command apt-get; then
  runner=(none)
elif [ "$(id -u)" = 0 ]; then
  runner=()
elif has_command sudo && sudo -n true >/dev/null 2>&1; then
  runner=(sudo -n)
else
  runner=(none)
fi
if [ "${runner[*]-}" = none ]; then
  echo "Install them, then run make again:" >&2
  echo "  sudo sh -c '$install_command'" >&2
  exit 1
fi

echo "Installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${runner[@]}" apt-get update -qq
"${runner[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
if has_command fc-cache; then
  fc-cache -f >/dev/null 2>&1 || true
fi

read -r -a still <<<"$(missing_packages)"
if [ "${#still[@]}" -ne 0 ]; then
  echo "Still missing after apt-get: ${still[*]}" >&2
  exit 1
fi
