"""The shape of a Flask app, read from facts: app objects (module-level or inside a factory),
blueprints, flask-restful/flask-smorest `Api`s, the routes attached to each, and which object
is registered on which (with what prefix). `flask.py` walks this graph into endpoints.

Objects are keyed by where they are bound: "pkg.mod.name" for module-level names (the same
string as the resolver's Symbol.fqn) and "pkg.mod:factory:name" for names local to a function.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field

from .context import AppContext
from .expr import (
    Expr,
    MaybeExpr,
    arg,
    call_args,
    call_func,
    call_kwargs,
    call_line,
    dotted,
    is_call,
    string,
    strings,
)
from .facts import ClassFacts, FunctionFacts, ModuleFacts
from .resolve import Resolver, Symbol, local_env

log = logging.getLogger(__name__)

_APPS = frozenset({"flask.Flask", "flask.app.Flask", "apiflask.APIFlask"})
_BLUEPRINTS = frozenset({"flask.Blueprint", "flask.blueprints.Blueprint", "flask_smorest.Blueprint",
                         "apiflask.APIBlueprint"})
_APIS = frozenset({"flask_restful.Api", "flask_smorest.Api"})
_SHORTCUTS = ("get", "post", "put", "patch", "delete")
_MAX_PARAM_HOPS = 3  # `register_blueprints(app)` helpers calling helpers
# derived memo dependency: the app's Flask objects, as far as what a module declares reads them
_OBJECTS = "@flask.objects"


@dataclass(slots=True, kw_only=True)
class FlaskObject:
    key: str
    kind: str  # "app" | "blueprint" | "api"
    cls: str  # dotted class, e.g. "flask.Blueprint"
    module: ModuleFacts
    var: str  # the bound name
    line: int
    scope: FunctionFacts | None  # the factory function for objects built inside one
    name: str = ""  # blueprint name (first argument)
    url_prefix: str | None = None
    api_prefix: str = ""  # flask-restful `Api(prefix=...)`: glued to each resource URL
    owner: Expr | None = None  # `Api(app)`: what the Api attaches to


@dataclass(slots=True, kw_only=True)
class Route:
    owner: str  # FlaskObject key
    rule: str
    methods: tuple[str, ...] | None  # None: the view's own / Flask's default
    endpoint: str | None
    module: ModuleFacts  # where the route is declared
    line: int  # decorator / add_url_rule line
    target: Symbol  # function or class
    view_name: str | None = None  # `as_view("name")`
    decorators: tuple[tuple[Expr, int], ...] = ()  # the view function's other decorators (auth, schemas)
    scope: FunctionFacts | None = None  # the function the view's decorators are evaluated in
    style: str = "function"  # "function" | "class" | "resource" | "smorest"
    # what the route is, for memo keys (flask.py); worked out once, as the route object is
    # itself reused from scan to scan while its module is unchanged
    memo_key: tuple | None = None


@dataclass(slots=True, kw_only=True)
class Registration:
    parent: str
    child: str
    url_prefix: str | None
    has_prefix: bool
    name: str | None
    file: str
    line: int


@dataclass(slots=True)
class FlaskGraph:
    objects: dict[str, FlaskObject] = field(default_factory=dict)
    routes: list[Route] = field(default_factory=list)
    registrations: list[Registration] = field(default_factory=list)

    def routes_of(self) -> dict[str, list[Route]]:
        out: dict[str, list[Route]] = defaultdict(list)
        for r in self.routes:
            out[r.owner].append(r)
        return out

    def children_of(self) -> dict[str, list[Registration]]:
        out: dict[str, list[Registration]] = defaultdict(list)
        for reg in self.registrations:
            out[reg.parent].append(reg)
        return out


def enclosing(module: ModuleFacts, fn: FunctionFacts) -> FunctionFacts | None:
    """The function a nested def lives in (`create_app` for `create_app.<locals>.hello`)."""
    outer, sep, _ = fn.qualname.rpartition(".<locals>.")
    return module.function(outer) if sep else None


class GraphBuilder:
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.resolver = ctx.resolver
        self.graph = FlaskGraph()

    def build(self) -> FlaskGraph:
        """Each module's objects, then each module's routes and registrations, memoized per
        module (memo.py): an edit re-reads the modules it touched. What one module declares
        depends on the objects of all of them only through `_OBJECTS` (which keys exist, and
        what `keys_of` and the declarations read of them), so moving a blueprint's line or
        prefix leaves the other modules' declarations alone."""
        modules = list(self.resolver.iter_modules())
        for m in modules:
            for obj in self.ctx.memoized(("flask.objects", m.module), lambda m=m: self._module_objects(m),
                                         reads=(m.module,)):
                self.graph.objects[obj.key] = obj
        # what `keys_of` and the declarations read of the objects
        self.resolver.derive(_OBJECTS, tuple((o.key, o.kind, o.cls, o.api_prefix, o.owner is None)
                                             for o in self.graph.objects.values()))
        for obj in list(self.graph.objects.values()):
            if obj.kind == "api" and obj.owner is not None:
                self._attach(obj, obj.owner, obj.module, obj.scope, obj.line)
        for m in modules:
            routes, registrations = self.ctx.memoized(("flask.decls", m.module), lambda m=m: self._module_decls(m),
                                                      reads=(m.module, _OBJECTS))
            self.graph.routes.extend(routes)
            self.graph.registrations.extend(registrations)
        return self.graph

    def _module_objects(self, m: ModuleFacts) -> tuple[FlaskObject, ...]:
        before = set(self.graph.objects)
        self._collect_objects(m)
        return tuple(obj for key, obj in self.graph.objects.items() if key not in before)

    def _module_decls(self, m: ModuleFacts) -> tuple[tuple[Route, ...], tuple[Registration, ...]]:
        """The routes and registrations `m` declares (on objects of any module)."""
        saved = self.graph.routes, self.graph.registrations
        self.graph.routes, self.graph.registrations = [], []
        try:
            for fn in (*m.functions, *m.local_functions):
                self.guard(m, fn.line, self._decorated_function, m, fn)
            for cls in m.classes:
                self.guard(m, cls.line, self._decorated_class, m, cls)
            for call in m.calls:
                self.guard(m, call_line(call), self._call, m, call, None)
            for fn in (*m.functions, *m.local_functions):
                for call in fn.calls:
                    self.guard(m, call_line(call), self._call, m, call, fn)
            return tuple(self.graph.routes), tuple(self.graph.registrations)
        finally:
            self.graph.routes, self.graph.registrations = saved

    def guard(self, m: ModuleFacts, line: int, work, *args) -> None:
        # one odd construct must not cost the rest of the app its endpoints
        try:
            work(*args)
        except (RecursionError, ValueError, TypeError, KeyError, IndexError, AttributeError) as e:
            log.debug("flask: %s:%s: %r", m.path, line, e)
            self.ctx.finding("flask-analysis-error", f"Could not read this Flask construct ({type(e).__name__}); "
                             "it was skipped.", file=m.path, line=line)

    # ---- objects -----------------------------------------------------------------------------
    def _collect_objects(self, m: ModuleFacts) -> None:
        for name, value, line in m.assigns:
            if "." not in name and is_call(value):
                self._object(f"{m.module}.{name}", m, name, value, line, None)
        for fn in (*m.functions, *m.local_functions):
            for name, value, line in fn.assigns:
                if "." not in name and is_call(value):
                    self._object(f"{m.module}:{fn.qualname}:{name}", m, name, value, line, fn)

    def _object(self, key: str, m: ModuleFacts, var: str, call: Expr, line: int, scope: FunctionFacts | None) -> None:
        func = call_func(call)
        if dotted(func) is None:
            return
        local, imports = local_env(scope) if scope else (None, None)
        sym = self.resolver.resolve_expr(m.module, func, local, imports)
        cls = _framework_class(self.resolver, sym)
        if cls is None:
            return
        kind = "app" if cls in _APPS else "blueprint" if cls in _BLUEPRINTS else "api"
        obj = FlaskObject(key=key, kind=kind, cls=cls, module=m, var=var, line=line, scope=scope)
        if kind == "blueprint":
            obj.name = string(arg(call, 0, "name")) or var
            prefix = arg(call, 5, "url_prefix")  # Blueprint's 6th parameter
            obj.url_prefix = string(prefix)
            if prefix is not None and obj.url_prefix is None:
                self.ctx.finding("unresolved-prefix", f"url_prefix of blueprint {var!r} is not a literal string; "
                                 "its routes are reported without it.", file=m.path, line=line)
        elif kind == "api":
            obj.owner = arg(call, 0, "app")
            obj.api_prefix = string(call_kwargs(call).get("prefix")) or ""
        self.graph.objects[key] = obj

    # ---- name -> objects ---------------------------------------------------------------------
    def keys_of(self, m: ModuleFacts, e: MaybeExpr, scope: FunctionFacts | None, hops: int = 0) -> list[str]:
        """Objects that the expression `e`, seen in `scope` (or at module level), can be."""
        name = dotted(e)
        if name is None:
            return []
        self.resolver.use(_OBJECTS)  # the answer depends on which objects exist
        local: dict | None = None
        imports: dict | None = None
        fn = scope
        while fn is not None:  # the function, then the functions it is nested in
            key = f"{m.module}:{fn.qualname}:{name}"
            if key in self.graph.objects:
                return [key]
            params = [p[0] for p in fn.params]
            if name in params:
                return self._param_keys(m, fn, params.index(name), name, hops)
            fn = enclosing(m, fn)
        if scope is not None:
            local, imports = local_env(scope)
            head = name.partition(".")[0]
            if head in local and dotted(local[head]) is None:
                return []  # a local bound to something we do not model
        sym = self.resolver.resolve_expr(m.module, e, local, imports)
        if sym is not None and sym.kind == "assign" and sym.fqn in self.graph.objects:
            return [sym.fqn]
        return []

    def _param_keys(self, m: ModuleFacts, fn: FunctionFacts, index: int, name: str, hops: int) -> list[str]:
        """`def register_blueprints(app): app.register_blueprint(...)`: the objects callers pass."""
        if hops >= _MAX_PARAM_HOPS or "." in fn.qualname:
            return []
        out: list[str] = []
        for caller_m in self.resolver.iter_modules():
            sites = [(call, None) for call in caller_m.calls]
            sites += [(call, f) for f in (*caller_m.functions, *caller_m.local_functions) for call in f.calls]
            for call, caller in sites:
                callee = dotted(call_func(call))
                if callee is None or callee.rsplit(".", 1)[-1] != fn.qualname:
                    continue  # cheap filter before resolving
                local, imports = local_env(caller) if caller else (None, None)
                sym = self.resolver.resolve_expr(caller_m.module, call_func(call), local, imports)
                if sym is None or sym.kind != "function" or sym.module != m.module or sym.name != fn.qualname:
                    continue
                passed = arg(call, index, name)
                out += [k for k in self.keys_of(caller_m, passed, caller, hops + 1) if k not in out]
        return out

    def _attach(self, obj: FlaskObject, owner: Expr, m: ModuleFacts, scope: FunctionFacts | None, line: int) -> None:
        for parent in self.keys_of(m, owner, scope):
            self.graph.registrations.append(Registration(parent=parent, child=obj.key, url_prefix=None,
                                                         has_prefix=False, name=None, file=m.path, line=line))

    # ---- routes ------------------------------------------------------------------------------
    def _route_decorators(self, m: ModuleFacts, decorators: tuple, lines: tuple, scope: FunctionFacts | None
                          ) -> tuple[list[tuple[str, Expr, int, str]], list[tuple[Expr, int]]]:
        """Split decorators into routes (owner key, call, line, verb) and the rest."""
        routes, rest = [], []
        for dec, line in zip(decorators, lines):
            func = call_func(dec)
            if func and func[0] == "a" and func[2] in ("route", *_SHORTCUTS):
                keys = self.keys_of(m, func[1], scope)
                if keys:
                    routes += [(k, dec, line, func[2]) for k in keys]
                    continue
                if func[2] == "route" and string(arg(dec, 0, "rule")) is not None:
                    self.ctx.finding("unresolved-route-target",
                                     f"@{dotted(func) or 'route'}: cannot tell which Flask app or blueprint this "
                                     "is; the route is not reported.", file=m.path, line=line)
                    continue
            rest.append((dec, line))
        return routes, rest

    def _decorated_function(self, m: ModuleFacts, fn: FunctionFacts) -> None:
        if not fn.decorators:
            return
        scope = enclosing(m, fn)
        routes, rest = self._route_decorators(m, fn.decorators, fn.decorator_lines, scope)
        target = Symbol("function", m.module, fn.qualname, fn)
        for owner, dec, line, verb in routes:
            self._add_route(m, owner, dec, line, verb, target, tuple(rest), scope, "function")

    def _decorated_class(self, m: ModuleFacts, cls: ClassFacts) -> None:
        if not cls.decorators:
            return
        lines = tuple(call_line(d) or cls.line for d in cls.decorators)  # classes keep no decorator lines
        routes, rest = self._route_decorators(m, cls.decorators, lines, None)
        target = Symbol("class", m.module, cls.qualname, cls)
        for owner, dec, line, verb in routes:
            self._add_route(m, owner, dec, line, verb, target, tuple(rest), None, "smorest")

    def _add_route(self, m: ModuleFacts, owner: str, dec: Expr, line: int, verb: str, target: Symbol,
                   decorators: tuple, scope: FunctionFacts | None, style: str) -> None:
        rule = string(arg(dec, 0, "rule"))
        if rule is None:
            self.ctx.finding("unresolved-route-path", f"Route path of {target.fqn} is not a literal string; "
                             "the route is not reported.", file=m.path, line=line)
            return
        methods = (verb.upper(),) if verb != "route" else self._methods(m, dec, line)
        self.graph.routes.append(Route(owner=owner, rule=rule, methods=methods,
                                       endpoint=string(call_kwargs(dec).get("endpoint")), module=m, line=line,
                                       target=target, decorators=decorators, scope=scope, style=style))

    def _methods(self, m: ModuleFacts, call: Expr, line: int) -> tuple[str, ...] | None:
        value = call_kwargs(call).get("methods")
        if value is None:
            return None
        found = tuple(s.upper() for s in strings(value))
        if not found:
            self.ctx.finding("unresolved-methods", "methods= is not a literal list; reporting GET only.",
                             file=m.path, line=line)
            return ("GET",)
        return found

    # ---- calls: register_blueprint / add_url_rule / add_resource / init_app -------------------
    def _call(self, m: ModuleFacts, call: Expr, scope: FunctionFacts | None) -> None:
        func = call_func(call)
        if not func or func[0] != "a":
            return
        attr = func[2]
        if attr == "register_blueprint":
            self._register(m, call, func[1], scope)
        elif attr == "add_url_rule":
            for owner in self.keys_of(m, func[1], scope):
                self._add_url_rule(m, call, owner, scope)
        elif attr == "add_resource":
            for owner in self.keys_of(m, func[1], scope):
                self._add_resource(m, call, owner, scope)
        elif attr == "init_app":
            for key in self.keys_of(m, func[1], scope):
                obj = self.graph.objects[key]
                if obj.kind == "api" and obj.owner is None:
                    self._attach(obj, arg(call, 0, "app"), m, scope, call_line(call))

    def _register(self, m: ModuleFacts, call: Expr, owner: Expr, scope: FunctionFacts | None) -> None:
        line = call_line(call)
        parents = self.keys_of(m, owner, scope)
        child_expr = arg(call, 0, "blueprint")
        children = self.keys_of(m, child_expr, scope)
        if not parents or not children:
            what = dotted(child_expr) if not children else dotted(owner)
            self.ctx.finding("unresolved-blueprint", f"register_blueprint: cannot resolve {what or 'its argument'} "
                             "statically; routes of that blueprint may be missing or lack this prefix.",
                             file=m.path, line=line)
            return
        kwargs = call_kwargs(call)
        prefix = string(kwargs.get("url_prefix"))
        if "url_prefix" in kwargs and prefix is None:
            self.ctx.finding("unresolved-prefix", "url_prefix= is not a literal string; the blueprint's own "
                             "prefix is used.", file=m.path, line=line)
        for parent in parents:
            for child in children:
                self.graph.registrations.append(Registration(
                    parent=parent, child=child, url_prefix=prefix, has_prefix=prefix is not None,
                    name=string(kwargs.get("name")), file=m.path, line=line))

    def _add_url_rule(self, m: ModuleFacts, call: Expr, owner: str, scope: FunctionFacts | None) -> None:
        line = call_line(call)
        rule = string(arg(call, 0, "rule"))
        endpoint = string(arg(call, 1, "endpoint"))
        view = arg(call, 2, "view_func")
        if view is None:
            log.debug("flask: add_url_rule without view_func at %s:%s (endpoint alias)", m.path, line)
            return
        if rule is None:
            self.ctx.finding("unresolved-route-path", "add_url_rule: the rule is not a literal string; the route "
                             "is not reported.", file=m.path, line=line)
            return
        target, view_name = self._view(m, view, scope)
        if target is None:
            self.ctx.finding("unresolved-view", f"add_url_rule: cannot resolve view_func "
                             f"{dotted(view) or 'expression'} statically; the route is not reported.",
                             file=m.path, line=line)
            return
        style = "class" if target.kind == "class" else "function"
        decorators = tuple((d, ln) for d, ln in zip(target.facts.decorators, target.facts.decorator_lines)) \
            if target.kind == "function" else ()
        self.graph.routes.append(Route(owner=owner, rule=rule, methods=self._methods(m, call, line),
                                       endpoint=endpoint, module=m, line=line, target=target,
                                       view_name=view_name, decorators=decorators, style=style,
                                       scope=enclosing(self.resolver.module(target.module), target.facts)
                                       if target.kind == "function" else None))

    def _view(self, m: ModuleFacts, view: Expr, scope: FunctionFacts | None) -> tuple[Symbol | None, str | None]:
        """view_func -> (function or class symbol, `as_view` name)."""
        local, imports = local_env(scope) if scope else (None, None)
        if dotted(view) is not None:
            head = dotted(view)
            bound = (local or {}).get(head) if local else None
            if bound is None and scope is None:
                found = m.assigned(head)
                bound = found[0] if found else None
            if is_call(bound):
                view = bound  # `item_view = ItemAPI.as_view("item")` then view_func=item_view
        if is_call(view):
            func = call_func(view)
            if func and func[0] == "a" and func[2] == "as_view":
                sym = self.resolver.resolve_expr(m.module, func[1], local, imports)
                return (sym if sym and sym.kind == "class" else None), string(arg(view, 0, "name"))
            return None, None
        sym = self.resolver.resolve_expr(m.module, view, local, imports)
        if sym is not None and sym.kind in ("function", "class"):
            return sym, None
        return None, None

    def _add_resource(self, m: ModuleFacts, call: Expr, owner: str, scope: FunctionFacts | None) -> None:
        line = call_line(call)
        obj = self.graph.objects[owner]
        local, imports = local_env(scope) if scope else (None, None)
        sym = self.resolver.resolve_expr(m.module, arg(call, 0, "resource"), local, imports)
        if sym is None or sym.kind != "class":
            self.ctx.finding("unresolved-view", "add_resource: cannot resolve the resource class statically; "
                             "its routes are not reported.", file=m.path, line=line)
            return
        urls = [string(u) for u in call_args(call)[1:]]
        if any(u is None for u in urls):
            self.ctx.finding("unresolved-route-path", "add_resource: a URL is not a literal string; it is not "
                             "reported.", file=m.path, line=line)
        endpoint = string(call_kwargs(call).get("endpoint")) or sym.name.rsplit(".", 1)[-1].lower()
        for url in urls:
            if url is not None:
                self.graph.routes.append(Route(owner=owner, rule=obj.api_prefix + url, methods=None,
                                               endpoint=endpoint, module=m, line=line, target=sym,
                                               style="resource"))


def _framework_class(resolver: Resolver, sym: Symbol | None) -> str | None:
    """The Flask class a constructor call builds: flask.Flask, a Blueprint, an Api, or a
    workspace subclass of one of them."""
    if sym is None:
        return None
    if sym.kind == "external":
        return sym.name if sym.name in _APPS | _BLUEPRINTS | _APIS else None
    if sym.kind == "class":
        return resolver.inherits(sym, _APPS | _BLUEPRINTS | _APIS)
    return None
