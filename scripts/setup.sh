#!/usr/bin/env bash
# Set up everything Seamline needs on a fresh Debian machine (run as root), idempotently:
# system packages, a virtualenv in .venv with Seamline, its dev dependencies and what the example apps need.
# Usage: bash scripts/setup.sh            (quiet when everything is already there)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

need_apt=()
command -v python3 >/dev/null || need_apt+=(python3)
python3 -c 'import venv, ensurepip' 2>/dev/null || need_apt+=(python3-venv)
command -v git >/dev/null || need_apt+=(git)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing ${need_apt[*]} with apt-get"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 10))'; then
  echo "setup: Seamline needs Python >= 3.10; $($PY --version) found. Set PYTHON=/path/to/python3.x" >&2
  exit 2
fi

# Reinstall only when pyproject.toml changed since the last successful install.
stamp=.venv/.seamline-installed
want=$(sha1sum pyproject.toml | cut -d' ' -f1)
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  "$PY" -m venv .venv
fi
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "setup: installing Seamline and its dev dependencies into .venv"
  .venv/bin/python -m pip install -q --upgrade pip setuptools wheel 2>&1 | grep -v '^WARNING: Location' || true
  .venv/bin/python -m pip install -q -e ".[dev,examples]" 2>&1 | grep -v '^WARNING: Location' || true
  .venv/bin/python -c 'import seamline, pygls, lsprotocol, libcst, jedi, pytest_lsp' \
    || { echo "setup: install failed" >&2; exit 1; }
  echo "$want" > "$stamp"
fi
echo "setup: ready ($ROOT/.venv, $(.venv/bin/python --version))"
