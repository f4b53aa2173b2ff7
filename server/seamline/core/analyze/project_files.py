"""Non-Python files that describe an app's environment: dependency lists, lock files, env
files and compose files. Discovery collects them per app; services analysis reads them."""

from __future__ import annotations

import re
from pathlib import Path

from ..model import Finding

_COMPOSE = re.compile(r"(docker-)?compose([._-][\w.-]*)?\.ya?ml")
_TEST_WORD = re.compile(r"(^|[._/-])(tests?|testing|conftest)([._/-]|$)")

ROLE_BY_NAME = {
    "pyproject.toml": "pyproject",
    "setup.cfg": "setup-cfg",
    "Pipfile": "pipfile",
    "poetry.lock": "poetry-lock",
    "uv.lock": "uv-lock",
}


def file_role(rel: str) -> str | None:
    """What a workspace file tells about its app, from its name alone; None if nothing."""
    parts = rel.rsplit("/", 2)
    name = parts[-1]
    parent = parts[-2].lower() if len(parts) > 1 else ""
    lower = name.lower()
    if lower.endswith((".txt", ".in")) and (lower.startswith("requirements") or parent == "requirements"):
        return "requirements"
    if name in ROLE_BY_NAME:
        return ROLE_BY_NAME[name]
    if lower == ".env" or lower.startswith(".env.") or (lower.endswith(".env") and len(lower) > 4):
        return "env"
    if _COMPOSE.fullmatch(lower):
        return "compose"
    return None


def is_test_path(rel: str) -> bool:
    """True for files that only tests use (`tests/`, `test_x.py`, `conftest.py`,
    `requirements-test.txt`, `.env.test`): they never prove that the app needs a service."""
    parts = rel.split("/")
    if any(p in ("tests", "test", "testing") for p in parts[:-1]):
        return True
    name = parts[-1].lower()
    return name.startswith("test_") or name.endswith("_test.py") or bool(_TEST_WORD.search(name))


def read_project_file(root: Path, rel: str, findings: list[Finding]) -> str | None:
    """The text of a workspace file, or None with an `unreadable` finding."""
    try:
        return (root / rel).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        findings.append(Finding(code="unreadable", file=rel, message=f"Cannot read {rel} ({e}); skipped."))
        return None
