"""Writing generated tests without destroying the user's edits.

- a new file, or one exactly as Seamline last wrote it: written whole (`writer.write_generated`);
- a file Seamline wrote and the user edited: merged with libcst. Every top-level function or class
  already in the file is kept as the user has it; generated ones the file lacks are appended, with
  the imports they need; tests the generator no longer produces are reported, never deleted. The
  file keeps its old hash line, so it stays "edited" and the next run merges again;
- a file Seamline did not write: left alone.
`force` rewrites edited files whole.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import libcst as cst

from ..writer import WriteResult, plan_write, write_generated, write_merged
from .marks import carry_marks
from .model import GeneratedFile

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class FileWrite:
    file: GeneratedFile
    result: WriteResult
    added: tuple[str, ...] = ()  # functions/classes appended to a user-edited file
    stale: tuple[str, ...] = ()  # tests in the file that Seamline no longer generates (kept)


def _top_level_names(module: cst.Module) -> dict[str, cst.CSTNode]:
    out: dict[str, cst.CSTNode] = {}
    for stmt in module.body:
        if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
            out[stmt.name.value] = stmt
    return out


def _imports(module: cst.Module) -> list[cst.SimpleStatementLine]:
    return [s for s in module.body if isinstance(s, cst.SimpleStatementLine)
            and any(isinstance(x, (cst.Import, cst.ImportFrom)) for x in s.body)]


def merge_source(existing: str, generated: str) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """(merged text, names added, stale names). `existing` keeps its text byte for byte, except for
    appended definitions and imports placed after its last import."""
    old = cst.parse_module(existing)
    new = cst.parse_module(generated)
    have = _top_level_names(old)
    want = _top_level_names(new)
    added = [name for name in want if name not in have]
    stale = tuple(name for name in have if name.startswith("test_") and name not in want)
    if not added:
        return existing, (), stale
    old_imports = {old.code_for_node(s).strip() for s in _imports(old)}
    missing = [s for s in _imports(new) if new.code_for_node(s).strip() not in old_imports]
    body = list(old.body)
    if missing:
        last = max((i for i, s in enumerate(body) if s in _imports(old)), default=-1)
        body[last + 1:last + 1] = missing
    body += [want[name].with_changes(leading_lines=[cst.EmptyLine(), cst.EmptyLine()]) for name in added]
    return old.with_changes(body=body).code, tuple(added), stale


def write_tests(files: Iterable[GeneratedFile], *, root: Path, force: bool = False,
                dry_run: bool = False) -> list[FileWrite]:
    out: list[FileWrite] = []
    for f in files:
        path = Path(root) / f.path
        if path.is_file():  # a run's marks (app bug, generator mistake) survive regeneration
            try:
                f = replace(f, content=carry_marks(path.read_text(encoding="utf-8"), f.content))
            except (OSError, UnicodeDecodeError) as e:
                log.warning("%s cannot be read (%s)", path, e)
        planned = plan_write(path, f.content, force=force)
        if planned.status != "kept-edited":
            result = planned if dry_run else write_generated(path, f.content, force=force)
            out.append(FileWrite(file=f, result=result))
            continue
        existing = path.read_text(encoding="utf-8")
        try:
            merged, added, stale = merge_source(existing, f.content)
        except cst.ParserSyntaxError as e:
            log.warning("%s does not parse (%s); kept as it is", path, e)
            out.append(FileWrite(file=f, result=planned))
            continue
        if dry_run or not added:
            status = "kept-edited" if not added else "merged"
            out.append(FileWrite(file=f, result=WriteResult(path=path, status=status, diff=planned.diff),
                                 added=added, stale=stale))
            continue
        out.append(FileWrite(file=f, result=write_merged(path, merged, expected=existing), added=added, stale=stale))
    return out

