"""Marks a run leaves on generated tests, so the user sees in the file why a test fails or is skipped.

- an app bug: the test is kept failing on purpose, with a comment above it naming the bug and where it
  is; it passes once the app is fixed (and the next run takes the comment away);
- a generator mistake: the test assumed something about the app that is not so; it is dropped from
  the run with `@pytest.mark.skip(reason=...)`, the reason saying what went wrong, and stays in the
  file for the user to fix or delete.

Marks are part of the generated file: regenerating carries them over (`carry_marks`), so a mark goes
only when a later run says so.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import libcst as cst

from ..writer import WriteResult, content_hash, unstamp, write_generated, write_merged

log = logging.getLogger(__name__)

APP_BUG, GENERATOR = "app-bug", "generator"
_PREFIX = "# Seamline: "
_KEPT = "#   kept failing on purpose: it passes once the app is fixed."
_SKIP_PREFIX = "Seamline: generator mistake: "
_MAX_REASON = 240


@dataclass(frozen=True, slots=True, kw_only=True)
class Mark:
    kind: str  # APP_BUG | GENERATOR
    reason: str


def _one_line(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= _MAX_REASON else flat[: _MAX_REASON - 1] + "…"


def _is_skip_mark(d: cst.Decorator) -> str | None:
    """The reason of a Seamline skip decorator, else None."""
    call = d.decorator
    if not (isinstance(call, cst.Call) and cst.Module([]).code_for_node(call.func) == "pytest.mark.skip"):
        return None
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == "reason" and isinstance(arg.value, cst.SimpleString):
            reason = arg.value.evaluated_value
            if isinstance(reason, str) and reason.startswith(_SKIP_PREFIX):
                return reason[len(_SKIP_PREFIX):]
    return None


def _app_bug_comment(fn: cst.FunctionDef) -> str | None:
    for line in fn.leading_lines:
        if line.comment is not None and line.comment.value.startswith(_PREFIX + "app bug: "):
            return line.comment.value[len(_PREFIX + "app bug: "):]
    return None


def _without_marks(fn: cst.FunctionDef) -> cst.FunctionDef:
    lines = [ln for ln in fn.leading_lines
             if ln.comment is None or not (ln.comment.value.startswith(_PREFIX) or ln.comment.value == _KEPT)]
    decorators = [d for d in fn.decorators if _is_skip_mark(d) is None]
    return fn.with_changes(leading_lines=lines, decorators=decorators)


def _with_mark(fn: cst.FunctionDef, mark: Mark) -> cst.FunctionDef:
    fn = _without_marks(fn)
    reason = _one_line(mark.reason)
    if mark.kind == APP_BUG:
        comments = [cst.EmptyLine(comment=cst.Comment(f"{_PREFIX}app bug: {reason}")),
                    cst.EmptyLine(comment=cst.Comment(_KEPT))]
        return fn.with_changes(leading_lines=[*fn.leading_lines, *comments])
    skip = cst.Decorator(decorator=cst.parse_expression(f"pytest.mark.skip(reason={_SKIP_PREFIX + reason!r})"))
    return fn.with_changes(decorators=[skip, *fn.decorators])


def read_marks(source: str) -> dict[str, Mark]:
    """The marks on the top-level tests of `source`, by test name."""
    out: dict[str, Mark] = {}
    for stmt in cst.parse_module(source).body:
        if not isinstance(stmt, cst.FunctionDef):
            continue
        bug = _app_bug_comment(stmt)
        if bug is not None:
            out[stmt.name.value] = Mark(kind=APP_BUG, reason=bug)
        skip = next((r for d in stmt.decorators if (r := _is_skip_mark(d)) is not None), None)
        if skip is not None:
            out[stmt.name.value] = Mark(kind=GENERATOR, reason=skip)
    return out


def apply_marks(source: str, marks: Mapping[str, Mark], *, clear: Iterable[str] = ()) -> str:
    """`source` with `marks` set on the tests they name (replacing older marks) and the marks of the
    tests in `clear` (tests that passed) taken away. Everything else is kept byte for byte."""
    clear = set(clear) - set(marks)
    module = cst.parse_module(source)
    changed = False
    body = []
    for stmt in module.body:
        if isinstance(stmt, cst.FunctionDef) and stmt.name.value in marks:
            stmt, changed = _with_mark(stmt, marks[stmt.name.value]), True
        elif isinstance(stmt, cst.FunctionDef) and stmt.name.value in clear:
            new = _without_marks(stmt)
            changed = changed or not new.deep_equals(stmt)
            stmt = new
        body.append(stmt)
    if not changed:
        return source
    if any(m.kind == GENERATOR for m in marks.values()) and not _imports_pytest(module):
        body.insert(_after_imports(body), cst.parse_statement("import pytest\n"))
    return module.with_changes(body=body).code


def _imports_pytest(module: cst.Module) -> bool:
    return any(isinstance(s, cst.SimpleStatementLine) and any(
        isinstance(x, cst.Import) and any(cst.Module([]).code_for_node(n.name) == "pytest" for n in x.names)
        for x in s.body) for s in module.body)


def _after_imports(body: list) -> int:
    last = -1
    for i, s in enumerate(body):
        if isinstance(s, cst.SimpleStatementLine) and any(isinstance(x, (cst.Import, cst.ImportFrom)) for x in s.body):
            last = i
    return last + 1


def carry_marks(existing: str, generated: str) -> str:
    """`generated` with the marks `existing` (the file on disk) has on tests it still generates."""
    try:
        marks = read_marks(existing)
    except cst.ParserSyntaxError:
        return generated
    return apply_marks(generated, marks) if marks else generated


def mark_file(path: Path, marks: Mapping[str, Mark], *, clear: Iterable[str] = ()) -> WriteResult:
    """Set the marks in the generated test file `path`. A file as Seamline wrote it is restamped (it
    stays Seamline's to regenerate); a file the user edited keeps its old hash, so it stays theirs; a
    file that is not Seamline's, or that changed meanwhile, is left alone (status says which)."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    body, recorded = unstamp(text)
    if recorded is None:
        return WriteResult(path=path, status="kept-foreign")
    try:
        marked = apply_marks(text, marks, clear=clear)
    except cst.ParserSyntaxError as e:
        log.warning("%s does not parse (%s); not marked", path, e)
        return WriteResult(path=path, status="kept-edited")
    if marked == text:
        return WriteResult(path=path, status="unchanged")
    if recorded == content_hash(body):
        return write_generated(path, unstamp(marked)[0])
    return write_merged(path, marked, expected=text)
