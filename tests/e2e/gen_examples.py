"""Shared by the per-example end-to-end tests of test generation: copy the example, `seamline gen
tests --flows`, `seamline run` it against a fresh compose project, and check nothing is left behind."""

from __future__ import annotations

import importlib.util
import shutil
import uuid
from pathlib import Path

import pytest
from docker_engine import RECIPE_IMAGES
from seamline.cli import _scan_root, build_parser, main
from seamline.env import leftovers, prune
from seamline.testrun.commands import verify


def run_generated(example: Path, needs: tuple[str, ...], tmp_path: Path, docker_engine, capsys, *,
                  kinds: tuple[str, ...]):
    """The classified report of one run of the generated suite of `example` (a copy of it)."""
    missing = [m for m in needs if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"the example's packages are not installed ({', '.join(missing)}): pip install -e '.[examples]'")
    root = tmp_path / example.name
    shutil.copytree(example, root, ignore=shutil.ignore_patterns("__pycache__", ".seamline", "compose.*.yaml"))
    assert main(["gen", "tests", str(root), "--flows"]) == 0
    project_name = f"seamline-e2e-{uuid.uuid4().hex[:8]}"
    images = [a for kind in kinds for a in ("--image", f"{kind}={RECIPE_IMAGES[kind]}")]
    args = build_parser().parse_args(["run", str(root), "-p", project_name, *images])
    try:
        _, project = _scan_root(str(root))
        runs = verify(root, project, args)
        left = leftovers(project_name, client=docker_engine)
    finally:
        prune(client=docker_engine, project=project_name)
    out = capsys.readouterr().out
    assert runs is not None, out
    assert left == [], f"the run leaked docker resources: {left}"
    (run,) = runs
    return run.report
