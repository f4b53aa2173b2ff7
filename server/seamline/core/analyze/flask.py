"""flask linker (being written)."""

from __future__ import annotations

from .context import AppContext, LinkResult


def analyze(ctx: AppContext) -> LinkResult:
    return LinkResult()
