"""Reading generated test modules in the generators' tests: test names and one function's source."""

from __future__ import annotations

import ast
import re


def test_names(text: str) -> list[str]:
    return [n.name for n in ast.parse(text).body if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")]


def function_source(text: str, name: str) -> str:
    """The source of one top-level function (up to the next top-level statement)."""
    return re.search(rf"^def {name}\(.*?(?=\n\n\n|\Z)", text, re.MULTILINE | re.DOTALL).group(0)
