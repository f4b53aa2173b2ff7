"""Versions the generated tests need, checked against what the app pins. The tests use Werkzeug's
`response.text` (2.1+) and SQLAlchemy 1.4+ APIs; an app pinned below that gets a note saying so, with
the file and line of the pin, instead of a suite that fails with AttributeErrors nobody explains.

The pins are read statically from the app's own dependency files (requirements*.txt, pyproject.toml,
Pipfile, setup.cfg) through the scan's dependency reader; nothing is installed or resolved."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

from ...analyze.deps_files import DepReader, DepRef
from ...analyze.project_files import file_role

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class Needed:
    package: str  # normalised name
    minimum: tuple[int, ...]
    why: str


# Per framework / ORM of the suite: what the generated code calls, and since which version it exists.
NEEDED = {
    "flask": (Needed(package="werkzeug", minimum=(2, 1), why="`response.text` of the test client"),
              Needed(package="flask", minimum=(2, 0), why="a Werkzeug with `response.text` (Flask 1.x caps it "
                                                          "below 2.0)")),
    "sqlalchemy": (Needed(package="sqlalchemy", minimum=(1, 4), why="`select()`/`Session.get` of SQLAlchemy "
                                                                    "1.4+"),),
}
NEEDED["sqlmodel"] = NEEDED["sqlalchemy"]  # SQLModel's tests go through SQLAlchemy's API
_ROLES = ("requirements", "pyproject", "setup-cfg", "pipfile")  # declared pins, not lock files' names
_CLAUSE = re.compile(r"(===|==|~=|<=|<|\^|~)\s*([0-9][0-9A-Za-z.*]*)")
_QUOTED = re.compile(r"""["']([^"']*[0-9][^"']*)["']""")


def version_notes(app_dir: Path, *, framework: str, orm: str) -> tuple[str, ...]:
    """A note per package the app pins below what the generated tests need (none when it does not)."""
    wanted = [n for key in (framework, orm) for n in NEEDED.get(key, ())]
    if not wanted:
        return ()
    reader = DepReader(app_dir)
    deps: list[DepRef] = []
    for rel in _dependency_files(app_dir):
        role = file_role(rel)
        if role in _ROLES:
            deps += reader.read(rel, role)
    notes = []
    for need in wanted:
        for d in deps:
            if d.name != need.package or d.test_only:
                continue
            spec = _spec(app_dir, d)
            if spec and _caps_below(spec, need.minimum):
                least = ".".join(map(str, need.minimum))
                notes.append(f"{d.file}:{d.line} pins {spec.strip()} ({need.package}); the generated tests need "
                             f"{need.package} >= {least} for {need.why}: upgrade it in the environment that runs "
                             "them, or expect AttributeErrors")
                break
    return tuple(notes)


def _dependency_files(app_dir: Path) -> list[str]:
    """The app's dependency files: in its folder and a `requirements/` folder next to them."""
    found = [p for p in app_dir.iterdir() if p.is_file()] if app_dir.is_dir() else []
    reqs = app_dir / "requirements"
    if reqs.is_dir():
        found += [p for p in reqs.iterdir() if p.is_file()]
    return sorted(p.relative_to(app_dir).as_posix() for p in found)


def _spec(app_dir: Path, d: DepRef) -> str:
    """The version clause of a dependency: from its requirement string, or (Pipfile, Poetry tables keep
    only the name) the quoted constraint on its line."""
    if d.spec != d.name and _CLAUSE.search(d.spec):
        return d.spec
    try:
        line = (app_dir / d.file).read_text(encoding="utf-8", errors="replace").splitlines()[d.line - 1]
    except (OSError, IndexError):
        log.info("could not read the line of %s in %s", d.name, d.file)
        return ""
    m = _QUOTED.search(line.split("=", 1)[-1])
    return m.group(1) if m else ""


def _caps_below(spec: str, minimum: tuple[int, ...]) -> bool:
    """Whether the constraint allows no version at or above `minimum` (`<2.1`, `==1.0.1`, `~=1.3`, `^1.3`)."""
    for op, text in _CLAUSE.findall(spec):
        version = _numbers(text)
        if not version:
            continue
        if op == "<" and version <= minimum:
            return True
        if op == "==" and "*" in text:  # `==2.0.*`: below 2.1
            if (*version[:-1], version[-1] + 1) <= minimum:
                return True
        elif op in ("<=", "==", "===") and version < minimum:
            return True
        if op in ("~=", "~", "^") and _ceiling(op, version) <= minimum:
            return True
    return False


def _ceiling(op: str, version: tuple[int, ...]) -> tuple[int, ...]:
    """The first version a compatible-release clause excludes: `~=1.3` -> 2, `~=1.3.2` / `~1.3` -> 1.4,
    `^1.3` -> 2 (`^0.9` -> 0.10)."""
    if op == "^":
        i = next((k for k, n in enumerate(version) if n), len(version) - 1)
    elif op == "~=":
        i = max(len(version) - 2, 0)
    else:
        i = min(1, len(version) - 1) if len(version) > 1 else 0
    return (*version[:i], version[i] + 1)


def _numbers(text: str) -> tuple[int, ...]:
    out = []
    for part in text.split("."):
        m = re.match(r"\d+", part)
        if m is None:
            break
        out.append(int(m.group(0)))
    return tuple(out)
