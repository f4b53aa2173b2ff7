#!/usr/bin/env python
"""Parallel benchmark: wall time of each example's generated suite run serially (the baseline) and
under pytest-xdist `-n 2` (a database per worker), against one environment per example.

    .venv/bin/python benchmarks/parallel.py                        # the three examples, one run each
    .venv/bin/python benchmarks/parallel.py --repeat 3             # best of 3 per figure
    .venv/bin/python benchmarks/parallel.py --workers 2 --workers 4
    .venv/bin/python benchmarks/parallel.py --examples drf_tasks --json

Each figure is the wall time of the whole pytest process as `seamline run` starts it (interpreter and
plugin start-up, collection, the app's import, for `-n` the workers' start and their databases'
creation and removal), serial and parallel runs alternating so that a change in the machine's load
hits both. "start-up" is the serial `--collect-only` run: what every process pays before a test runs
(under `-n 2` the controller and each worker pay it). "same" says whether every test had the same
outcome as in the serial run. The load average is printed too: on a shared machine it moves the
figures more than anything else. Needs the engine of ../shared/recipes/docker-engine.sh and the
examples' packages (`pip install -e '.[examples]'`).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import importlib.util
import json
import os
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO / "server") not in sys.path:
    sys.path.insert(0, str(REPO / "server"))

from seamline.cli import _scan_root  # noqa: E402 (after the path set-up above)
from seamline.cli import main as seamline  # noqa: E402
from seamline.core.generate.workspace_compose import plan_compose  # noqa: E402
from seamline.core.generate.writer import write_generated  # noqa: E402
from seamline.env import prune  # noqa: E402
from seamline.env.engine import connect  # noqa: E402
from seamline.testrun.runner import run_pytest  # noqa: E402

IMAGES = {"postgres": "postgres:15", "redis": "redis:7"}  # what the recipe provides
EXAMPLES = {  # example -> (a module its suite imports, kinds of service)
    "fastapi_items": ("fastapi", ("postgres", "redis")),
    "flask_notes": ("flask_sqlalchemy", ("postgres",)),
    "drf_tasks": ("pytest_django", ("postgres",)),
}


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _cli(*args: str) -> None:
    with contextlib.redirect_stdout(sys.stderr):  # stdout carries the figures only
        code = seamline(list(args))
    if code != 0:
        raise SystemExit(f"`seamline {' '.join(args)}` exited {code}")


def _write_compose(root: Path, kinds: tuple[str, ...]) -> None:
    """The example's compose environment with only the services of `kinds`: the suites answer the others
    (an SMTP relay, outside APIs) in process, and this machine has no image for them."""
    _, project = _scan_root(str(root))
    running = dataclasses.replace(project, services=tuple(s for s in project.services if s.kind in kinds))
    plan = plan_compose(running, root, images={k: IMAGES[k] for k in kinds})
    write_generated(plan.result.path, plan.text)


def _timed(root: Path, workers: str | None) -> tuple[float, dict[str, str]]:
    started = time.perf_counter()
    result = run_pytest(Path("tests/integration"), cwd=root, python=sys.executable, workers=workers,
                        extra=["--collect-only"] if workers == "collect" else [])
    seconds = time.perf_counter() - started
    if workers == "collect":
        return seconds, {}
    if not result.outcomes:
        raise SystemExit(f"the suite of {root.name} did not run:\n{result.output[-3000:]}")
    return seconds, {o.nodeid: o.status for o in result.outcomes}


def measure(example: str, workers: list[str], repeat: int, workdir: Path) -> dict:
    module, kinds = EXAMPLES[example]
    root = workdir / example
    shutil.copytree(REPO / "examples" / example, root,
                    ignore=shutil.ignore_patterns("__pycache__", ".seamline", "compose.*.yaml"))
    _cli("gen", "tests", str(root), "--flows")
    _write_compose(root, kinds)
    project = f"seamline-bench-{uuid.uuid4().hex[:8]}"
    best: dict[str, float] = {}
    same: dict[str, bool] = {}
    try:
        _cli("env", "up", str(root), "-p", project)
        baseline: dict[str, str] = {}
        for n in range(repeat):
            for mode in ("collect", "serial", *workers):
                seconds, outcomes = _timed(root, None if mode == "serial" else mode)
                log(f"{example}: {mode if mode in ('serial', 'collect') else '-n ' + mode} run {n + 1}: "
                    f"{seconds:.1f} s")
                best[mode] = min(best.get(mode, seconds), seconds)
                if mode == "collect":
                    continue
                if mode == "serial":
                    baseline = baseline or outcomes
                same[mode] = same.get(mode, True) and outcomes == baseline
    finally:
        prune(client=connect(), project=project)
    return {"example": example, "tests": len(baseline),
            "failed": sum(1 for s in baseline.values() if s in ("failed", "error")),
            "seconds": best, "same": same}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", nargs="*", default=list(EXAMPLES), choices=list(EXAMPLES))
    parser.add_argument("--workers", action="append", help="xdist workers to compare with serial (default: 2)")
    parser.add_argument("--repeat", type=int, default=1, help="best of N runs per figure")
    parser.add_argument("--json", action="store_true", help="figures as JSON on stdout")
    args = parser.parse_args()
    workers = args.workers or ["2"]
    load = os.getloadavg()
    rows = []
    with tempfile.TemporaryDirectory(prefix="seamline-bench-parallel-") as tmp:
        for example in args.examples:
            if importlib.util.find_spec(EXAMPLES[example][0]) is None:
                log(f"{example}: skipped, its packages are not installed (pip install -e '.[examples]')")
                continue
            rows.append(measure(example, workers, args.repeat, Path(tmp)))
    load_after = os.getloadavg()
    if args.json:
        json.dump({"cores": os.cpu_count(), "load_before": load, "load_after": load_after, "rows": rows},
                  sys.stdout, indent=2)
        print()
        return 0
    print(f"{os.cpu_count()} cores; load average {load[0]:.1f} before, {load_after[0]:.1f} after; "
          f"best of {args.repeat}")
    head = f"{'example':<15} {'tests':>5} {'failed':>6} {'start-up':>8} {'serial':>8}"
    for w in workers:
        head += f" {'-n ' + w:>8} {'speed-up':>8} {'same':>5}"
    print(head)
    for r in rows:
        line = (f"{r['example']:<15} {r['tests']:>5} {r['failed']:>6} {r['seconds']['collect']:>6.1f} s "
                f"{r['seconds']['serial']:>6.1f} s")
        for w in workers:
            ratio = r["seconds"]["serial"] / r["seconds"][w]
            line += f" {r['seconds'][w]:>6.1f} s {ratio:>7.2f}x {'yes' if r['same'][w] else 'NO':>5}"
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
