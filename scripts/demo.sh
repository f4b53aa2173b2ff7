#!/usr/bin/env bash
# The demo: set everything up, then run Seamline's main job on a bundled example app and
# print what it did. Idempotent. Usage: bash scripts/demo.sh [APP_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
APP=${1:-examples/fastapi_items}
SEAMLINE=.venv/bin/seamline

echo
echo "== 1. scan: what Seamline reads from $APP (static analysis, the app is never imported)"
$SEAMLINE scan "$APP"

echo
echo "== 2. the same model as JSON (what the editor and CI consume): endpoint count and first endpoint"
$SEAMLINE scan "$APP" --format json | .venv/bin/python -c '
import json, sys
p = json.load(sys.stdin)
kinds = sorted({s["kind"] for s in p["services"]})
print(len(p["endpoints"]), "endpoints; services:", ", ".join(kinds))
e = p["endpoints"][0]
print(json.dumps({k: e[k] for k in ("method", "path", "framework", "handler", "file", "line", "app")}, indent=2))'

echo
echo "Next steps (test generation, the compose environment and test runs) are added as they land; see README."
