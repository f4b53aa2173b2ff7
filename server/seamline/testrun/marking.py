"""After a run: mark each generated test that failed with why (an app bug kept failing, a generator
mistake skipped with its reason) and take the marks off tests that now pass."""

from __future__ import annotations

import logging
from collections import defaultdict
from pathlib import Path, PurePosixPath

from ..core.generate.tests.marks import APP_BUG, GENERATOR, Mark, mark_file
from ..core.generate.writer import WriteResult
from .classify import Report
from .runner import RunResult

log = logging.getLogger(__name__)


def mark_run(app_dir: Path, result: RunResult, report: Report) -> list[WriteResult]:
    """Marks for the tests in `report` (their node ids are relative to `app_dir`), written through the
    generated-file rules: a file that is not Seamline's is never touched."""
    marks: dict[str, dict[str, Mark]] = defaultdict(dict)
    passed: dict[str, set[str]] = defaultdict(set)
    for c in report.failed:
        if c.category in (APP_BUG, GENERATOR):
            marks[_file(c.outcome.nodeid)][c.outcome.function] = Mark(kind=c.category, reason=c.reason)
    for o in result.passed:
        passed[_file(o.nodeid)].add(o.function)
    out = []
    for file in sorted(set(marks) | set(passed)):
        path = app_dir / file
        if not path.is_file():
            continue
        out.append(mark_file(path, marks.get(file, {}), clear=passed.get(file, ())))
    return out


def _file(nodeid: str) -> str:
    return str(PurePosixPath(nodeid.split("::", 1)[0]))


def describe(report: Report, writes: list[WriteResult], app_dir: Path) -> list[str]:
    """What the marks did, for the run's report."""
    lines = []
    bugs = sum(1 for c in report.failed if c.category == APP_BUG)
    mistakes = sum(1 for c in report.failed if c.category == GENERATOR)
    changed = [w for w in writes if w.written]
    if changed:
        lines.append(f"marked in {', '.join(str(w.path.relative_to(app_dir)) for w in changed)}: "
                     f"{bugs} app-bug test(s) kept failing with the reason, "
                     f"{mistakes} generator mistake(s) skipped with the reason (--no-mark leaves files alone)")
    for w in writes:
        if w.status in ("kept-edited", "kept-foreign"):
            lines.append(f"not marked: {w.path.relative_to(app_dir)} changed since Seamline wrote it")
    return lines
