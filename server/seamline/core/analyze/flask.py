"""Flask linker: endpoints, auth, params and token sources of a Flask app, from facts alone.

`flask_graph` finds the apps (module-level or built in a factory), blueprints and Apis and what
is registered on what; this module walks that graph from each app, composing prefixes and
endpoint names the way Flask does, and turns each route into `Endpoint`s.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from ..model import AuthRequirement, Endpoint, Schema, Span, TokenSource
from . import orm
from .context import AppContext, LinkResult
from .expr import Expr, arg, call_func, call_kwargs, const, dotted, items, string
from .facts import FunctionFacts, ModuleFacts
from .fastapi_common import last_name
from .flask_auth import AuthReader, issued_scheme, token_functions
from .flask_graph import FlaskGraph, GraphBuilder, Route
from .flask_request import compose_prefix, join_rule, openapi_path, path_params, request_params
from .flask_views import DROPPED_METHODS, class_decorators, view_kind, view_methods
from .marshmallow_schemas import is_marshmallow_schema, marshmallow_schema, schema_class
from .resolve import binding_name

log = logging.getLogger(__name__)

# one endpoint of a route: (method, path, handler) it is unique by, the endpoint, the credential
# its view hands out
_Emitted = tuple[tuple[str, str, str], Endpoint, "str | None"]
# derived memo dependency: the routes declared on one object (by whichever modules)
_ROUTES = "@flask.routes:"

_BODY_LOCATIONS = frozenset({"body", "form", "file"})
_SMOREST_BLUEPRINTS = frozenset({"flask_smorest.Blueprint"})


@dataclass(frozen=True, slots=True, kw_only=True)
class _Mount:
    """Where a route ends up: the composed blueprint prefix and endpoint-name parts."""

    prefix: str | None
    names: tuple[str, ...]


def analyze(ctx: AppContext) -> LinkResult:
    builder = GraphBuilder(ctx)
    graph = builder.build()
    linker = _Linker(ctx, graph, builder)
    counts = {key: linker.walk(key, _Mount(prefix=None, names=()), (key,))
              for key, obj in graph.objects.items() if obj.kind == "app"}
    linker.report_unregistered()
    return LinkResult(endpoints=linker.endpoints, token_sources=linker.token_sources(), entry=_entry(graph, counts),
                      schemas=_schemas_named(ctx, linker.endpoints))


def _schemas_named(ctx: AppContext, endpoints: list[Endpoint]) -> list[Schema]:
    """The marshmallow schemas the endpoints name (flask-smorest, flask-apispec, webargs), each with
    the schemas it nests; looked up and read once per name, reused while nothing it read changes."""
    out: dict[str, Schema] = {}
    for name in dict.fromkeys(n for e in endpoints for n in (e.request_schema, e.response_schema) if n):
        for schema in ctx.memoized(("flask.marshmallow", name), lambda name=name: _read_schema(ctx, name)):
            out.setdefault(schema.name, schema)
    return list(out.values())


def _read_schema(ctx: AppContext, name: str) -> tuple[Schema, ...]:
    module, _, attr = name.rpartition(".")
    sym = ctx.resolver.lookup(module, attr) if module else None
    if sym is None or not is_marshmallow_schema(ctx, sym):
        return ()
    out: dict[str, Schema] = {}
    marshmallow_schema(ctx, sym, out)
    return tuple(out.values())


def _entry(graph: FlaskGraph, counts: dict[str, int]) -> str | None:
    """"module:app" or "module:create_app" of the app with most endpoints (first wins a tie)."""
    if not counts:
        return None
    best = max(counts, key=lambda k: counts[k])
    obj = graph.objects[best]
    if obj.scope is None:
        return f"{obj.module.module}:{obj.var}"
    return f"{obj.module.module}:{obj.scope.qualname.split('.<locals>.')[0]}"


class _Linker:
    def __init__(self, ctx: AppContext, graph: FlaskGraph, builder: GraphBuilder) -> None:
        self.ctx = ctx
        self.resolver = ctx.resolver
        self.graph = graph
        self.builder = builder
        self.routes = graph.routes_of()
        for key in graph.objects:  # what an object's routes are, for reusing them whole (`_object_routes`)
            self.resolver.derive(_ROUTES + key, tuple(_route_key(r) for r in self.routes.get(key, ())))
        self.children = graph.children_of()
        self.auth = AuthReader(ctx)
        self.reached: set[str] = set()
        self.endpoints: list[Endpoint] = []
        self._seen: set[tuple[str, str, str]] = set()
        self._issued: dict[str, str | None] = {}  # handler -> the credential it hands out
        self._out: list[_Emitted] = []  # what the route being emitted gives

    # ---- graph walk ------------------------------------------------------------------------------
    def walk(self, key: str, mount: _Mount, trail: tuple[str, ...]) -> int:
        """Emit the routes of `key` and everything registered under it; returns the count."""
        self.reached.add(key)
        before = len(self.endpoints)
        for seen, endpoint, issued in self._object_routes(key, mount):
            if seen not in self._seen:  # the first route of a method, path and handler wins
                self._seen.add(seen)
                self.endpoints.append(endpoint)
                self._issued.setdefault(endpoint.handler, issued)
        for reg in self.children.get(key, ()):
            if reg.child in trail:
                self.ctx.finding("blueprint-cycle", "A blueprint is registered inside itself; not followed.",
                                 file=reg.file, line=reg.line)
                continue
            child = self.graph.objects[reg.child]
            if child.kind == "api":  # an Api adds routes to its owner; no name or prefix of its own
                self.walk(child.key, mount, (*trail, child.key))
                continue
            own = reg.url_prefix if reg.has_prefix else child.url_prefix
            self.walk(child.key, _Mount(prefix=compose_prefix(mount.prefix, own),
                                        names=(*mount.names, reg.name or child.name)), (*trail, child.key))
        return len(self.endpoints) - before

    def report_unregistered(self) -> None:
        """Blueprints no app registers still have routes; report them under their own prefix."""
        nested = {reg.child for reg in self.graph.registrations}
        for key, obj in self.graph.objects.items():
            if key in self.reached or key in nested or obj.kind == "app":
                continue
            what = f"Blueprint {obj.name!r}" if obj.kind == "blueprint" else f"Api {obj.var!r}"
            self.ctx.finding("unregistered-blueprint", f"{what} is never registered on an app that Seamline "
                             "can see; its routes are reported under its own prefix.", file=obj.module.path,
                             line=obj.line, severity="info")
            names = (obj.name,) if obj.kind == "blueprint" else ()
            self.walk(key, _Mount(prefix=obj.url_prefix, names=names), (key,))

    # ---- routes -> endpoints -------------------------------------------------------------------
    def _object_routes(self, key: str, mount: _Mount) -> tuple[_Emitted, ...]:
        """The endpoints of the routes declared on one object, under one mount: one memo check
        for all of them while no route of the object moved and no module they read changed."""
        routes = self.routes.get(key, ())
        if not routes:
            return ()
        return self.ctx.memoized(("flask.object-routes", key, mount),
                                 lambda: tuple(e for route in routes for e in self._emitted(route, mount)),
                                 reads=(_ROUTES + key,))

    def _emitted(self, route: Route, mount: _Mount) -> tuple[_Emitted, ...]:
        """The endpoints of one route under one mount, reused across scans while the modules of
        the route and its view (and whatever they looked up) are unchanged."""
        key = ("flask.route", route.owner, mount, route.module.path, *_route_key(route))
        # the route itself is in the key; its view (with its decorators) is read as one binding
        return self.ctx.memoized(key, lambda: self._emit_all(route, mount),
                                 reads=(binding_name(route.target.module, route.target.name),))

    def _emit_all(self, route: Route, mount: _Mount) -> tuple[_Emitted, ...]:
        self._out = []
        self.builder.guard(route.module, route.line, self._emit, route, mount)
        return tuple(self._out)

    def _emit(self, route: Route, mount: _Mount) -> None:
        rule = join_rule(mount.prefix, route.rule)
        if route.target.kind == "function":
            fn = route.target.facts
            module = self.resolver.defining_module(route.target)
            name = route.endpoint or fn.qualname.rsplit(".", 1)[-1]
            auth = self.auth.requirements(module, list(route.decorators), route.scope)
            for method in route.methods or ("GET",):
                if method not in DROPPED_METHODS:
                    self._add(method, rule, route, route.target.fqn, module, fn, mount, name, auth,
                              list(route.decorators))
            return
        self._emit_class(route, mount, rule)

    def _emit_class(self, route: Route, mount: _Mount, rule: str) -> None:
        sym = route.target
        kind = view_kind(self.resolver, sym)
        if kind is None:
            self.ctx.finding("unresolved-view", f"{sym.fqn} is registered as a view but does not derive from a "
                             "Flask view class Seamline knows; not reported.", file=route.module.path, line=route.line)
            return
        short = sym.name.rsplit(".", 1)[-1]
        name = route.endpoint or route.view_name or (short.lower() if kind == "resource" else short)
        cls_module = self.resolver.defining_module(sym)
        for vm in view_methods(self.resolver, sym, kind, route.methods):
            decorators = [(d, line) for d, line in zip(vm.fn.decorators, vm.fn.decorator_lines)]
            auth = self.auth.requirements(vm.module, decorators, None)
            cls_decs = [(d, sym.facts.line) for d in class_decorators(self.resolver, sym, vm.method)]
            auth += self.auth.requirements(cls_module, cls_decs, None)
            auth += self.auth.requirements(route.module, list(route.decorators), route.scope)
            self._add(vm.method, rule, route, vm.handler, vm.module, vm.fn, mount, name, auth, decorators)

    def _add(self, method: str, rule: str, route: Route, handler: str, module: ModuleFacts, fn: FunctionFacts,
             mount: _Mount, name: str, auth: list[AuthRequirement], decorators: list[tuple[Expr, int]]) -> None:
        path = openapi_path(rule)
        params = {(p.name, p.location): p for p in path_params(rule)}
        # reused across routes and scans while the view's module (and what it imports) is unchanged
        read = self.ctx.memoized(("flask.request-params", module.module, fn.qualname),
                                 lambda: tuple(request_params(self.resolver, module, fn)),
                                 reads=(binding_name(module.module, fn.qualname),))
        for p in read:
            if method == "GET" and p.location in _BODY_LOCATIONS:
                continue  # a view serving GET and POST reads its form under `if request.method == "POST"`
            params.setdefault((p.name, p.location), p)
        schemas = self._declared_schemas(module, decorators)
        endpoint = Endpoint(
            method=method, path=path, framework="flask", handler=handler, file=module.path, line=fn.line,
            app=self.ctx.app, span=Span(line=fn.line, col=fn.col, end_line=fn.end_line, end_col=fn.end_col),
            name=".".join((*mount.names, name)), params=tuple(params.values()),
            request_schema=schemas.get("request"), response_schema=schemas.get("response"),
            status_code=schemas.get("status") or _returned_status(fn), auth=tuple(dict.fromkeys(auth)),
            effects=tuple(orm.effects_of(self.ctx, module, fn)), decorator_lines=(route.line,),
            route_file=route.module.path if route.module.path != module.path else None,  # add_url_rule elsewhere
        )
        issued = issued_scheme(self.resolver, module, fn, self._makers())
        self._out.append(((method, path, handler), endpoint, issued))

    def _declared_schemas(self, module: ModuleFacts, decorators: list[tuple[Expr, int]]) -> dict:
        """flask-smorest `@blp.arguments(Schema)` / `@blp.response(200, Schema)`; flask-apispec and
        webargs `@use_kwargs(schema)` / `@use_args(schema)` / `@marshal_with(schema)`."""
        out: dict = {}
        for dec, _line in decorators:
            func = call_func(dec)
            called = last_name(func) if func else None
            if called in ("use_kwargs", "use_args", "marshal_with"):
                location = string(call_kwargs(dec).get("location")) or "json"
                target = schema_class(self.ctx, module.module, arg(dec, 0, "args" if called != "marshal_with"
                                                                   else "schema"))
                if target is not None and (called == "marshal_with" or location in ("json", "form", "json_or_form")):
                    out["response" if called == "marshal_with" else "request"] = target.fqn
                continue
            if not func or func[0] != "a" or func[2] not in ("arguments", "response"):
                continue
            owners = self.builder.keys_of(module, func[1], None)
            if not any(self.graph.objects[k].cls in _SMOREST_BLUEPRINTS for k in owners):
                continue
            if func[2] == "arguments":
                location = string(call_kwargs(dec).get("location")) or "json"
                if location in ("json", "form"):
                    out["request"] = self._schema_name(module, arg(dec, 0, "schema"))
            else:
                status = const(arg(dec, 0, "status_code"))
                out["status"] = status if isinstance(status, int) else None
                out["response"] = self._schema_name(module, arg(dec, 1, "schema"))
        return out

    def _schema_name(self, module: ModuleFacts, e: Expr | None) -> str | None:
        target = schema_class(self.ctx, module.module, e)  # the class, also of an instance (`pet_schema`)
        if target is not None:
            return target.fqn
        if e and e[0] == "c":  # `PetSchema(many=True)`
            e = call_func(e)
        return self.resolver.qualname(module.module, e) if dotted(e) else None

    # ---- credentials -----------------------------------------------------------------------------
    def _makers(self) -> dict[str, TokenSource]:
        """The app's token-minting functions; a view depends on their names only."""
        return self.ctx.shared("flask.token-functions", lambda: token_functions(self.ctx), lambda v: tuple(sorted(v)))

    def token_sources(self) -> list[TokenSource]:
        out = list(self._makers().values())
        by_handler: dict[str, list[Endpoint]] = {}
        for ep in self.endpoints:
            by_handler.setdefault(ep.handler, []).append(ep)
        for handler, eps in by_handler.items():
            scheme = self._issued[handler]
            if scheme is None:
                continue
            ep = next((e for e in eps if e.method == "POST"), eps[0])
            out.append(TokenSource(kind="endpoint", name=ep.key, scheme=scheme, file=ep.file, line=ep.line,
                                   app=self.ctx.app))
        return out


def _route_key(route: Route) -> tuple:
    """What a route is, apart from what its modules say (those are memo dependencies)."""
    if route.memo_key is None:
        route.memo_key = _route_identity(route)
    return route.memo_key


def _route_identity(route: Route) -> tuple:
    return (route.module.module, route.line, route.rule, route.methods, route.endpoint, route.target.kind,
            route.target.fqn, route.view_name, route.style)


def _returned_status(fn: FunctionFacts) -> int | None:
    """The success status a view returns as `return body, 201` (the first 2xx one), else None (200)."""
    for value in fn.returns_values:
        parts = items(value) if value and value[0] == "l" else ()
        status = const(parts[1]) if len(parts) >= 2 else None
        if isinstance(status, int) and 200 <= status < 300:
            return status
    return None
