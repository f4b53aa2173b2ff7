"""seamline.core must stay free of editor and docker imports (DESIGN: imports go one way)."""

import ast
from pathlib import Path

import seamline.core

FORBIDDEN = ("pygls", "lsprotocol", "docker", "seamline.lsp", "seamline.env", "seamline.cli", "seamline.assist")


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                # relative import: count dots back up from the file's package
                pkg_parts = path.relative_to(CORE.parent.parent).with_suffix("").parts[:-1]
                base = list(pkg_parts[: len(pkg_parts) - (node.level - 1)])
                names.append(".".join(base + ([node.module] if node.module else [])))
            elif node.module:
                names.append(node.module)
    return names


CORE = Path(seamline.core.__file__).parent


def test_core_imports_no_editor_or_docker_packages():
    offenders = []
    files = sorted(CORE.rglob("*.py"))
    assert len(files) > 5
    for path in files:
        for name in _imports(path):
            if name == "docker" or any(name == f or name.startswith(f + ".") for f in FORBIDDEN):
                offenders.append(f"{path.relative_to(CORE)} imports {name}")
    assert offenders == []


def test_boundary_check_detects_a_forbidden_import(tmp_path):
    # the walker itself must be able to fail
    bad = CORE / "_tmp_boundary_probe.py"
    bad.write_text("from pygls.lsp.server import LanguageServer\nfrom ..lsp import server\n")
    try:
        names = _imports(bad)
    finally:
        bad.unlink()
    assert "pygls.lsp.server" in names
    assert "seamline.lsp" in names
