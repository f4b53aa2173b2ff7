"""Small helpers the FastAPI linker, its dependency walker and the pydantic schema reader share:
name resolution inside a scope (a module, or a function with its locals), recognising framework
classes however they were imported, and unwrapping `Annotated[...]` parameters."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .context import AppContext
from .expr import Expr, MaybeExpr, call_func, const, dotted, is_call, items, render, string
from .facts import FunctionFacts
from .resolve import Symbol, local_env

# Top-level packages whose classes the FastAPI linker recognises by their last name part.
FRAMEWORK_ROOTS = frozenset({"fastapi", "starlette"})
_MAX_ALIAS_HOPS = 8


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class Scope:
    """Where an expression was written: a module, or a function body (its locals and imports)."""

    module: str
    fn: FunctionFacts | None = None
    local: dict = field(default_factory=dict)
    imports: dict = field(default_factory=dict)

    @classmethod
    def of(cls, module: str, fn: FunctionFacts | None = None) -> Scope:
        if fn is None:
            return cls(module=module)
        local, imports = local_env(fn)
        return cls(module=module, fn=fn, local=local, imports=imports)


def resolve(ctx: AppContext, scope: Scope, e: MaybeExpr) -> Symbol | None:
    return ctx.resolver.resolve_expr(scope.module, e, scope.local or None, scope.imports or None)


def qual(ctx: AppContext, scope: Scope, e: MaybeExpr) -> str | None:
    return ctx.resolver.qualname(scope.module, e, scope.local or None, scope.imports or None)


def framework_class(ctx: AppContext, sym: Symbol | None, names: frozenset[str],
                    roots: frozenset[str] = FRAMEWORK_ROOTS) -> str | None:
    """The matching name ("APIRouter") when `sym` is one of `names` from a package in `roots`,
    or a user class deriving from one."""
    if sym is None:
        return None
    if sym.kind == "external":
        head, _, _ = sym.name.partition(".")
        last = sym.name.rsplit(".", 1)[-1]
        return last if head in roots and last in names else None
    if sym.kind == "class":
        for anc in ctx.resolver.mro(sym)[1:]:
            found = framework_class(ctx, anc, names, roots) if anc.kind == "external" else None
            if found:
                return found
    return None


def ctor_name(ctx: AppContext, scope: Scope, e: MaybeExpr, names: frozenset[str],
              roots: frozenset[str] = FRAMEWORK_ROOTS) -> str | None:
    """For `APIRouter(...)` (however imported) -> "APIRouter"; None for other expressions."""
    if not is_call(e):
        return None
    return framework_class(ctx, resolve(ctx, scope, call_func(e)), names, roots)


def split_annotated(ctx: AppContext, scope: Scope, ann: MaybeExpr, _hops: int = 0
                    ) -> tuple[MaybeExpr, tuple, Scope]:
    """`Annotated[T, m1, m2]` -> (T, (m1, m2), scope they were written in). Follows type aliases
    such as `CurrentUser = Annotated[User, Depends(get_current_user)]` in other modules."""
    if ann and ann[0] == "s" and _last(dotted(ann[1])) == "Annotated":
        parts = items(ann[2]) or (ann[2],)
        return parts[0], tuple(parts[1:]), scope
    if ann and ann[0] in ("n", "a") and _hops < _MAX_ALIAS_HOPS:
        sym = resolve(ctx, scope, ann)
        if sym is not None and sym.kind == "assign" and sym.facts[0] and sym.facts[0][0] == "s":
            inner_type, metas, inner_scope = split_annotated(ctx, Scope.of(sym.module), sym.facts[0], _hops + 1)
            if metas:
                return inner_type, metas, inner_scope
    return ann, (), scope


def status_code(e: MaybeExpr) -> int | None:
    """`201` or `status.HTTP_201_CREATED` -> 201."""
    v = const(e)
    if isinstance(v, int) and not isinstance(v, bool):
        return v
    m = re.search(r"HTTP_(\d{3})", dotted(e) or "")
    return int(m.group(1)) if m else None


def text(e: MaybeExpr) -> str:
    """A constant as users think of it: strings without quotes, anything else as source."""
    s = string(e)
    if s is None and e and e[0] == "f":
        s = e[1]  # f-string: its literal parts, placeholders shown as {}
    return s if s is not None else render(e)


def is_ellipsis(e: MaybeExpr) -> bool:
    # facts keep `...` as an opaque constant
    return e == ("x", "Constant")


def _last(name: str | None) -> str:
    return (name or "").rsplit(".", 1)[-1]


def last_name(e: Expr | None) -> str:
    """`typing.Optional` -> "Optional"; "" for non-names."""
    return _last(dotted(e))
