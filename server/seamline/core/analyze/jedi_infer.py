"""Jedi, lazily, for what the fact-based resolver can't settle.

The resolver works on cached facts and never re-reads source; jedi re-parses a file and
runs real inference, which costs tens of milliseconds per question. So it is asked only at
the few places where the facts run out (e.g. the ORM class of a variable whose value came
from an un-annotated helper in a third-party-looking call), and every answer is memoised on
the owning `JediInfer` object, which lives as long as one scan's AppContext.

Jedi never imports or executes the user's code: it parses and infers statically.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class InferredName:
    name: str  # class or function name jedi inferred, e.g. "Item"
    full_name: str | None  # dotted, when jedi knows it, e.g. "app.models.Item"
    file: Path | None
    line: int | None


@dataclass
class JediInfer:
    root: Path  # the app folder; jedi's project path (sys.path root for the user's imports)
    _project: object | None = field(default=None, repr=False)
    _memo: dict[tuple[str, int, str, str], tuple[InferredName, ...]] = field(default_factory=dict, repr=False)
    calls: int = 0  # how often jedi was really asked (tests and benchmarks read it)
    budget_s: float = 2.0  # jedi time allowed per round (one app's analysis); answers past it are ()
    skipped: int = 0  # questions not asked because the round's budget was spent
    _spent: float = 0.0

    def begin_round(self) -> None:
        """A new analysis of the app starts: its jedi budget is full again."""
        self._spent = 0.0

    def _jedi_project(self):
        if self._project is None:
            import jedi  # imported lazily: most scans never need it

            self._project = jedi.Project(path=str(self.root), load_unsafe_extensions=False)
        return self._project

    def infer(self, file: Path, line: int, name: str) -> tuple[InferredName, ...]:
        """What `name` (first occurrence as a whole word on `line`, 1-based) evaluates to."""
        result: tuple[InferredName, ...] = ()
        try:
            source = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            log.debug("jedi: cannot read %s: %s", file, e)
            return result
        # keyed by the asking file's content: an edit elsewhere in the file moves lines
        key = (str(file), line, name, hashlib.sha1(source.encode()).hexdigest())
        if key in self._memo:
            return self._memo[key]
        lines = source.splitlines()
        if self._spent >= self.budget_s:
            # jedi can take seconds on generic-heavy code; a bounded scan beats a complete one
            self.skipped += 1
            return result
        if 1 <= line <= len(lines):
            m = re.search(rf"(?<![\w.]){re.escape(name)}\b", lines[line - 1])
            if m:
                started = time.perf_counter()
                result = self._ask(source, file, line, m.start())
                self._spent += time.perf_counter() - started
        self._memo[key] = result
        return result

    def _ask(self, source: str, file: Path, line: int, col: int) -> tuple[InferredName, ...]:
        import jedi

        self.calls += 1
        try:
            script = jedi.Script(source, path=str(file), project=self._jedi_project())
            names = script.infer(line, col)
        except Exception as e:  # noqa: BLE001 - jedi raises many internal error types on odd code
            # jedi failing is an analysis gap, not a scan failure; the caller records a finding
            log.debug("jedi failed on %s:%s: %s", file, line, e)
            return ()
        out = []
        for n in names:
            out.append(InferredName(name=n.name, full_name=n.full_name,
                                    file=Path(n.module_path) if n.module_path else None, line=n.line))
        return tuple(out)
