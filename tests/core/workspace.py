"""Helpers for tests that build small workspaces in tmp_path."""

from __future__ import annotations

from pathlib import Path


def write_tree(root: Path, files: dict[str, str]) -> Path:
    """Write `{relative path: text}` under `root` (folders made as needed); returns `root`."""
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    return root


def write_packages(root: Path, files: dict[str, str], *, requirements: str = "") -> Path:
    """Like `write_tree`, but dedents each source and makes every folder on the way a package
    (adds `__init__.py`), with a requirements.txt so the folder is an app root."""
    import textwrap

    (root / "requirements.txt").write_text(requirements)
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text), encoding="utf-8")
        for parent in p.relative_to(root).parents:
            if str(parent) != ".":
                (root / parent / "__init__.py").touch()
    return root
