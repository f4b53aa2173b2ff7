"""Fixtures for the language-server tests (the harness lives in lsp_harness.py)."""

from lsp_harness import minimal, vscode, workspace  # noqa: F401  (fixtures)
