"""Reading generated test modules in the generators' tests: test names and one function's source."""

from __future__ import annotations

import ast
import re


def test_names(text: str) -> list[str]:
    return [n.name for n in ast.parse(text).body if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")]


def function_source(text: str, name: str) -> str:
    """The source of one top-level function (up to the next top-level statement)."""
    return re.search(rf"^def {name}\(.*?(?=\n\n\n|\Z)", text, re.MULTILINE | re.DOTALL).group(0)


EXAMPLES = __import__("pathlib").Path(__file__).resolve().parents[2] / "examples"


def scanned_example(tmp_path_factory, name: str):
    """A scanned copy of examples/<name> (generators write next to the app, never into the repo)."""
    import shutil

    from seamline.core.analyze.scan import scan

    root = tmp_path_factory.mktemp("ex") / name
    shutil.copytree(EXAMPLES / name, root)
    return root, scan(root)


def generated_files(root, project) -> dict[str, str]:
    from seamline.core.generate.tests import generate_tests

    return {f.path: f.content for f in generate_tests(project, root=root)}
