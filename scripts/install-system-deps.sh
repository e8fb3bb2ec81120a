#!/usr/bin/env bash
# Installs the Debian packages tests and benchmarks use: python-telegram-bot 13 for the Debian python3, and
# chromium for the status page's browser test (Playwright drives /usr/bin/chromium). Quick when all are present.
set -euo pipefail
need=()
/usr/bin/python3 -c 'import telegram' >/dev/null 2>&1 || need+=(python3-python-telegram-bot)
[ -x /usr/bin/chromium ] || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then echo "install as root: apt-get install -y ${need[*]}" >&2; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}"
fi
