#!/usr/bin/env bash
# Creates .venv-bots/ with the Python Bot API libraries pinned in examples/bots/requirements.txt (aiogram 3,
# python-telegram-bot 22, pyTelegramBotAPI), which the end-to-end tests and benchmarks run the example bots with.
# Idempotent: nothing happens when the venv was built from the same requirements (hash in .venv-bots/.requirements).
# Python: $BOTS_PYTHON, else /usr/bin/python3 (Debian's; python3-venv is installed when missing, as root), else python3.
# Usage: scripts/python-venv.sh [--soft]   --soft: when it cannot be built (no network, not root), say why in one
# line and exit 0; the tests that need it then skip, each saying why in one line. Without --soft such a failure
# exits 1 (CI).
set -euo pipefail
cd "$(dirname "$0")/.."
soft=0
[ "${1:-}" = "--soft" ] && soft=1
req=examples/bots/requirements.txt
venv=.venv-bots
stamp="$venv/.requirements"
want="$(sha256sum "$req" | cut -d' ' -f1)"
if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then exit 0; fi

fail() {
  echo "python-venv: $venv not built: $1" >&2
  rm -rf "$venv"
  if [ "$soft" -eq 1 ]; then exit 0; fi
  exit 1
}

python="${BOTS_PYTHON:-}"
if [ -z "$python" ]; then
  if [ -x /usr/bin/python3 ]; then python=/usr/bin/python3; else python="$(command -v python3 || true)"; fi
fi
[ -n "$python" ] || fail "no python3 found (install python3 and python3-venv, or set BOTS_PYTHON)"
if ! "$python" -c 'import ensurepip, venv' >/dev/null 2>&1; then
  if [ "$python" = /usr/bin/python3 ] && [ "$(id -u)" -eq 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null \
      || fail "apt-get install python3-venv failed"
  else
    fail "$python has no venv module: as root, apt-get install -y python3-venv"
  fi
fi

echo "python-venv: building $venv from $req with $("$python" --version 2>&1)" >&2
rm -rf "$venv"
"$python" -m venv "$venv" || fail "$python -m venv failed"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if ! "$venv/bin/python" -m pip install --disable-pip-version-check --no-input -q -r "$req" >"$log" 2>&1; then
  [ "$soft" -eq 1 ] || grep -v '^WARNING: Location' "$log" | tail -n 20 >&2
  fail "pip install -r $req failed (PyPI unreachable?)"
fi
echo "$want" >"$stamp"
echo "python-venv: $venv ready ($(grep -cE '^[A-Za-z]' "$req") packages)" >&2
