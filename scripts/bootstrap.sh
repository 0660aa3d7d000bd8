#!/usr/bin/env bash
# Create .venv with the pinned dependencies. Needs only python3 (3.11+); on Debian, installs
# python3-venv through apt when the interpreter lacks venv/ensurepip and we are root.
set -euo pipefail
PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null; then
  echo "Tactful needs Python 3.11 or newer as '$PY'." >&2
  exit 1
fi
if ! "$PY" -c 'import ensurepip, venv' 2>/dev/null; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
  else
    echo "Python's venv module is missing: install python3-venv (apt-get install python3-venv)." >&2
    exit 1
  fi
fi
rm -rf .venv
"$PY" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check 'pip==26.3'
.venv/bin/python -m pip install -q --disable-pip-version-check -c requirements.lock -e '.[dev,spark]'
