"""Backing services (being written)."""

from __future__ import annotations

from ..model import Service
from .context import AppContext


def analyze_services(ctx: AppContext) -> list[Service]:
    return []
