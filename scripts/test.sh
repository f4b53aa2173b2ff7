#!/usr/bin/env bash
# Set up and run every test. Idempotent.
#   REQUIRE_DOCKER=1  tests that need a docker engine fail instead of skipping (CI sets it)
#   REQUIRE_VSCODE=1  tests that need a real VS Code fail instead of skipping (CI sets it)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/services.sh
set +e
.venv/bin/python -m pytest "$@"
rc=$?
set -e
if [ $rc -eq 5 ]; then
  echo "test: pytest collected no tests; that is a failure here" >&2
  exit 1
fi
exit $rc
