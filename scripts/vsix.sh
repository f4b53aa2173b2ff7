#!/usr/bin/env bash
# Package the extension as a .vsix, install it into a clean VS Code (code-server with empty
# extension and user-data folders), and run the extension's activation and code-action tests
# against the packaged files rather than the source tree -- so a file the package forgot fails here.
#
#   bash scripts/vsix.sh [OUT.vsix]
#
# Prints the .vsix size and what it holds. Exit codes as scripts/e2e.sh: 0 passed, 1 failed,
# 3 the recipe could not run here.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
# shellcheck source=scripts/lib/vscode-recipe.sh
source scripts/lib/vscode-recipe.sh
recipe_ready

TMP=$(mktemp -d /tmp/seamline-vsix.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
VSIX=${1:-$TMP/seamline.vsix}
npx --no-install vsce package --allow-missing-repository --skip-license --no-rewrite-relative-links --out "$VSIX" >"$TMP/package.log" 2>&1 \
  || { cat "$TMP/package.log" >&2; echo "vsix: vsce package failed" >&2; exit 1; }
size=$(stat -c %s "$VSIX")
files=$(unzip -Z1 "$VSIX" | grep -c '^extension/' || true)
echo "vsix: $(basename "$VSIX") $((size / 1024)) KB, $files files"
# .vscodeignore is an allow-list; anything else in the package is a mistake (tests, screenshots, demo runs).
stray=$(unzip -Z1 "$VSIX" | grep '^extension/' \
  | grep -Ev '^extension/(package\.json|readme\.md|out/extension\.js|server/seamline/.*\.py)$' || true)
[ -z "$stray" ] || { echo "vsix: files that should not ship:" >&2; echo "$stray" | head -20 >&2; exit 1; }

# Install into a clean VS Code: empty extensions and user-data folders.
CS="$VSCODE_E2E_NODE $VSCODE_E2E_CODE_SERVER"
$CS --extensions-dir "$TMP/extensions" --user-data-dir "$TMP/user" --install-extension "$VSIX" >"$TMP/install.log" 2>&1 \
  || { cat "$TMP/install.log" >&2; echo "vsix: install failed" >&2; exit 1; }
listed=$($CS --extensions-dir "$TMP/extensions" --user-data-dir "$TMP/user" --list-extensions --show-versions 2>/dev/null)
echo "vsix: installed: $listed"
installed=$(find "$TMP/extensions" -maxdepth 1 -mindepth 1 -type d -name '*seamline*' | head -1)
[ -n "$installed" ] || { echo "vsix: the installed extension folder is missing" >&2; exit 1; }

# Run from the installed files: activation, the real server, a code action on a handler.
ws=$(fresh_workspace "$TMP/ws")
env CI=true SEAMLINE_E2E_GREP="${SEAMLINE_VSIX_GREP:-activates|code actions on a handler}" \
  "$VSCODE_E2E_NODE" "$RECIPE/run-extension-tests.mjs" \
  --extension "$installed" --tests "$ROOT/out/test/suite/index.js" --workspace "$ws" --timeout 240
echo "vsix: the installed extension passed"
