"""Class-based Flask views: `MethodView` (and flask-smorest views on it), `View` with
`methods = [...]`, flask-restful `Resource`. Which HTTP methods a class answers and which
function handles each one."""

from __future__ import annotations

from dataclasses import dataclass

from .expr import Expr, const, items, strings
from .facts import FunctionFacts, ModuleFacts
from .resolve import Resolver, Symbol

_HTTP = ("get", "post", "put", "patch", "delete")
DROPPED_METHODS = frozenset({"HEAD", "OPTIONS"})  # added by Flask itself; not the app's seams


@dataclass(frozen=True, slots=True, kw_only=True)
class ViewMethod:
    method: str  # upper case
    handler: str  # dotted: the registered class plus the method name
    module: ModuleFacts  # where the handling function is defined (maybe a base class)
    fn: FunctionFacts


def view_kind(resolver: Resolver, sym: Symbol) -> str | None:
    """"method-view" | "resource" | "view", or None for a class that is not a Flask view."""
    if resolver.inherits(sym, {"MethodView", "flask.views.MethodView"}):
        return "method-view"
    if resolver.inherits(sym, {"flask_restful.Resource", "flask_restx.Resource", "Resource"}):
        return "resource"
    if resolver.inherits(sym, {"flask.views.View", "View"}):
        return "view"
    return None


def view_methods(resolver: Resolver, sym: Symbol, kind: str, explicit: tuple[str, ...] | None
                 ) -> list[ViewMethod]:
    """Method -> handler for a view class. `explicit` is `methods=` given at registration."""
    defined = _defined(resolver, sym)
    if kind == "view":
        dispatch = defined.get("dispatch_request")
        if dispatch is None:
            return []
        methods = explicit or _class_methods_attr(resolver, sym) or ("GET",)
        return [ViewMethod(method=m, handler=f"{sym.fqn}.dispatch_request", module=dispatch[0], fn=dispatch[1])
                for m in methods if m not in DROPPED_METHODS]
    out = []
    for name in _HTTP:
        if name in defined and (explicit is None or name.upper() in explicit):
            module, fn = defined[name]
            out.append(ViewMethod(method=name.upper(), handler=f"{sym.fqn}.{name}", module=module, fn=fn))
    return out


def class_decorators(resolver: Resolver, sym: Symbol, method: str) -> list[Expr]:
    """Decorators applied by the class to every view: Flask `decorators = [...]`,
    flask-restful `method_decorators` (a list, or a dict per lower-case method)."""
    out: list[Expr] = []
    for attr in ("decorators", "method_decorators"):
        value = _class_attr(resolver, sym, attr)
        if value and value[0] == "d":
            for key, per_method in value[1]:
                if const(key) == method.lower():
                    out.extend(items(per_method))
        else:
            out.extend(items(value))
    return out


def _defined(resolver: Resolver, sym: Symbol) -> dict[str, tuple[ModuleFacts, FunctionFacts]]:
    """Method name -> (module, function) through the workspace part of the MRO; nearest wins."""
    out: dict[str, tuple[ModuleFacts, FunctionFacts]] = {}
    for anc in resolver.mro(sym):
        found = resolver.class_of(anc)
        if found is None:
            continue
        module, cls = found
        for name in cls.methods:
            fn = module.function(f"{cls.qualname}.{name}")
            if fn is not None and name not in out:
                out[name] = (module, fn)
    return out


def _class_attr(resolver: Resolver, sym: Symbol, attr: str) -> Expr | None:
    for anc in resolver.mro(sym):
        if anc.kind != "class":
            continue
        for name, _ann, value, _line in anc.facts.attrs:
            if name == attr:
                return value
    return None


def _class_methods_attr(resolver: Resolver, sym: Symbol) -> tuple[str, ...]:
    return tuple(m.upper() for m in strings(_class_attr(resolver, sym, "methods")))
