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

from ..core.generate.fingerprint import PREFIX, RecordedFingerprint, read_fingerprints
from ..core.model import Endpoint
from .state import keys_for_test

log = logging.getLogger(__name__)

_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
Def = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


def _defs(text: str) -> list[Def]:
    """The top-level definitions of a module (raises SyntaxError when it does not parse)."""
    return [n for n in ast.parse(text).body if isinstance(n, _DEFS)]


def generated_names(defs: list[Def], lines: list[str], key: str, endpoints: tuple[Endpoint, ...]) -> set[str]:
    """Top-level tests of the generated module (its `defs` and `lines`) that exercise `key`."""
    return {n.name for n in defs if key in keys_for_test(lines, n.lineno - 1, endpoints)}


def _ranges(defs: list[Def], names: set[str]) -> dict[str, tuple[int, int]]:
    """0-based [start, end) line ranges of the definitions called `names`, decorators included."""
    out = {}
    for n in defs:
        if n.name in names and n.end_lineno is not None:
            out[n.name] = (min([n.lineno, *(d.lineno for d in n.decorator_list)]) - 1, n.end_lineno)
    return out


def _replace_in_place(existing: str, new_lines: list[str], fresh: dict[str, tuple[int, int]],
                      names: set[str]) -> str:
    """`existing` with each definition of `names` replaced, where it stands, by the generated one
    (`new_lines[fresh[name]]`), so the diff shows exactly what changed; definitions the file lacks
    are left to the merge."""
    lines = existing.splitlines(keepends=True)
    for name, (start, end) in sorted(_ranges(_defs(existing), names).items(), key=lambda kv: -kv[1][0]):
        if name in fresh:
            a, b = fresh[name]
            lines[start:end] = new_lines[a:b]
    return "".join(lines)


def _same_endpoint(mark: RecordedFingerprint, new: RecordedFingerprint) -> bool:
    return mark.key == new.key or (mark.handler, mark.method) == (new.handler, new.method)


def _update_marks(text: str, new: list[RecordedFingerprint], generated_lines: list[str]) -> str:
    """Each marker of `new` replaces the file's marker of the same endpoint, or joins the header.
    The file's markers are read once and kept current (by 0-based line) as lines change."""
    lines = text.splitlines(keepends=True)
    recorded = [(m.line - 1, m) for m in read_fingerprints(text)]
    head = 0
    while head < len(lines) and lines[head].startswith("#"):
        head += 1
    for mark in new:
        line = generated_lines[mark.line - 1]
        found = next((i for i, (_, m) in enumerate(recorded) if _same_endpoint(m, mark)), None)
        if found is not None:
            at = recorded[found][0]
            lines[at] = line
            recorded[found] = (at, mark)
            continue
        lines.insert(head, line)
        before = sum(1 for at, _ in recorded if at < head)
        recorded = [*recorded[:before], (head, mark), *((at + 1, m) for at, m in recorded[before:])]
        head += 1  # a marker line is a comment: the header grew by one
    return "".join(lines)


def _only(lines: list[str], defs: list[Def], names: set[str]) -> str:
    """The generated module without the definitions of other endpoints (imports and all else kept)."""
    lines = list(lines)
    for start, end in sorted(_ranges(defs, {n.name for n in defs} - names).values(), reverse=True):
        del lines[start:end]
    return "".join(lines)


def regenerate_in_edited(existing: str, generated: str, key: str, endpoints: tuple[Endpoint, ...]) -> str | None:
    """The edited file with the tests of `key` regenerated; None when a file does not parse."""
    from ..core.generate.tests.write import merge_source  # the optional test generator's merge

    lines = generated.splitlines(keepends=True)
    try:
        defs = _defs(generated)
        names = generated_names(defs, lines, key, endpoints)
        replaced = _replace_in_place(existing, lines, _ranges(defs, names), names)
        merged, _, _ = merge_source(replaced, _only(lines, defs, names))
    except (SyntaxError, libcst.ParserSyntaxError) as e:
        log.info("cannot regenerate %s in an edited file that does not parse (%s)", key, e)
        return None
    if PREFIX not in generated:
        return merged
    return _update_marks(merged, [m for m in read_fingerprints(generated) if m.key == key], lines)
