"""Regenerating the tests of one endpoint inside a generated test file the user has edited.

The writer keeps an edited file as it is (`plan_write` -> "kept-edited") and a plain merge only adds
tests the file lacks, so a test generated for an endpoint's old signature would stay old forever.
For "Regenerate test for <KEY>" the editor instead replaces the generated tests of that endpoint
(the functions the generator now writes for it, found by name) with their new versions where they
stand, adds those the file lacks with their imports (`merge_source`), and updates that endpoint's
marker line. The
user's other tests, and their own tests of the endpoint under other names, stay as they are. The
result is offered as an edit that needs confirmation, so the user sees the diff first."""

from __future__ import annotations

import ast
import logging

import libcst

from ..core.generate.fingerprint import PREFIX, TestMark, read_marks
from ..core.model import Endpoint
from .state import keys_for_test

log = logging.getLogger(__name__)

_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def generated_names(generated: str, key: str, endpoints: tuple[Endpoint, ...]) -> set[str]:
    """Top-level tests of the generated module that exercise `key`."""
    lines = generated.splitlines(keepends=True)
    return {n.name for n in ast.parse(generated).body
            if isinstance(n, _DEFS) and key in keys_for_test(lines, n.lineno - 1, endpoints)}


def _ranges(text: str, names: set[str]) -> dict[str, tuple[int, int]]:
    """0-based [start, end) line ranges of the top-level definitions called `names`, decorators included."""
    out = {}
    for n in ast.parse(text).body:
        if isinstance(n, _DEFS) and n.name in names and n.end_lineno is not None:
            out[n.name] = (min([n.lineno, *(d.lineno for d in n.decorator_list)]) - 1, n.end_lineno)
    return out


def _replace_in_place(existing: str, generated: str, names: set[str]) -> str:
    """`existing` with each definition of `names` replaced, where it stands, by the generated one,
    so the diff shows exactly what changed; definitions the file lacks are left to the merge."""
    lines = existing.splitlines(keepends=True)
    new_lines = generated.splitlines(keepends=True)
    fresh = _ranges(generated, names)
    for name, (start, end) in sorted(_ranges(existing, names).items(), key=lambda kv: -kv[1][0]):
        if name in fresh:
            a, b = fresh[name]
            lines[start:end] = new_lines[a:b]
    return "".join(lines)


def _same_endpoint(mark: TestMark, new: TestMark) -> bool:
    return mark.key == new.key or (mark.handler, mark.method) == (new.handler, new.method)


def _update_marks(text: str, new: list[TestMark], generated: str) -> str:
    """Each marker of `new` replaces the file's marker of the same endpoint, or joins the header."""
    lines = text.splitlines(keepends=True)
    generated_lines = generated.splitlines(keepends=True)
    for mark in new:
        line = generated_lines[mark.line - 1]
        at = next((m.line - 1 for m in read_marks("".join(lines)) if _same_endpoint(m, mark)), None)
        if at is not None:
            lines[at] = line
            continue
        head = 0
        while head < len(lines) and lines[head].startswith("#"):
            head += 1
        lines.insert(head, line)
    return "".join(lines)


def _only(generated: str, names: set[str]) -> str:
    """The generated module without the definitions of other endpoints (imports and all else kept)."""
    others = {n.name for n in ast.parse(generated).body if isinstance(n, _DEFS)} - names
    lines = generated.splitlines(keepends=True)
    for start, end in sorted(_ranges(generated, others).values(), reverse=True):
        del lines[start:end]
    return "".join(lines)


def regenerate_in_edited(existing: str, generated: str, key: str, endpoints: tuple[Endpoint, ...]) -> str | None:
    """The edited file with the tests of `key` regenerated; None when a file does not parse."""
    from ..core.generate.tests.write import merge_source  # the optional test generator's merge

    try:
        names = generated_names(generated, key, endpoints)
        merged, _, _ = merge_source(_replace_in_place(existing, generated, names), _only(generated, names))
    except (SyntaxError, libcst.ParserSyntaxError) as e:
        log.info("cannot regenerate %s in an edited file that does not parse (%s)", key, e)
        return None
    new = [m for m in read_marks(generated) if m.key == key]
    return _update_marks(merged, new, generated) if PREFIX in generated else merged
