#!/usr/bin/env bash
# Run the VS Code extension's tests inside a real VS Code (code-server, driven headless by the
# shared vscode-e2e recipe), against the real language server and a copy of examples/fastapi_items.
# Saves screenshots to out/screenshots/ (the code-action menu on a handler, the panel, the panel in
# Restricted Mode), or to SEAMLINE_E2E_SHOTS_DIR; copy them to docs/screenshots/ by hand to refresh
# the README's, so a test run never changes tracked files.
#
#   bash scripts/e2e.sh [all|trusted|untrusted]
#
#   trusted     the main suite (extension/src/test/suite) and its UI checks, workspace trust off
#   untrusted   Restricted Mode (extension/src/test/untrusted): workspace trust on and the workspace
#               not trusted, through scripts/code-server-untrusted.cjs; then its UI check
#   all         both (the default)
#
#   SEAMLINE_RECIPES=DIR     the shared recipes folder (default: ../shared/recipes next to the repo)
#   SEAMLINE_E2E_SHOTS=0     skip the UI checks and screenshots (scripts/e2e-screenshots.mjs)
#   SEAMLINE_E2E_ENV=0|1     start the compose environment for the running-panel screenshot
#                            (default: when docker answers and has postgres:15 and redis:7)
#   VSCODE_E2E_VERBOSE=1     show code-server's own log
#
# Exit codes: 0 passed; 1 tests failed; 3 the recipe could not run here (no recipe, install failed,
# npm could not install) -- tests/extension/test_vscode_e2e.py skips on 3 unless REQUIRE_VSCODE=1.
set -euo pipefail
cd "$(dirname "$0")/.."
MODE=${1:-all}
case $MODE in all|trusted|untrusted) ;; *) echo "usage: bash scripts/e2e.sh [all|trusted|untrusted]" >&2; exit 2 ;; esac
ROOT=$(pwd)
# shellcheck source=scripts/lib/vscode-recipe.sh
source scripts/lib/vscode-recipe.sh
recipe_ready

# Work on a copy of the fixture: code actions write files into it. Its settings point the
# interpreter at this checkout's venv with an absolute path.
TMP=$(mktemp -d /tmp/seamline-e2e.XXXXXX)
cleanup() {
  # Whatever environment the screenshot run started in its copy is removed (scoped to that folder);
  # the untrusted copy too, should a broken trust gate have started one there.
  for d in shots untrusted; do
    [ -f "$TMP/$d/compose.test.yaml" ] && timeout 120 .venv/bin/python -m seamline.cli env down "$TMP/$d" >/dev/null 2>&1 || true
  done
  rm -rf "$TMP"
}
trap cleanup EXIT
# A workspace that tries what Restricted Mode must stop: its settings name an interpreter inside
# the workspace (a script that leaves a marker, then runs the real one) and images no engine has.
# VS Code must hand out the user's values of these restricted settings instead.
untrusted_workspace() {
  local ws
  ws=$(fresh_workspace "$TMP/$1")
  mkdir -p "$ws/.venv/bin"
  printf '#!/bin/sh\ntouch "%s/RAN-WORKSPACE-INTERPRETER"\nexec "%s" "$@"\n' "$ws" "$ROOT/.venv/bin/python" > "$ws/.venv/bin/python"
  chmod +x "$ws/.venv/bin/python"
  printf '{\n  "seamline.interpreter": "${workspaceFolder}/.venv/bin/python",\n  "seamline.logLevel": "debug",\n  "seamline.images": {"postgres": "untrusted-only/postgres:0", "redis": "untrusted-only/redis:0"}\n}\n' \
    > "$ws/.vscode/settings.json"
  echo "$ws"
}
# code-server through the wrapper that keeps workspace trust on, with the user settings that a
# user of an untrusted workspace would have.
untrusted_env() {
  env CI=true VSCODE_E2E_CODE_SERVER="$ROOT/scripts/code-server-untrusted.cjs" \
    SEAMLINE_E2E_REAL_CODE_SERVER="$VSCODE_E2E_CODE_SERVER" \
    SEAMLINE_E2E_USER_SETTINGS="{\"seamline.interpreter\": \"$ROOT/.venv/bin/python\", \"seamline.images\": {\"postgres\": \"postgres:15\", \"redis\": \"redis:7\"}}" \
    "$@"
}

SHOTS_DIR=${SEAMLINE_E2E_SHOTS_DIR:-out/screenshots}
mkdir -p "$SHOTS_DIR"
rc=0
if [ "$MODE" != untrusted ]; then
  echo "e2e: extension tests (mocha, in the extension host)"
  ws=$(fresh_workspace "$TMP/all")
  env CI=true "$VSCODE_E2E_NODE" "$RECIPE/run-extension-tests.mjs" \
    --extension "$ROOT" --tests "$ROOT/out/test/suite/index.js" --workspace "$ws" \
    --timeout "${SEAMLINE_E2E_TIMEOUT:-300}" || rc=$?

  if [ "${SEAMLINE_E2E_SHOTS:-1}" = 1 ]; then
    envflag=()
    if [ "${SEAMLINE_E2E_ENV:-auto}" = 1 ] || { [ "${SEAMLINE_E2E_ENV:-auto}" = auto ] &&
         timeout 10 docker image inspect postgres:15 redis:7 >/dev/null 2>&1; }; then
      envflag=(--env)
    fi
    echo "e2e: UI checks and screenshots ${envflag[*]:+(with a running environment)}"
    ws=$(fresh_workspace "$TMP/shots")
    "$VSCODE_E2E_NODE" scripts/e2e-screenshots.mjs --extension "$ROOT" --workspace "$ws" \
      --out "$SHOTS_DIR" --timeout "${SEAMLINE_E2E_TIMEOUT:-420}" "${envflag[@]}" || rc=$?
  fi
fi

if [ "$MODE" != trusted ]; then
  echo "e2e: untrusted workspace (Restricted Mode): extension tests"
  ws=$(untrusted_workspace untrusted)
  untrusted_env "$VSCODE_E2E_NODE" "$RECIPE/run-extension-tests.mjs" \
    --extension "$ROOT" --tests "$ROOT/out/test/untrusted/index.js" --workspace "$ws" \
    --timeout "${SEAMLINE_E2E_TIMEOUT:-300}" || rc=$?
  if [ "${SEAMLINE_E2E_SHOTS:-1}" = 1 ]; then
    echo "e2e: untrusted workspace: UI check and screenshot"
    ws=$(untrusted_workspace untrusted-shots)
    untrusted_env "$VSCODE_E2E_NODE" scripts/e2e-screenshots.mjs --untrusted --extension "$ROOT" --workspace "$ws" \
      --out "$SHOTS_DIR" --timeout "${SEAMLINE_E2E_TIMEOUT:-300}" || rc=$?
  fi
fi
[ $rc -eq 0 ] && echo "e2e: passed; screenshots in $SHOTS_DIR/" || echo "e2e: FAILED (exit $rc)" >&2
exit $rc
