"""Shared by the per-example end-to-end tests of test generation: copy the example, `seamline gen
tests --flows`, `seamline run` it against a fresh compose project, and check nothing is left behind."""

from __future__ import annotations

import dataclasses
import importlib.util
import shutil
import uuid
from pathlib import Path

import pytest
from docker_engine import RECIPE_IMAGES
from seamline.cli import _scan_root, build_parser, main
from seamline.core.generate.tests.marks import APP_BUG, GENERATOR, read_marks
from seamline.core.generate.workspace_compose import COMPOSE_FILES, plan_compose
from seamline.core.generate.writer import write_generated
from seamline.env import leftovers, prune
from seamline.testrun.commands import verify
from seamline.testrun.marking import mark_run


def copied_example(example: Path, needs: tuple[str, ...], tmp_path: Path) -> Path:
    """A copy of `example` under `tmp_path` with its generated suite (`gen tests --flows`); skips when
    the example's packages are missing."""
    missing = [m for m in needs if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"the example's packages are not installed ({', '.join(missing)}): pip install -e '.[examples]'")
    root = tmp_path / example.name
    shutil.copytree(example, root, ignore=shutil.ignore_patterns("__pycache__", ".seamline", "compose.*.yaml"))
    assert main(["gen", "tests", str(root), "--flows"]) == 0
    return root


def write_compose_without(root: Path, kinds: tuple[str, ...], faked: tuple[str, ...]) -> None:
    """The compose test environment of `root` without the services of kinds `faked` (the generated
    suite answers them in process: see `run_generated`), with the recipe's images for `kinds`."""
    _, scanned = _scan_root(str(root))
    kept = dataclasses.replace(scanned, services=tuple(s for s in scanned.services if s.kind not in faked))
    plan = plan_compose(kept, root, output=COMPOSE_FILES[0], images={k: RECIPE_IMAGES[k] for k in kinds})
    write_generated(plan.result.path, plan.text)


def run_generated(example: Path, needs: tuple[str, ...], tmp_path: Path, docker_engine, capsys, *,
                  kinds: tuple[str, ...], faked: tuple[str, ...] = ()):
    """The classified report of one run of the generated suite of `example` (a copy of it). `faked`:
    kinds of service the generated suite answers in process (its conftest's doubles): the run starts
    no container for them (the compose file has one; this machine has no image for it to pull)."""
    root = copied_example(example, needs, tmp_path)
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
    for kind in faked:
        assert f"not started: {kind} (the generated tests answer it in process)" in out, out
    (run,) = runs
    _check_marks(root, run)
    return run.report


def _check_marks(root: Path, run) -> None:
    """`seamline run` marks what failed in the files: each app-bug test keeps failing under a comment
    naming the bug, each generator mistake is skipped with its reason; regenerating keeps the marks."""
    mark_run(root, run.result, run.report)
    main(["gen", "tests", str(root), "--flows"])
    for c in run.report.failed:
        if c.category not in (APP_BUG, GENERATOR):
            continue
        file = root / c.outcome.nodeid.split("::", 1)[0]
        mark = read_marks(file.read_text()).get(c.outcome.function)
        assert mark is not None and mark.kind == c.category, (c.outcome.nodeid, mark)
