"""The VS Code extension inside a real VS Code (code-server via ../shared/recipes/vscode-e2e):
runs scripts/e2e.sh, which builds the extension, runs its mocha tests in the extension host
against the real language server, and does the UI checks that save out/screenshots/*.png.

Skips with the reason when the recipe cannot run here (exit code 3 from e2e.sh); fails instead
under REQUIRE_VSCODE=1 (CI), so CI cannot go green by skipping."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CANNOT_RUN = 3  # scripts/e2e.sh: the recipe could not run here

pytestmark = pytest.mark.vscode


def _unavailable(reason: str) -> None:
    if os.environ.get("REQUIRE_VSCODE") == "1":
        pytest.fail(f"REQUIRE_VSCODE=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def test_extension_in_real_vscode() -> None:
    if shutil.which("npm") is None:
        _unavailable("npm is not installed (needed to build the extension)")
    recipes = Path(os.environ.get("SEAMLINE_RECIPES", ROOT.parent / "shared" / "recipes"))
    if not (recipes / "vscode-e2e" / "install.sh").is_file():
        _unavailable(f"no vscode-e2e recipe at {recipes} (set SEAMLINE_RECIPES)")
    try:
        proc = subprocess.run(["bash", str(ROOT / "scripts" / "e2e.sh")], cwd=ROOT, capture_output=True,
                              text=True, timeout=1200, env={**os.environ, "SEAMLINE_RECIPES": str(recipes)})
    except subprocess.TimeoutExpired:
        pytest.fail("scripts/e2e.sh did not finish within 20 minutes", pytrace=False)
    out = (proc.stdout + proc.stderr)[-6000:]
    if proc.returncode == CANNOT_RUN:
        _unavailable(out.strip().splitlines()[-1] if out.strip() else "scripts/e2e.sh could not run the recipe")
    assert proc.returncode == 0, f"scripts/e2e.sh exited {proc.returncode}:\n{out}"
    shots = sorted(p.name for p in (ROOT / "docs" / "screenshots").glob("*.png"))
    assert {"code-actions.png", "panel.png"} <= set(shots), f"screenshots missing: {shots}"
