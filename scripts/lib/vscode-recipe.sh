# Shared by scripts/e2e.sh and scripts/vsix.sh (sourced, not run): what it takes to drive a real
# VS Code here -- the shared vscode-e2e recipe (code-server + Chromium), the node dependencies,
# the built extension, and a throwaway copy of the example workspace.
#
# Expects ROOT (the repo) and defines RECIPE; `cannot` exits 3, which the pytest wrappers
# read as "the recipe could not run here" (a skip, or a failure under REQUIRE_VSCODE=1).

RECIPES=${SEAMLINE_RECIPES:-$ROOT/../shared/recipes}
RECIPE=$RECIPES/vscode-e2e
cannot() { echo "e2e: cannot run: $*" >&2; exit 3; }

# The recipe installed, its VSCODE_E2E_* variables exported, node deps installed, extension built.
recipe_ready() {
  [ -f "$RECIPE/install.sh" ] && [ -f "$RECIPE/run-extension-tests.mjs" ] \
    || cannot "no vscode-e2e recipe at $RECIPE (set SEAMLINE_RECIPES to the shared recipes folder)"
  if ! command -v npm >/dev/null && [ "$(id -u)" = 0 ]; then
    echo "e2e: installing nodejs and npm with apt-get" >&2
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; } \
      || cannot "could not install nodejs/npm with apt-get"
  fi
  command -v npm >/dev/null || cannot "npm is not installed"
  bash "$RECIPE/install.sh" >/tmp/seamline-e2e-install.log 2>&1 \
    || { tail -20 /tmp/seamline-e2e-install.log >&2; cannot "the recipe's install.sh failed (log above)"; }
  # shellcheck disable=SC1090
  source <(bash "$RECIPE/install.sh" --env)

  # The server runs from the repo's venv.
  [ -x "$ROOT/.venv/bin/python" ] || bash "$ROOT/scripts/setup.sh"
  "$ROOT/.venv/bin/python" -c 'import seamline.lsp.server' 2>/dev/null \
    || echo "e2e: warning: seamline.lsp.server does not import; tests that need the server will fail" >&2

  # Node dependencies: npm ci when package-lock.json changed since the last install.
  local want
  want=$(sha1sum "$ROOT/package-lock.json" | cut -d' ' -f1)
  if [ ! -f "$ROOT/node_modules/.seamline-lock" ] || [ "$(cat "$ROOT/node_modules/.seamline-lock")" != "$want" ]; then
    (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error) || cannot "npm ci failed (is the npm registry reachable?)"
    echo "$want" > "$ROOT/node_modules/.seamline-lock"
  fi
  (cd "$ROOT" && npm run -s build && npm run -s compile-tests)
}

# A copy of the demo's example app under $1 (code actions write files into it), with settings that
# point the interpreter at this checkout's venv and use the image tags this machine has locally.
fresh_workspace() {
  local ws=$1
  rm -rf "$ws"; cp -r "$ROOT/examples/fastapi_items" "$ws"; mkdir -p "$ws/.vscode"
  printf '{\n  "seamline.interpreter": "%s",\n  "seamline.logLevel": "debug",\n  "seamline.images": {"postgres": "postgres:15", "redis": "redis:7"}\n}\n' \
    "$ROOT/.venv/bin/python" > "$ws/.vscode/settings.json"
  echo "$ws"
}
