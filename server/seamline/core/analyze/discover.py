"""Find the Python files and app roots of a workspace, without following loops or crashing
on unreadable corners. Every problem becomes a Finding; nothing is raised for user files."""

from __future__ import annotations

import fnmatch
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from ..model import Finding
from .project_files import file_role

log = logging.getLogger(__name__)

# Folders that never hold the user's app code: virtualenvs, dependencies, build output, caches.
DEFAULT_SKIP_DIRS = frozenset({
    ".git", ".hg", ".svn", ".venv", "venv", "env", ".env", ".tox", ".nox", "node_modules", "__pycache__",
    "build", "dist", ".eggs", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".hypothesis", "site-packages",
    ".idea", ".vscode", ".seamline-cache", "htmlcov", ".cache", "bower_components",
})
APP_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", "manage.py", "Pipfile", "requirements.txt")
MAX_FILE_BYTES = 2_000_000  # larger .py files are generated code; analysing them buys nothing


@dataclass(slots=True)
class SourceFile:
    path: Path  # absolute
    rel: str  # relative to the workspace root, POSIX
    app: str  # app root relative to the workspace root ("." for the root)
    module: str  # dotted module name within its app
    aliases: tuple[str, ...] = ()  # other dotted names that reach the same file
    is_package: bool = False


@dataclass(slots=True)
class Discovery:
    files: list[SourceFile] = field(default_factory=list)
    app_roots: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    other_files: dict[str, list[str]] = field(default_factory=dict)  # app -> non-Python files of interest


def _is_venv(dirpath: Path) -> bool:
    return (dirpath / "pyvenv.cfg").exists() or (dirpath / "bin" / "activate").exists()


class GitIgnore:
    """The common subset of .gitignore: globs, `dir/`, leading `/` anchors and `!` negations."""

    def __init__(self) -> None:
        self.rules: list[tuple[str, str, bool, bool]] = []  # (base, pattern, negate, dir_only)

    def add_file(self, base: str, text: str) -> None:
        for raw in text.splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            negate = line.startswith("!")
            if negate:
                line = line[1:]
            dir_only = line.endswith("/")
            line = line.rstrip("/")
            if not line:
                continue
            self.rules.append((base, line, negate, dir_only))

    def ignored(self, rel: str, is_dir: bool) -> bool:
        result = False
        for base, pat, negate, dir_only in self.rules:
            if dir_only and not is_dir:
                continue
            if base and not (rel == base or rel.startswith(base + "/")):
                continue
            sub = rel[len(base) + 1:] if base else rel
            if "/" in pat.strip("/"):
                hit = fnmatch.fnmatch(sub, pat.lstrip("/"))
            elif pat.startswith("/"):
                hit = fnmatch.fnmatch(sub, pat[1:])
            else:
                hit = fnmatch.fnmatch(sub.rsplit("/", 1)[-1], pat)
            if hit:
                result = not negate
        return result


def discover(root: Path, *, include: list[str] | None = None, exclude: list[str] | None = None) -> Discovery:
    root = root.resolve()
    out = Discovery()
    ignore = GitIgnore()
    seen_dirs: set[tuple[int, int]] = set()
    py_files: list[tuple[Path, str]] = []
    other_rels: list[str] = []
    marker_dirs: set[str] = set()
    exclude = list(exclude or [])

    def rel_of(p: Path) -> str:
        r = p.relative_to(root).as_posix()
        return "" if r == "." else r

    def onerror(err: OSError) -> None:
        rel = rel_of(Path(err.filename)) if err.filename else ""
        out.findings.append(Finding(code="unreadable", severity="warning", file=rel,
                                    message=f"Cannot read {rel or '.'}: {err.strerror}; skipped."))

    for dirpath, dirnames, filenames in os.walk(root, topdown=True, onerror=onerror, followlinks=True):
        d = Path(dirpath)
        try:
            st = d.stat()
        except OSError:
            continue
        key = (st.st_dev, st.st_ino)
        drel = rel_of(d)
        if key in seen_dirs:
            out.findings.append(Finding(code="symlink-loop", severity="info", file=drel,
                                        message=f"{drel} links back to a folder already scanned; not followed."))
            dirnames[:] = []
            continue
        seen_dirs.add(key)
        if ".gitignore" in filenames:
            try:
                ignore.add_file(drel, (d / ".gitignore").read_text(encoding="utf-8", errors="replace"))
            except OSError:
                pass
        keep = []
        for name in sorted(dirnames):
            sub_rel = f"{drel}/{name}" if drel else name
            if name in DEFAULT_SKIP_DIRS or name.endswith(".egg-info"):
                continue
            if ignore.ignored(sub_rel, True) or any(fnmatch.fnmatch(sub_rel, p.rstrip("/")) for p in exclude):
                continue
            if _is_venv(d / name):
                continue
            keep.append(name)
        dirnames[:] = keep
        if any(m in filenames for m in APP_MARKERS):
            marker_dirs.add(drel or ".")
        for name in filenames:
            frel = f"{drel}/{name}" if drel else name
            if not name.endswith(".py"):
                if file_role(frel) and not ignore.ignored(frel, False) \
                        and not any(fnmatch.fnmatch(frel, p) for p in exclude):
                    other_rels.append(frel)
                continue
            if ignore.ignored(frel, False) or any(fnmatch.fnmatch(frel, p) for p in exclude):
                continue
            if include and not any(fnmatch.fnmatch(frel, p) for p in include):
                continue
            py_files.append((d / name, frel))

    out.app_roots = _app_roots(marker_dirs, [r for _, r in py_files])
    for path, rel in py_files:
        app = _app_of(rel, out.app_roots)
        module, aliases, is_pkg = module_name(root, path, app)
        out.files.append(SourceFile(path=path, rel=rel, app=app, module=module, aliases=aliases,
                                    is_package=is_pkg))
    for rel in sorted(other_rels):
        out.other_files.setdefault(_app_of(rel, out.app_roots), []).append(rel)
    return out


def _app_roots(marker_dirs: set[str], py_rels: list[str]) -> list[str]:
    """An app root is a folder with a project marker that holds Python code. Nested markers
    make nested apps (a monorepo root with services/a and services/b)."""
    roots = []
    for m in sorted(marker_dirs):
        prefix = "" if m == "." else m + "/"
        if any(r.startswith(prefix) for r in py_rels):
            roots.append(m)
    if "." not in roots:
        roots.insert(0, ".")
    return roots


def _app_of(rel: str, roots: list[str]) -> str:
    best = "."
    for r in roots:
        if r != "." and rel.startswith(r + "/") and len(r) > len(best if best != "." else ""):
            best = r
    return best


def module_name(root: Path, path: Path, app: str) -> tuple[str, tuple[str, ...], bool]:
    """Dotted module name: walk up while folders are packages (have __init__.py); the first
    folder that isn't is the source root (this handles flat and src/ layouts). The name
    relative to the app root is kept as an alias for namespace-package layouts."""
    app_dir = root if app == "." else root / app
    is_pkg = path.name == "__init__.py"
    d = path.parent
    parts = [] if is_pkg else [path.stem]
    while d != app_dir and (d / "__init__.py").exists() and d != d.parent and d != root:
        parts.append(d.name)
        d = d.parent
    module = ".".join(reversed(parts)) if parts else path.stem
    if is_pkg and path.parent == app_dir:
        module = "__init__"
    aliases: list[str] = []
    try:
        rel_parts = list(path.relative_to(app_dir).with_suffix("").parts)
    except ValueError:
        rel_parts = []
    if rel_parts and rel_parts[-1] == "__init__":
        rel_parts = rel_parts[:-1]
    full = ".".join(rel_parts)
    if full and full != module:
        aliases.append(full)
    if full.startswith("src.") and full[4:] != module:
        aliases.append(full[4:])
    return module, tuple(aliases), is_pkg
