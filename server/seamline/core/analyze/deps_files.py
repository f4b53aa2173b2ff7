"""Declared dependencies, read from the files people keep them in: requirements*.txt (with
`-r`/`-c` includes), pyproject.toml (PEP 621, PEP 735 groups, Poetry), setup.cfg, Pipfile,
and the package names of poetry.lock / uv.lock. Parsing is line based so that every
dependency keeps its file and line; nothing here installs or resolves anything."""

from __future__ import annotations

import logging
import re
import sys
from dataclasses import dataclass
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from ..model import Finding
from .project_files import is_test_path, read_project_file

log = logging.getLogger(__name__)

_REQ = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?")
_EGG = re.compile(r"#egg=([A-Za-z0-9][A-Za-z0-9._-]*)")
_INCLUDE = re.compile(r"^(-r|--requirement|-c|--constraint)[\s=]*(\S.*)$")
_LOCK_NAME = re.compile(r'^name\s*=\s*"([^"]+)"')
_TEST_GROUPS = {"test", "tests", "testing"}
_MAX_INCLUDES = 20  # `-r` chains deeper than this are loops or generated


@dataclass(frozen=True, slots=True, kw_only=True)
class DepRef:
    name: str  # normalised (PEP 503): lower case, runs of -_. become -
    extras: tuple[str, ...] = ()
    spec: str = ""  # the requirement as written, shortened; never a URL (it may carry a token)
    file: str = ""  # relative to the workspace root
    line: int = 0
    direct: bool = True  # False for lock files, constraints and pip-compile "# via" entries
    test_only: bool = False  # declared for tests only (requirements-test.txt, a "test" group)


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_requirement(text: str) -> tuple[str, tuple[str, ...], str] | None:
    """`psycopg[binary]>=3.1 ; python_version > "3.8"` -> ("psycopg", ("binary",), spec)."""
    text = text.strip()
    if not text:
        return None
    egg = _EGG.search(text)
    if "://" in text and egg:
        return normalise(egg.group(1)), (), egg.group(1)
    m = _REQ.match(text)
    if m is None:
        return None
    extras = tuple(x.strip().lower() for x in (m.group(2) or "").split(",") if x.strip())
    spec = text.split(";")[0].strip()
    if "://" in spec or "@" in spec:
        spec = m.group(0).strip()
    return normalise(m.group(1)), extras, spec


class DepReader:
    """Reads the dependency files of one app. `findings` collects unreadable/invalid files."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.findings: list[Finding] = []
        self._seen: set[Path] = set()

    def read(self, rel: str, role: str) -> list[DepRef]:
        path = self.root / rel
        text = read_project_file(self.root, rel, self.findings)
        if text is None:
            return []
        test_only = is_test_path(rel)
        if role == "requirements":
            return self._requirements(path, text, test_only, direct=True, depth=0)
        if role == "pyproject":
            return self._pyproject(rel, text, test_only)
        if role == "pipfile":
            return self._pipfile(rel, text, test_only)
        if role == "setup-cfg":
            return self._setup_cfg(rel, text, test_only)
        if role in ("poetry-lock", "uv-lock"):
            return self._lock(rel, text)
        return []

    def _rel(self, path: Path) -> str:
        try:
            return path.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return path.as_posix()

    # requirements*.txt ---------------------------------------------------------------------------
    def _requirements(self, path: Path, text: str, test_only: bool, direct: bool, depth: int) -> list[DepRef]:
        key = path.resolve()
        if key in self._seen or depth > _MAX_INCLUDES:
            return []
        self._seen.add(key)
        rel = self._rel(path)
        out: list[DepRef] = []
        lines = text.splitlines()
        for i, raw in enumerate(lines):
            line = raw.split(" #", 1)[0].strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith(("-r", "--requirement", "-c", "--constraint")):
                out.extend(self._include(path, line, test_only, depth))
                continue
            if line.startswith("-"):
                continue  # -e ., --index-url, --hash ...: not a dependency name
            parsed = parse_requirement(line)
            if parsed is None:
                continue
            name, extras, spec = parsed
            out.append(DepRef(name=name, extras=extras, spec=spec, file=rel, line=i + 1,
                              direct=direct and not _compiled_transitive(lines, i), test_only=test_only))
        return out

    def _include(self, path: Path, line: str, test_only: bool, depth: int) -> list[DepRef]:
        m = _INCLUDE.match(line)
        if m is None:
            return []
        inc = path.parent / m.group(2).strip()
        inc_rel = self._rel(inc)
        if inc_rel.startswith("/") or ".." in inc_rel.split("/"):
            return []  # outside the workspace: not ours to read
        text = read_project_file(self.root, inc_rel, self.findings)
        if text is None:
            return []
        constraint = m.group(1) in ("-c", "--constraint")
        return self._requirements(inc, text, test_only or is_test_path(inc_rel), direct=not constraint,
                                  depth=depth + 1)

    # pyproject.toml ------------------------------------------------------------------------------
    def _toml(self, rel: str, text: str) -> dict | None:
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as e:
            self.findings.append(Finding(code="invalid-toml", file=rel,
                                         message=f"{rel} is not valid TOML ({e}); its dependencies were not used."))
            return None

    def _pyproject(self, rel: str, text: str, test_only: bool) -> list[DepRef]:
        data = self._toml(rel, text)
        if data is None:
            return []
        lines = text.splitlines()
        groups: list[tuple[str, list]] = []
        project = data.get("project", {})
        groups.append(("", _as_list(project.get("dependencies"))))
        for group, deps in _as_dict(project.get("optional-dependencies")).items():
            groups.append((group, _as_list(deps)))
        for group, deps in _as_dict(data.get("dependency-groups")).items():
            groups.append((group, [d for d in _as_list(deps) if isinstance(d, str)]))
        groups.append(("dev", _as_list(_as_dict(_as_dict(data.get("tool")).get("uv")).get("dev-dependencies"))))
        out = [self._dep_from_string(d, rel, lines, test_only or g in _TEST_GROUPS) for g, deps in groups for d in deps
               if isinstance(d, str)]
        poetry = _as_dict(_as_dict(data.get("tool")).get("poetry"))
        tables = [("", poetry.get("dependencies")), ("dev", poetry.get("dev-dependencies"))]
        tables += [(g, _as_dict(t).get("dependencies")) for g, t in _as_dict(poetry.get("group")).items()]
        for group, table in tables:
            for name, value in _as_dict(table).items():
                if name.lower() == "python":
                    continue
                extras = tuple(value.get("extras", ())) if isinstance(value, dict) else ()
                out.append(DepRef(name=normalise(name), extras=tuple(e.lower() for e in extras), spec=name,
                                  file=rel, line=_line_of(lines, name), test_only=test_only or group in _TEST_GROUPS))
        return [d for d in out if d is not None]

    def _dep_from_string(self, text: str, rel: str, lines: list[str], test_only: bool) -> DepRef | None:
        parsed = parse_requirement(text)
        if parsed is None:
            return None
        name, extras, spec = parsed
        return DepRef(name=name, extras=extras, spec=spec, file=rel, line=_line_of(lines, text.split(";")[0].strip()),
                      test_only=test_only)

    # Pipfile, setup.cfg, lock files -----------------------------------------------------------------
    def _pipfile(self, rel: str, text: str, test_only: bool) -> list[DepRef]:
        data = self._toml(rel, text)
        if data is None:
            return []
        lines = text.splitlines()
        out = []
        for table, dev in (("packages", False), ("dev-packages", True)):
            for name, value in _as_dict(data.get(table)).items():
                extras = tuple(value.get("extras", ())) if isinstance(value, dict) else ()
                out.append(DepRef(name=normalise(name), extras=tuple(e.lower() for e in extras), spec=name,
                                  file=rel, line=_line_of(lines, name), test_only=test_only or dev))
        return out

    def _setup_cfg(self, rel: str, text: str, test_only: bool) -> list[DepRef]:
        out: list[DepRef] = []
        section = key = ""
        for i, raw in enumerate(text.splitlines()):
            stripped = raw.split("#", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
            if raw.startswith("["):
                section, key = raw.strip().strip("[]").strip(), ""
                continue
            if not stripped:
                continue
            if not raw[0].isspace():
                key, _, value = stripped.partition("=")
                key = key.strip()
                stripped = value.strip()
            wanted = (section == "options" and key == "install_requires") or section == "options.extras_require"
            if wanted and stripped:
                parsed = parse_requirement(stripped)
                if parsed:
                    name, extras, spec = parsed
                    out.append(DepRef(name=name, extras=extras, spec=spec, file=rel, line=i + 1,
                                      test_only=test_only or (section != "options" and key in _TEST_GROUPS)))
        return out

    def _lock(self, rel: str, text: str) -> list[DepRef]:
        out = []
        for i, raw in enumerate(text.splitlines()):
            m = _LOCK_NAME.match(raw)
            if m:
                out.append(DepRef(name=normalise(m.group(1)), spec=m.group(1), file=rel, line=i + 1, direct=False))
        return out


def _compiled_transitive(lines: list[str], i: int) -> bool:
    """pip-compile output marks why a pin is there: `# via celery` (transitive) or
    `# via -r requirements.in` (direct). Only the first form is transitive; ordinary
    comments after a requirement say nothing."""
    notes: list[str] = []
    inline = lines[i].partition(" #")[2].strip()
    if inline:
        notes.append(inline)
    for raw in lines[i + 1:i + 12]:
        s = raw.strip()
        if not s.startswith("#"):
            break
        notes.append(s.lstrip("#").strip())
    if not notes or not notes[0].startswith("via"):
        return False
    vias = [n[3:].strip() if n.startswith("via") else n for n in notes]
    return not any(v.startswith(("-r", "-c")) for v in vias if v)


def _line_of(lines: list[str], needle: str) -> int:
    """1-based line of the first line mentioning `needle` as a whole token, else 0."""
    pattern = re.compile(r"(^|[\"'\s])" + re.escape(needle) + r"($|[\"'\s=\[<>!~;,])", re.IGNORECASE)
    for i, raw in enumerate(lines):
        if pattern.search(raw):
            return i + 1
    return 0


def _as_list(v: object) -> list:
    return v if isinstance(v, list) else []


def _as_dict(v: object) -> dict:
    return v if isinstance(v, dict) else {}
