#!/usr/bin/env bash
# Install what the tests need: the package with its test extras, and headless Chromium
# (Debian's package) for the report's browser test.
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install -e ".[test]"
if ! command -v chromium >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
chromium --version
# auto-sklearn's own Python 3.9 environment (the tests run it for real)
python -m harness env setup autosklearn
