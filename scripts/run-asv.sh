#!/usr/bin/env bash
# asv: run the benchmarks on this checkout in the current environment (results/asv), then
# publish the HTML (reports/asv). Arguments go to `asv run` (e.g. --quick, --bench REGEX).
# ASV_CONF picks another config file; ASV_MACHINE names the machine (CI: a fixed name, so
# the history of every night lands under the same machine whatever the runner's hostname).
# Exits 1 if a benchmark failed: `asv run` exits 0 when a benchmark returns no value, so the
# saved results are checked too.
set -euo pipefail
cd "$(dirname "$0")/.."
conf="${ASV_CONF:-asv.conf.json}"
machine=()
if [ -n "${ASV_MACHINE:-}" ]; then
  machine=(--machine "$ASV_MACHINE")
  python -m asv machine --yes --config "$conf" "${machine[@]}" >/dev/null
elif [ ! -f "$HOME/.asv-machine.json" ]; then
  python -m asv machine --yes --config "$conf" >/dev/null
fi
commit="$(git rev-parse HEAD)"
status=0
python -m asv run --python=same --set-commit-hash "$commit" --config "$conf" --show-stderr \
  "${machine[@]}" "$@" || status=$?
python -m asv publish --config "$conf"
python scripts/asv_failures.py --config "$conf" --commit "$commit" "${machine[@]}" || status=1
exit $(( status == 0 ? 0 : 1 ))
