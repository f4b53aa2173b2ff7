"""The test environment of a workspace folder: its compose project name and files. Shared by
`seamline env ...` and the language server's env commands."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ..core.errors import UsageError
from ..core.generate.compose import project_name
from ..core.generate.workspace_compose import COMPOSE_FILES, find_compose_files
from .lifecycle import EnvSpec


def workspace_env_spec(root: Path, *, files: Iterable[str] = (), project: str | None = None,
                       wait_timeout_s: int = 120) -> EnvSpec:
    root = Path(root).resolve()
    names = tuple(files)
    found = find_compose_files(root, names)
    if not found or not all(f.is_file() for f in found):
        raise UsageError(f"no compose file in {root} (looked for {', '.join(names or COMPOSE_FILES)}). "
                         "Run `seamline gen compose` (or the \"Create compose test environment\" action) first.")
    return EnvSpec(project=project or project_name(root), files=found, workdir=root, wait_timeout_s=wait_timeout_s)
