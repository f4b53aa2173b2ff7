#!/usr/bin/env bash
# The demo: set everything up, then run Seamline's main job on a bundled example app and
# print what it did: scan -> generate tests -> create the environment -> run the tests.
# Idempotent: it works on a fresh copy of the example under .demo/ each time.
# Usage: bash scripts/demo.sh [EXAMPLE_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
EXAMPLE=${1:-examples/fastapi_items}
SEAMLINE=$(pwd)/.venv/bin/seamline
WORK=.demo/$(basename "$EXAMPLE")

echo
echo "== 0. a fresh copy of $EXAMPLE in $WORK (the example itself stays untouched)"
rm -rf "$WORK" && mkdir -p .demo && cp -r "$EXAMPLE" "$WORK"

echo
echo "== 1. scan: what Seamline reads from the code (static analysis; the app is never imported)"
"$SEAMLINE" scan "$WORK" --exit-zero

echo
echo "== 2. generate integration tests (files you review; re-running never clobbers your edits)"
"$SEAMLINE" gen tests "$WORK" --flows

echo
echo "== 3. create the compose test environment from the services the code uses"
"$SEAMLINE" gen compose "$WORK" --image postgres=postgres:15 --image redis=redis:7

echo
echo "== 4. run: start the environment, run the generated tests against it, classify failures, tear down"
fallback=
if ! { bash scripts/services.sh --docker && docker info >/dev/null 2>&1; }; then
  fallback=1
  if [ "${REQUIRE_DOCKER:-}" = 1 ]; then
    echo "No docker engine could be started, and REQUIRE_DOCKER=1 refuses the fallback run." >&2
    echo "Start one with: sudo systemctl start docker (generated files are in $WORK)" >&2
    exit 1
  fi
  echo "No docker engine could be started here, so seamline run falls back to what serves without one"
  echo "(SQLite in place of Postgres, in-process fakes) and says so: a fallback run, not the real services."
fi
set +e
"$SEAMLINE" run "$WORK" --flows
rc=$?
set -e
echo
if [ $rc -eq 1 ]; then
  echo "The failures above are the example's deliberate bugs, reported as findings at the handlers' lines."
  if [ -n "$fallback" ]; then
    echo "They come from a fallback run: bugs that only the real database shows (flask_notes' negative OFFSET,"
    echo "which Postgres rejects and SQLite accepts) are missed. Start docker for the real run."
  fi
elif [ $rc -ne 0 ]; then
  echo "seamline run ended with exit code $rc" >&2
  exit $rc
fi
echo
echo "Generated files: $WORK/tests/integration/ and $WORK/compose.test.yaml"
