#!/usr/bin/env bash
# Installs the Debian packages tests and benchmarks use: python-telegram-bot 13 for the Debian python3, and
# chromium for the status page's browser test (Playwright drives /usr/bin/chromium). Quick when all are present.
# Never fails `npm test`: as root it installs what is missing (an apt failure is reported, not fatal); as another
# user it prints what it could not install, and the tests that need it skip with one line saying so.
set -uo pipefail
need=()
/usr/bin/python3 -c 'import telegram' >/dev/null 2>&1 || need+=(python3-python-telegram-bot)
[ -x /usr/bin/chromium ] || need+=(chromium)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "install-system-deps: not root, not installed: ${need[*]} (the tests that need them skip; to run them: sudo apt-get install -y ${need[*]})" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -qq && apt-get install -y -qq "${need[@]}"; }; then
  echo "install-system-deps: apt-get could not install: ${need[*]} (the tests that need them skip)" >&2
fi
exit 0
