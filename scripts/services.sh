#!/usr/bin/env bash
# Start the real things the tests use, when the tests will need them:
# a docker engine (shared recipe), and later a real VS Code.
set -euo pipefail
cd "$(dirname "$0")/.."
RECIPES=${SEAMLINE_RECIPES:-$(cd .. && pwd)/shared/recipes}
if [ -d tests/env ] || [ "${REQUIRE_DOCKER:-0}" = 1 ]; then
  if docker info >/dev/null 2>&1; then
    :
  elif [ -f "$RECIPES/docker-engine.sh" ] && [ "$(id -u)" = 0 ]; then
    echo "services: starting a docker engine ($RECIPES/docker-engine.sh)"
    bash "$RECIPES/docker-engine.sh" >/tmp/seamline-docker-engine.log 2>&1 \
      || { tail -20 /tmp/seamline-docker-engine.log >&2; echo "services: docker engine failed to start" >&2; exit 1; }
  else
    echo "services: no docker engine and no recipe to start one; docker tests will skip (or fail under REQUIRE_DOCKER=1)"
  fi
fi
