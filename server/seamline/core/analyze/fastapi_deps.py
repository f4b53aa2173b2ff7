"""FastAPI signatures, dependencies and auth, from facts.

`signature()` reads a handler's or dependency's parameters (peeling `Annotated[...]` and type
aliases of it) and finds their markers (`Query()`, `Depends()` ...). `DependencyWalker` follows
`Depends`/`Security` transitively, across modules, and decides which dependencies authenticate:
security-scheme instances (OAuth2PasswordBearer, HTTPBearer, APIKeyHeader, HTTPBasic ...) and
`get_current_user`-like functions that reject with 401/403 or decode a JWT.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field, replace

from ..model import AuthRequirement, Dependency, TokenSource
from .context import AppContext
from .expr import Expr, MaybeExpr, arg, call_func, call_kwargs, dotted, is_call, string, strings
from .facts import FunctionFacts, ModuleFacts
from .fastapi_common import (
    Scope,
    ctor_name,
    framework_class,
    qual,
    resolve,
    split_annotated,
    status_code,
    text,
)
from .resolve import Symbol

log = logging.getLogger(__name__)

MARKERS = frozenset({"Query", "Path", "Body", "Header", "Cookie", "Form", "File", "Depends", "Security"})
SCHEMES = {
    "OAuth2PasswordBearer": "oauth2", "OAuth2AuthorizationCodeBearer": "oauth2", "OAuth2": "oauth2",
    "OpenIdConnect": "oauth2", "HTTPBearer": "bearer", "HTTPBasic": "basic", "HTTPDigest": "custom",
    "APIKeyHeader": "api-key", "APIKeyCookie": "api-key", "APIKeyQuery": "api-key",
}
_SCHEME_NAMES = frozenset(SCHEMES)
_SCHEME_DETAIL = ("tokenUrl", "authorizationUrl", "name", "scheme_name")
# names that make a dependency function an auth check when it also rejects or decodes a token
_AUTH_NAME = re.compile(r"(^|_)current_|^require_|auth", re.IGNORECASE)
_MAX_DECODE_DEPTH = 2


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class SigParam:
    """One parameter of a handler or dependency, with `Annotated` peeled off."""

    name: str
    annotation: MaybeExpr  # as written
    type: MaybeExpr  # the type inside Annotated[...] (or the annotation)
    type_scope: Scope
    marker: str | None = None  # "Query" | ... | "Depends" | "Security"
    marker_call: MaybeExpr = None
    marker_scope: Scope | None = None
    default: MaybeExpr = None  # the Python default, when it is not the marker itself


def signature(ctx: AppContext, scope: Scope, fn: FunctionFacts) -> list[SigParam]:
    out = []
    for name, kind, ann, default in fn.params:
        if kind in ("vararg", "kwarg") or name in ("self", "cls"):
            continue
        typ, metas, type_scope = split_annotated(ctx, scope, ann)
        marker = marker_call = marker_scope = None
        for meta in metas:
            found = ctor_name(ctx, type_scope, meta, MARKERS)
            if found:
                marker, marker_call, marker_scope = found, meta, type_scope
                break
        py_default = default
        if marker is None:
            found = ctor_name(ctx, scope, default, MARKERS)
            if found:
                marker, marker_call, marker_scope, py_default = found, default, scope, None
        out.append(SigParam(name=name, annotation=ann, type=typ, type_scope=type_scope, marker=marker,
                            marker_call=marker_call, marker_scope=marker_scope, default=py_default))
    return out


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class DepRef:
    """A `Depends(x)` / `Security(x, scopes=...)` as written somewhere."""

    call: Expr
    scope: Scope
    kind: str = "depends"  # "depends" | "security"
    type: MaybeExpr = None  # for `Depends()` without an argument: the annotated class
    type_scope: Scope | None = None

    @property
    def scopes(self) -> tuple[str, ...]:
        return tuple(strings(call_kwargs(self.call).get("scopes")))


def dep_refs(params: list[SigParam]) -> list[DepRef]:
    return [DepRef(call=p.marker_call, scope=p.marker_scope or p.type_scope,
                   kind="security" if p.marker == "Security" else "depends", type=p.type, type_scope=p.type_scope)
            for p in params if p.marker in ("Depends", "Security")]


def list_refs(ctx: AppContext, scope: Scope, e: MaybeExpr) -> list[DepRef]:
    """`dependencies=[Depends(a), Security(b)]` -> refs (other entries are ignored)."""
    out = []
    for item in (e[1] if e and e[0] == "l" else ()):
        found = ctor_name(ctx, scope, item, frozenset({"Depends", "Security"}))
        if found:
            out.append(DepRef(call=item, scope=scope, kind="security" if found == "Security" else "depends"))
    return out


@dataclass(slots=True)
class _Node:
    name: str
    children: list[DepRef] = field(default_factory=list)
    auth: AuthRequirement | None = None


class DependencyWalker:
    """Resolves dependencies once per app and answers closures per endpoint."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def closure(self, refs: list[DepRef]) -> tuple[tuple[Dependency, ...], tuple[AuthRequirement, ...]]:
        deps: dict[str, Dependency] = {}
        auth: list[AuthRequirement] = []
        queue: list[tuple[DepRef, tuple[str, ...]]] = [(r, ()) for r in refs]
        while queue:
            ref, inherited = queue.pop(0)
            node = self.node(ref)
            if node is None or node.name in deps:
                continue
            scopes = tuple(dict.fromkeys(inherited + ref.scopes))
            children = [c for c in (self.node(r) for r in node.children) if c is not None]
            deps[node.name] = Dependency(name=node.name, kind=ref.kind, scopes=ref.scopes,
                                         children=tuple(dict.fromkeys(c.name for c in children)))
            if node.auth is not None:
                auth.append(replace(node.auth, scopes=scopes))
            queue.extend((r, scopes) for r in node.children)
        return tuple(deps.values()), tuple(auth)

    def node(self, ref: DepRef) -> _Node | None:
        target, scope = arg(ref.call, 0, "dependency"), ref.scope
        if target is None:  # `Depends()`: the annotated class is the dependency
            target, scope = ref.type, ref.type_scope or ref.scope
        instance = None
        if is_call(target):  # Depends(JWTBearer()) / Depends(RoleChecker(["admin"]))
            instance, target = target, call_func(target)
        sym = resolve(self.ctx, scope, target)
        if sym is None:
            self._unresolved(ref, target)
            return None
        # one node per symbol and instance expression (`Depends(RoleChecker(["admin"]))`), memoized
        # across scans; building a node never asks for another node, so it needs no cycle guard
        return self.ctx.memoized(("fastapi.dep-node", sym.kind, sym.module, sym.name, instance),
                                 lambda: self._build(sym, instance), reads=(sym.module,) if sym.module else ())

    def _unresolved(self, ref: DepRef, target: MaybeExpr) -> None:
        module = self.ctx.resolver.module(ref.scope.module)
        line = ref.call[4] if is_call(ref.call) else 0
        file = module.path if module else ""
        self.ctx.finding("unresolved-dependency", f"Cannot resolve the dependency {dotted(target) or '?'} "
                         "statically; its own dependencies and auth are not followed.", file=file, line=line,
                         severity="info", once=True)

    def _build(self, sym: Symbol, instance: MaybeExpr) -> _Node:
        if sym.kind == "external":
            return _Node(name=sym.name, auth=self._scheme_auth(sym, sym.name, instance))
        if sym.kind == "assign":
            value = sym.facts[0]
            if not is_call(value):
                return _Node(name=sym.fqn)
            vscope = Scope.of(sym.module)
            cls = resolve(self.ctx, vscope, call_func(value))
            auth = self._scheme_auth(cls, sym.fqn, value, where=sym) if cls is not None else None
            node = _Node(name=sym.fqn, auth=auth)
            if cls is not None and cls.kind == "class":  # a callable instance of the user's class
                node.children = self._method_refs(cls, "__call__")
            return node
        if sym.kind == "class":
            node = _Node(name=sym.fqn, auth=self._scheme_auth(sym, sym.fqn, instance))
            node.children = self._method_refs(sym, "__call__" if instance is not None else "__init__")
            return node
        if sym.kind == "function":
            module = self.ctx.resolver.module(sym.module)
            scope = Scope.of(sym.module, sym.facts)
            params = signature(self.ctx, scope, sym.facts)
            node = _Node(name=sym.fqn, children=dep_refs(params))
            node.auth = self._function_auth(scope, sym.facts, module, sym.fqn) or \
                self._fixed_key_auth(params, sym.facts, module, sym.fqn)
            return node
        return _Node(name=sym.fqn)

    def _method_refs(self, cls: Symbol, method: str) -> list[DepRef]:
        found = self.ctx.resolver.member(cls, method)
        if found is None or found.kind != "function":
            return []
        return dep_refs(signature(self.ctx, Scope.of(found.module, found.facts), found.facts))

    def _scheme_auth(self, sym: Symbol | None, via: str, call: MaybeExpr,
                     where: Symbol | None = None) -> AuthRequirement | None:
        found = framework_class(self.ctx, sym, _SCHEME_NAMES)
        if found is None:
            return None
        kw = call_kwargs(call)
        detail = next((f"{k}={text(kw[k])}" for k in _SCHEME_DETAIL if k in kw), "")
        if not detail and found == "OAuth2PasswordBearer" and arg(call, 0) is not None:
            detail = f"tokenUrl={text(arg(call, 0))}"
        file, line = self._where(where or sym)
        return AuthRequirement(kind=SCHEMES[found], via=via, detail=detail, file=file, line=line)

    def _where(self, sym: Symbol | None) -> tuple[str, int]:
        if sym is None or not sym.module:
            return "", 0
        module = self.ctx.resolver.module(sym.module)
        line = sym.facts[1] if sym.kind == "assign" else getattr(sym.facts, "line", 0)
        return (module.path if module else ""), line

    def _function_auth(self, scope: Scope, fn: FunctionFacts, module: ModuleFacts | None,
                       via: str) -> AuthRequirement | None:
        if not _AUTH_NAME.search(fn.qualname.rsplit(".", 1)[-1]):
            return None
        decodes = decodes_jwt(self.ctx, scope, fn)
        rejects = self._rejects(scope, fn)
        if not decodes and not rejects:
            return None
        # 401 means "who are you?"; a check that only answers 403 is about permissions
        kind = "jwt" if decodes else ("bearer" if 401 in rejects else "permission")
        return AuthRequirement(kind=kind, via=via,
                               file=module.path if module else "", line=fn.line)

    def _fixed_key_auth(self, params: list[SigParam], fn: FunctionFacts, module: ModuleFacts | None,
                        via: str) -> AuthRequirement | None:
        """A dependency that compares a header or query value with a constant and raises on a mismatch
        (`if x_token != "fake-super-secret-token": raise HTTPException(400)`): an API key whose valid
        value is that constant, recorded as `detail="header:x-token=<value>"` (or `query:<name>=...`)."""
        if module is None or not fn.raises:
            return None
        wanted = {p.name: p for p in params if p.marker in ("Header", "Query") or
                  (p.marker is None and dotted(p.type) == "str")}
        found = next(((name, value) for name, value in fn.const_checks if name in wanted), None)
        if found is None:
            return None
        name, value = found
        p = wanted[name]
        alias = string(call_kwargs(p.marker_call).get("alias")) if p.marker_call else None
        where = "header" if p.marker == "Header" else "query"
        key = alias or (name.replace("_", "-") if where == "header" else name)  # Header() converts underscores
        return AuthRequirement(kind="api-key", via=via, detail=f"{where}:{key}={value}", file=module.path,
                               line=fn.line)

    def _rejects(self, scope: Scope, fn: FunctionFacts) -> set[int]:
        """The statuses among 401 and 403 the function raises HTTPExceptions with."""
        out = set()
        for exc in fn.raises:
            call = exc
            if not is_call(call):
                sym = resolve(self.ctx, scope, exc)
                call = sym.facts[0] if sym is not None and sym.kind == "assign" else None
            code = status_code(arg(call, 0, "status_code")) if is_call(call) else None
            if code in (401, 403):
                out.add(code)
        return out


def decodes_jwt(ctx: AppContext, scope: Scope, fn: FunctionFacts, depth: int = 0) -> bool:
    """True when the function calls `jwt.decode` (jose, PyJWT), directly or through a helper."""
    return _calls_jwt(ctx, scope, fn, "decode", depth)


def _calls_jwt(ctx: AppContext, scope: Scope, fn: FunctionFacts, verb: str, depth: int) -> bool:
    for call in fn.calls:
        name = qual(ctx, scope, call_func(call)) or ""
        if name.endswith("." + verb) and "jwt" in name.lower():
            return True
        if depth < _MAX_DECODE_DEPTH:
            sym = resolve(ctx, scope, call_func(call))
            if (sym is not None and sym.kind == "function" and sym.facts is not fn
                    and _calls_jwt(ctx, Scope.of(sym.module, sym.facts), sym.facts, verb, depth + 1)):
                return True
    return False


def module_token_functions(ctx: AppContext, module: ModuleFacts) -> tuple[TokenSource, ...]:
    """The functions of `module` that issue JWTs (call `jwt.encode` themselves)."""
    return tuple(TokenSource(kind="function", name=f"{module.module}.{fn.qualname}", scheme="jwt", file=module.path,
                             line=fn.line, app=ctx.app)
                 for fn in module.functions
                 if _calls_jwt(ctx, Scope.of(module.module, fn), fn, "encode", _MAX_DECODE_DEPTH))
