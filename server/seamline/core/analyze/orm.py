"""ORM models and data effects (being written)."""

from __future__ import annotations

from ..model import DataEffect, OrmModel
from .context import AppContext
from .facts import FunctionFacts, ModuleFacts


def collect_models(ctx: AppContext) -> list[OrmModel]:
    return []


def effects_of(ctx: AppContext, module: ModuleFacts, fn: FunctionFacts) -> tuple[DataEffect, ...]:
    return ()
