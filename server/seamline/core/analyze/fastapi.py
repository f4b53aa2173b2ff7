"""FastAPI linker: apps, routers and routes -> endpoints, from facts alone.

1. Find every `FastAPI()` / `APIRouter()` object (module-level, or a local of an app factory).
2. Read the edges between them: `include_router` (with prefix, tags, dependencies) and `mount`.
3. Read the routes: `@x.get(...)` ... `@x.api_route(...)` decorators and `x.add_api_route(...)`.
4. Walk from each root object (an app nothing mounts, or a router nothing includes) down the
   edges, composing prefixes, dependencies and tags, and build one Endpoint per route and method.

Every step is memoized (memo.py) so that re-linking after a one-file edit redoes only what the
edit touched: 1-3 per module, and the walk per object and mount. A walked subtree depends on the
declarations made on its object (`_DECL` + key: the routes and edges any module declares on it),
so a route added to a router from another module still invalidates the router's subtree.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from ..model import Endpoint, Param, Schema, Span, TokenSource
from . import orm
from .context import AppContext, LinkResult
from .expr import (
    Expr,
    MaybeExpr,
    arg,
    call_func,
    call_kwargs,
    const,
    dotted,
    is_call,
    render,
    string,
    strings,
)
from .facts import FunctionFacts, ModuleFacts
from .fastapi_common import Scope, ctor_name, is_ellipsis, last_name, qual, resolve, status_code
from .fastapi_deps import (
    DependencyWalker,
    DepRef,
    SigParam,
    dep_refs,
    list_refs,
    module_token_functions,
    signature,
)
from .pydantic_schemas import SchemaCollector, constraints_of
from .resolve import Symbol, binding_name

log = logging.getLogger(__name__)

_OBJECTS = frozenset({"FastAPI", "APIRouter"})
_VERBS = {"get": "GET", "post": "POST", "put": "PUT", "patch": "PATCH", "delete": "DELETE", "head": "HEAD",
          "options": "OPTIONS", "trace": "TRACE"}
_LOCATIONS = {"Query": "query", "Path": "path", "Body": "body", "Header": "header", "Cookie": "cookie",
              "Form": "form", "File": "file"}
# injected by FastAPI itself, not sent by the client
_INJECTED = frozenset({"Request", "Response", "BackgroundTasks", "WebSocket", "HTTPConnection", "SecurityScopes",
                       "Session", "AsyncSession"})
_LOGIN_FORMS = frozenset({"OAuth2PasswordRequestForm", "OAuth2PasswordRequestFormStrict"})
_PATH_PARAM = re.compile(r"{([^}:]+)(:[^}]*)?}")
_MAX_DEPTH = 8
# derived memo dependency: the routes and edges declared on one object, by whichever modules
_DECL = "@fastapi.decl:"
# what a bug of ours on an unexpected facts shape raises; anything else should surface
_SURPRISES = (LookupError, TypeError, ValueError, AttributeError)


@dataclass(slots=True)
class _Obj:
    """A FastAPI app or APIRouter instance."""

    key: str  # "module:name" or "module:factory:name"
    kind: str  # "FastAPI" | "APIRouter"
    scope: Scope  # where it was constructed
    call: Expr  # the constructor call
    file: str
    line: int
    entry: str  # "module:attr" a server would load


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class _Edge:
    child: str
    kind: str  # "include" | "mount"
    prefix: str = ""
    tags: tuple[str, ...] = ()
    deps: tuple[DepRef, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class _Route:
    owner: str
    methods: tuple[str, ...]
    path: str
    module: ModuleFacts
    fn: FunctionFacts
    call: Expr  # decorator or add_api_route call (its keywords: response_model, status_code ...)
    lines: tuple[int, ...]


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class _Mount:
    """Accumulated context while walking down from a root."""

    prefix: str = ""
    deps: tuple[DepRef, ...] = ()
    tags: tuple[str, ...] = ()


@dataclass(slots=True)
class _Graph:
    objs: dict[str, _Obj] = field(default_factory=dict)
    edges: dict[str, list[_Edge]] = field(default_factory=dict)
    routes: dict[str, list[_Route]] = field(default_factory=dict)  # by owner


@dataclass(frozen=True, slots=True)
class _Decls:
    """What one module declares on app and router objects, in source order."""

    edges: tuple[tuple[str, _Edge], ...] = ()  # (owner, edge)
    routes: tuple[_Route, ...] = ()
    token_fns: tuple[TokenSource, ...] = ()  # its functions that issue JWTs (call `jwt.encode`)


@dataclass(frozen=True, slots=True)
class _Walked:
    """What walking one object's subtree under one mount adds to the app."""

    endpoints: tuple[Endpoint, ...] = ()
    tokens: tuple[TokenSource, ...] = ()
    # models the endpoints name (request/response) by (name, kind), first occurrence only: the
    # schemas are collected after the walk in this order, so a reused subtree brings them in the
    # same place
    schema_roots: tuple[tuple[tuple[str, str], Symbol], ...] = ()


def analyze(ctx: AppContext) -> LinkResult:
    linker = _Linker(ctx)
    return linker.run()


class _Linker:
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.g = _Graph()
        self.schemas = SchemaCollector(ctx)
        self.deps = DependencyWalker(ctx)
        self.result = LinkResult()
        self.token_fns: list[TokenSource] = []
        self.makers: tuple[str, ...] = ()  # names of the app's token functions
        self.route_count = 0  # routes x methods of the whole app

    def run(self) -> LinkResult:
        modules = sorted(self.ctx.resolver.iter_modules(), key=lambda m: m.path)
        for m in modules:
            self.g.objs.update(self._objects_in(m.module))
        by_module: dict[str, _Decls] = {}
        for m in modules:
            if not (m.calls or m.functions):  # no call, no decorator: nothing is declared here
                by_module[m.module] = _Decls()
                continue
            decls = by_module[m.module] = self.ctx.memoized(("fastapi.decls", m.module), lambda m=m: self._decls(m),
                                                            reads=(m.module,))
            for owner, edge in decls.edges:
                self.g.edges.setdefault(owner, []).append(edge)
            for route in decls.routes:
                self.g.routes.setdefault(route.owner, []).append(route)
        self.token_fns = [t for m in self.ctx.resolver.iter_modules() for t in by_module[m.module].token_fns]
        self.makers = tuple(sorted({t.name for t in self.token_fns}))
        self.result.token_sources.extend(self.token_fns)
        self._walk_roots()
        self.result.schemas.extend(self.schemas.schemas.values())
        return self.result

    def _skipped(self, m: ModuleFacts, e: Exception) -> None:
        """An odd construct in one module must not lose the others (nor the rest of this one)."""
        log.debug("fastapi linker failed on %s", m.path, exc_info=True)
        # once: the objects of a module are looked up again from other modules' declarations
        self.ctx.finding("analysis-error", f"FastAPI analysis skipped part of {m.path} "
                         f"({type(e).__name__}: {e}).", file=m.path, once=True)

    # 1. objects -----------------------------------------------------------------------------------
    def _objects_in(self, module: str) -> dict[str, _Obj]:
        """The apps and routers constructed in `module`, by key; what a lookup of one of them
        depends on is what finding them read."""
        m = self.ctx.resolver.module(module)
        if m is None or not (m.assigns or m.functions):  # nothing could construct one (schemas, models)
            return {}
        return self.ctx.memoized(("fastapi.objects", m.module), lambda: self._find_objects(m), reads=(m.module,))

    def _find_objects(self, m: ModuleFacts) -> dict[str, _Obj]:
        found: dict[str, _Obj] = {}
        try:
            scope = Scope.of(m.module)
            for name, value, line in m.assigns:
                kind = ctor_name(self.ctx, scope, value, _OBJECTS)
                if kind:
                    key = f"{m.module}:{name}"
                    found[key] = _Obj(key=key, kind=kind, scope=scope, call=value, file=m.path, line=line,
                                      entry=key)
            for fn in m.functions:
                fscope = None
                for name, value, line in fn.assigns:
                    if "." in name or not is_call(value):
                        continue
                    fscope = fscope or Scope.of(m.module, fn)
                    kind = ctor_name(self.ctx, fscope, value, _OBJECTS)
                    if kind:
                        key = f"{m.module}:{fn.qualname}:{name}"
                        found[key] = _Obj(key=key, kind=kind, scope=fscope, call=value, file=m.path, line=line,
                                          entry=f"{m.module}:{fn.qualname}")
        except _SURPRISES as e:
            self._skipped(m, e)
        return found

    def obj_of(self, scope: Scope, e: MaybeExpr, depth: int = 0) -> str | None:
        """The object key an expression refers to: a name, an alias, `module.router`, or a call
        to a factory that returns one."""
        if depth > _MAX_DEPTH or not e:
            return None
        if is_call(e):
            return self._returned_obj(scope, call_func(e), depth)
        name = dotted(e)
        if name is None:
            return None
        if scope.fn is not None and name in scope.local:
            key = f"{scope.module}:{scope.fn.qualname}:{name}"
            if key in self._objects_in(scope.module):
                return key
            value = scope.local[name]
            return self.obj_of(scope, value, depth + 1) if value is not None and value != e else None
        sym = resolve(self.ctx, scope, e)
        if sym is None or sym.kind != "assign":
            return None
        key = f"{sym.module}:{sym.name}"
        if key in self._objects_in(sym.module):
            return key
        value = sym.facts[0]
        return self.obj_of(Scope.of(sym.module), value, depth + 1) if value is not None else None

    def _returned_obj(self, scope: Scope, func: MaybeExpr, depth: int) -> str | None:
        sym = resolve(self.ctx, scope, func)
        if sym is None or sym.kind != "function":
            return None
        fscope = Scope.of(sym.module, sym.facts)
        for value in sym.facts.returns_values:
            key = self.obj_of(fscope, value, depth + 1)
            if key:
                return key
        return None

    # 2 + 3. edges and routes ----------------------------------------------------------------------
    def _decls(self, m: ModuleFacts) -> _Decls:
        edges: list[tuple[str, _Edge]] = []
        routes: list[_Route] = []
        try:
            scope = Scope.of(m.module)
            for call in m.calls:
                self._call(m, scope, call, edges, routes)
            for fn in m.functions:
                if fn.calls:
                    fscope = Scope.of(m.module, fn)
                    for call in fn.calls:
                        self._call(m, fscope, call, edges, routes)
                if "." not in fn.qualname:
                    for dec, line in zip(fn.decorators, fn.decorator_lines):
                        route = self._decorator(m, scope, fn, dec, line)
                        if route is not None:
                            routes.append(route)
        except _SURPRISES as e:
            self._skipped(m, e)
        return _Decls(edges=tuple(edges), routes=tuple(routes), token_fns=module_token_functions(self.ctx, m))

    def _call(self, m: ModuleFacts, scope: Scope, call: Expr, edges: list[tuple[str, _Edge]],
              routes: list[_Route]) -> None:
        func = call_func(call)
        if not func or func[0] != "a" or func[2] not in ("include_router", "mount", "add_api_route"):
            return
        owner = self.obj_of(scope, func[1])
        if owner is None:
            return
        line = call[4]
        if func[2] == "add_api_route":
            route = self._add_api_route(m, scope, owner, call)
            if route is not None:
                routes.append(route)
            return
        child_expr = arg(call, 0 if func[2] == "include_router" else 1,
                         "router" if func[2] == "include_router" else "app")
        child = self.obj_of(scope, child_expr)
        if child is None:
            if func[2] == "include_router":
                self.ctx.finding("unresolved-router", f"Cannot resolve the router {render(child_expr)!r} included "
                                 "here; its endpoints are missing from the scan.", file=m.path, line=line)
            return
        if func[2] == "mount":
            edge = _Edge(child=child, kind="mount", prefix=self.path_str(m, scope, arg(call, 0, "path"), line))
        else:
            kw = call_kwargs(call)
            edge = _Edge(child=child, kind="include", prefix=self.path_str(m, scope, kw.get("prefix"), line),
                         tags=tuple(strings(kw.get("tags"))),
                         deps=tuple(list_refs(self.ctx, scope, kw.get("dependencies"))))
        edges.append((owner, edge))

    def _add_api_route(self, m: ModuleFacts, scope: Scope, owner: str, call: Expr) -> _Route | None:
        sym = resolve(self.ctx, scope, arg(call, 1, "endpoint"))
        found = self.ctx.resolver.function_of(sym)
        if found is None:
            self.ctx.finding("unresolved-handler", "Cannot resolve the endpoint function of this add_api_route "
                             "call.", file=m.path, line=call[4])
            return None
        methods = tuple(s.upper() for s in strings(call_kwargs(call).get("methods"))) or ("GET",)
        path = self.path_str(m, scope, arg(call, 0, "path"), call[4])
        return _Route(owner=owner, methods=methods, path=path, module=found[0], fn=found[1], call=call,
                      lines=(call[4],))

    def _decorator(self, m: ModuleFacts, scope: Scope, fn: FunctionFacts, dec: Expr, line: int) -> _Route | None:
        func = call_func(dec)
        if not func or func[0] != "a" or (func[2] not in _VERBS and func[2] != "api_route"):
            return None
        owner = self.obj_of(scope, func[1])
        if owner is None:
            return None
        if func[2] == "api_route":
            methods = tuple(s.upper() for s in strings(call_kwargs(dec).get("methods"))) or ("GET",)
        else:
            methods = (_VERBS[func[2]],)
        path = self.path_str(m, scope, arg(dec, 0, "path"), line)
        return _Route(owner=owner, methods=methods, path=path, module=m, fn=fn, call=dec, lines=(line,))

    def path_str(self, m: ModuleFacts, scope: Scope, e: MaybeExpr, line: int) -> str:
        """A path or prefix argument: a literal, or a name bound to one (`settings.API_V1_STR`)."""
        if e is None:
            return ""
        s = string(e)
        if s is None:
            s = self._const_str(scope, e)
        if s is None:
            self.ctx.finding("unresolved-prefix", f"Cannot work out the path {render(e)!r} statically; "
                             "endpoints under it are reported without it.", file=m.path, line=line)
            return ""
        return s

    def _const_str(self, scope: Scope, e: MaybeExpr) -> str | None:
        sym = resolve(self.ctx, scope, e)
        if sym is None and dotted(e) and "." in dotted(e):
            # `settings.API_V1_STR` where `settings = Settings()`: read the class attribute
            head, _, rest = dotted(e).partition(".")
            owner = resolve(self.ctx, scope, ("n", head))
            if owner is not None and owner.kind == "assign" and is_call(owner.facts[0]):
                cls = resolve(self.ctx, Scope.of(owner.module), call_func(owner.facts[0]))
                sym = self.ctx.resolver.member(cls, rest) if cls is not None and cls.kind == "class" else None
        if sym is not None and sym.kind == "assign":
            return string(sym.facts[0])
        return None

    # 4. walking the tree ----------------------------------------------------------------------------
    def _walk_roots(self) -> None:
        incoming = {e.child for edges in self.g.edges.values() for e in edges}
        by_owner = self.g.routes
        self.route_count = sum(len(route.methods) for routes in by_owner.values() for route in routes)
        r = self.ctx.resolver
        for key in self.g.objs:
            # compared by identity: a module's routes and edges are new objects only when its
            # declarations were read again
            r.derive(_DECL + key, (*by_owner.get(key, ()), *self.g.edges.get(key, ())))
        roots = [o for k, o in self.g.objs.items() if k not in incoming]
        schema_roots: dict[tuple[str, str], Symbol] = {}
        for obj in roots:
            if obj.kind == "APIRouter" and by_owner.get(obj.key):
                self.ctx.finding("unmounted-router", f"Router {obj.key} is never included into an app; its "
                                 "endpoints are reported with the router's own prefix only.", file=obj.file,
                                 line=obj.line, severity="info")
            walked = self._visit(obj, _Mount(), ())
            self.result.endpoints.extend(walked.endpoints)
            self.result.token_sources.extend(walked.tokens)
            schema_roots.update(walked.schema_roots)
        self._collect_schemas(schema_roots)
        apps = [o for o in roots if o.kind == "FastAPI"]
        if apps:
            best = max(apps, key=lambda o: (len(self.g.edges.get(o.key, ())), len(by_owner.get(o.key, ()))))
            self.result.entry = self._entry_name(best)

    def _collect_schemas(self, roots: dict[tuple[str, str], Symbol]) -> None:
        """The schemas of every model the endpoints name, in walk order; one memo check when no
        model changed (each model's closure is memoized too, for when one did)."""
        def collect() -> dict[str, Schema]:
            for (_fqn, kind), sym in roots.items():
                self.schemas.add(sym, kind)
            return dict(self.schemas.schemas)

        self.schemas.schemas.update(self.ctx.memoized(("fastapi.schemas", tuple(roots)), collect))

    def _entry_name(self, obj: _Obj) -> str:
        """Prefer a module-level name bound to the app (`app = create_app()`) over the factory."""
        if obj.entry.count(":") == 1 and obj.scope.fn is None:
            return obj.entry
        for m in self.ctx.resolver.iter_modules():
            scope = Scope.of(m.module)
            for name, value, _line in m.assigns:
                if is_call(value) and self.obj_of(scope, value) == obj.key:
                    return f"{m.module}:{name}"
        return obj.entry

    def _visit(self, obj: _Obj, mount: _Mount, stack: tuple[str, ...]) -> _Walked:
        if obj.key in stack or len(stack) > _MAX_DEPTH:
            self.ctx.finding("router-cycle", f"{obj.key} includes itself through {' -> '.join(stack)}.",
                             file=obj.file, line=obj.line)
            return _Walked()
        key = ("fastapi.walk", obj.key, mount.prefix, mount.tags, tuple(_ref_key(d) for d in mount.deps), stack,
               self.makers)
        # the walk of an app or router that holds most of the routes reads nearly every module, so
        # nearly every edit invalidates it: re-walking it (its parts are memoized) costs less
        return self.ctx.memoized(key, lambda: self._walk(obj, mount, stack),
                                 reads=(obj.scope.module, *(d.scope.module for d in mount.deps)),
                                 keep=lambda walked: 2 * len(walked.endpoints) <= self.route_count)

    def _walk(self, obj: _Obj, mount: _Mount, stack: tuple[str, ...]) -> _Walked:
        self.ctx.resolver.use(_DECL + obj.key)  # the routes and edges declared on it
        self._objects_in(obj.scope.module)  # ... and the object itself, as constructed
        kw = call_kwargs(obj.call)
        own = _Mount(prefix=mount.prefix + self.path_str(self._module(obj), obj.scope, kw.get("prefix"), obj.line),
                     deps=mount.deps + tuple(list_refs(self.ctx, obj.scope, kw.get("dependencies"))),
                     tags=mount.tags + tuple(strings(kw.get("tags"))))
        endpoints: list[Endpoint] = []
        tokens: list[TokenSource] = []
        roots: dict[tuple[str, str], Symbol] = {}
        for route in self.g.routes.get(obj.key, ()):
            for method in route.methods:
                try:
                    endpoint, token, schema_roots = self._endpoint(route, method, own)
                except _SURPRISES as e:
                    log.debug("fastapi route %s failed", route.fn.qualname, exc_info=True)
                    self.ctx.finding("analysis-error", f"Could not analyse {route.fn.qualname} ({type(e).__name__}: "
                                     f"{e}); it is missing from the scan.", file=route.module.path,
                                     line=route.fn.line)
                    continue
                endpoints.append(endpoint)
                if token is not None:
                    tokens.append(token)
                for sym, kind in schema_roots:
                    roots.setdefault((sym.fqn, kind), sym)
        for edge in self.g.edges.get(obj.key, ()):
            child = self.g.objs[edge.child]
            if edge.kind == "mount":  # a mounted app is a separate ASGI app: only the path carries over
                nxt = _Mount(prefix=own.prefix + edge.prefix)
            else:
                nxt = _Mount(prefix=own.prefix + edge.prefix, deps=own.deps + edge.deps, tags=own.tags + edge.tags)
            walked = self._visit(child, nxt, stack + (obj.key,))
            endpoints.extend(walked.endpoints)
            tokens.extend(walked.tokens)
            roots.update((k, sym) for k, sym in walked.schema_roots if k not in roots)
        return _Walked(endpoints=tuple(endpoints), tokens=tuple(tokens), schema_roots=tuple(roots.items()))

    def _module(self, obj: _Obj) -> ModuleFacts:
        module = self.ctx.resolver.module(obj.scope.module)
        assert module is not None  # objects are only found in loaded modules
        return module

    # endpoints ---------------------------------------------------------------------------------------
    def _endpoint(self, route: _Route, method: str, mount: _Mount
                  ) -> tuple[Endpoint, TokenSource | None, tuple[tuple[Symbol, str], ...]]:
        m, fn = route.module, route.fn
        # everything the endpoint depends on that is not looked up through the resolver: the
        # route as declared, what it is mounted under, and the token functions the app has
        key = ("fastapi.endpoint", m.module, fn.qualname, method, route.path, route.call, route.lines,
               mount.prefix, mount.tags, tuple(_ref_key(d) for d in mount.deps), self.makers)
        # the handler itself, not its whole module: adding a route leaves the module's other routes be
        reads = (binding_name(m.module, fn.qualname), *(d.scope.module for d in mount.deps))
        return self.ctx.memoized(key, lambda: self._link_endpoint(route, method, mount), reads=reads)

    def _link_endpoint(self, route: _Route, method: str, mount: _Mount
                       ) -> tuple[Endpoint, TokenSource | None, tuple[tuple[Symbol, str], ...]]:
        m, fn = route.module, route.fn
        scope = Scope.of(m.module, fn)
        kw = call_kwargs(route.call)
        path = normalise_path(mount.prefix + route.path)
        roots = self.schemas.recording()
        try:
            endpoint, token = self._build_endpoint(route, method, mount, path, scope, kw)
        finally:
            self.schemas.stop_recording(roots)
        return endpoint, token, tuple(roots)

    def _build_endpoint(self, route: _Route, method: str, mount: _Mount, path: str, scope: Scope, kw: dict
                        ) -> tuple[Endpoint, TokenSource | None]:
        m, fn = route.module, route.fn
        sig = signature(self.ctx, scope, fn)
        params, request_schema = self._params(sig, path)
        deco_scope = Scope.of(m.module)
        refs = list(mount.deps) + list_refs(self.ctx, deco_scope, kw.get("dependencies")) + dep_refs(sig)
        dependencies, auth = self.deps.closure(refs)
        response = kw.get("response_model") or fn.returns
        ref = self.schemas.model_ref(deco_scope if "response_model" in kw else scope, response)
        handler = f"{m.module}.{fn.qualname}"
        endpoint = Endpoint(
            method=method, path=path, framework="fastapi", handler=handler, file=m.path, line=fn.line,
            app=self.ctx.app, span=Span(line=fn.line, col=fn.col, end_line=fn.end_line, end_col=fn.end_col),
            name=string(kw.get("name")) or fn.qualname, params=params, request_schema=request_schema,
            response_schema=ref[0] if ref else None, status_code=status_code(kw.get("status_code")),
            auth=auth, dependencies=dependencies, effects=orm.effects_of(self.ctx, m, fn),
            tags=tuple(dict.fromkeys(mount.tags + tuple(strings(kw.get("tags"))))), decorator_lines=route.lines)
        return endpoint, self._token_endpoint(endpoint, scope, sig, fn)

    def _params(self, sig: list[SigParam], path: str) -> tuple[tuple[Param, ...], str | None]:
        path_names = {p[0] for p in _PATH_PARAM.findall(path)}
        params: list[Param] = []
        request_schema = None
        for p in sig:
            if p.marker in ("Depends", "Security") or last_name(p.type) in _INJECTED:
                continue
            if self._injected(p):
                continue
            ref = self.schemas.model_ref(p.type_scope, p.type)
            if p.marker:
                location = _LOCATIONS[p.marker]
            elif p.name in path_names:
                location = "path"
            elif ref is not None or last_name(p.type) in _LOGIN_FORMS:
                location = "form" if ref is None else "body"
            else:
                location = "query"
            if location == "body" and ref is not None and request_schema is None:
                request_schema = ref[0]
            params.append(_param(p, location))
        return tuple(params), request_schema

    def _injected(self, p: SigParam) -> bool:
        name = qual(self.ctx, p.type_scope, p.type) if p.type and p.type[0] in ("n", "a") else None
        return bool(name) and name.split(".")[0] in ("starlette", "sqlalchemy", "sqlmodel") and \
            name.rsplit(".", 1)[-1] in _INJECTED

    def _token_endpoint(self, e: Endpoint, scope: Scope, sig: list[SigParam], fn: FunctionFacts
                        ) -> TokenSource | None:
        """Login endpoints: take an OAuth2 password form, return an access_token, or call a token function."""
        makers = {t.name for t in self.token_fns}
        calls_maker = any(qual(self.ctx, scope, call_func(c)) in makers for c in fn.calls)
        form = any(last_name(p.type) in _LOGIN_FORMS for p in sig)
        if calls_maker or form or _returns_access_token(fn):
            return TokenSource(kind="endpoint", name=f"{e.method} {e.path}", scheme="jwt" if calls_maker else "oauth2",
                               file=e.file, line=e.line, app=self.ctx.app)
        return None


def _ref_key(d: DepRef) -> tuple:
    """A dependency as a memo key: what was written, and where (the module is tracked apart)."""
    return (d.kind, d.call, d.scope.module, d.scope.fn.qualname if d.scope.fn else "", d.type,
            d.type_scope.module if d.type_scope else "", d.type_scope.fn.qualname if d.type_scope and d.type_scope.fn
            else "")


def _param(p: SigParam, location: str) -> Param:
    default = p.default
    if p.marker_call is not None and default is None:
        default = arg(p.marker_call, 0, "default")
    required = default is None or is_ellipsis(default)
    return Param(name=p.name, location=location, type=render(p.type) or "Any", required=required,
                 default=None if required else render(default),
                 constraints=constraints_of(p.marker_call) if p.marker_call is not None else ())


def _returns_access_token(fn: FunctionFacts) -> bool:
    for value in fn.returns_values:
        if value and value[0] == "d" and any(const(k) == "access_token" for k, _v in value[1]):
            return True
        if is_call(value) and "access_token" in call_kwargs(value):
            return True
    return False


def normalise_path(path: str) -> str:
    """`/files/{p:path}` -> `/files/{p}`; `//` -> `/`; always a leading slash."""
    path = _PATH_PARAM.sub(lambda mt: "{" + mt.group(1) + "}", path)
    path = re.sub(r"/{2,}", "/", path)
    return path if path.startswith("/") else "/" + path

