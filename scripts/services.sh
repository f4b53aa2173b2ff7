#!/usr/bin/env bash
# Start the real things the tests and the demo use: a docker engine from the shared recipe
# (the engine, compose v2 and locally built images; this machine cannot pull images).
# Usage: bash scripts/services.sh [--docker]     (idempotent; a running engine is reused)
set -euo pipefail
cd "$(dirname "$0")/.."
RECIPES=${SEAMLINE_RECIPES:-$(cd .. && pwd)/shared/recipes}
if docker info >/dev/null 2>&1; then
  exit 0
fi
if [ -f "$RECIPES/docker-engine.sh" ] && [ "$(id -u)" = 0 ]; then
  echo "services: starting a docker engine ($RECIPES/docker-engine.sh; about 90 s the first time)"
  if ! bash "$RECIPES/docker-engine.sh" >/tmp/seamline-docker-engine.log 2>&1; then
    tail -20 /tmp/seamline-docker-engine.log >&2
    echo "services: the docker engine failed to start (log: /tmp/seamline-docker-engine.log)" >&2
    exit 1
  fi
else
  echo "services: no docker engine, and no recipe at $RECIPES to start one (or not root)."
  echo "services: docker tests will skip, or fail under REQUIRE_DOCKER=1. Start one with: sudo systemctl start docker"
fi
