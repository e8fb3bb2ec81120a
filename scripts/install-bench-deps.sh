#!/usr/bin/env bash
# Installs what `npm run bench` compares against: Debian's supervisor (supervisord); PM2 comes from npm (devDependency).
# Only installs when missing; never starts the Debian service for good (it is stopped and disabled if apt started it).
set -euo pipefail
if command -v supervisord >/dev/null 2>&1 || [ -x /usr/bin/supervisord ]; then
  echo "supervisord present: $(/usr/bin/supervisord --version 2>/dev/null || supervisord --version)"
else
  if [ "$(id -u)" -ne 0 ]; then echo "install as root: apt-get install -y supervisor" >&2; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # policy-rc.d 101 keeps apt from starting the system-wide supervisord service; the bench runs its own.
  created_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; created_policy=1; fi
  apt-get install -y -qq supervisor
  if [ "$created_policy" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
  echo "supervisord installed: $(/usr/bin/supervisord --version)"
fi
if [ -x node_modules/.bin/pm2 ]; then
  echo "pm2 present: $(node -p "require('./node_modules/pm2/package.json').version")"
else
  echo "pm2 missing: run npm install (it is a devDependency)" >&2
fi
