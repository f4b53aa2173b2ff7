"""Flask URL rules and request reads: `<int:id>` converters, blueprint prefix joins, and the
parameters a view reads through `request.args` / `request.form` / `request.get_json()`."""

from __future__ import annotations

import re

from ..model import Param
from .expr import (
    Expr,
    MaybeExpr,
    arg,
    call_func,
    call_kwargs,
    call_line,
    dotted,
    is_call,
    render,
    string,
    walk,
)
from .facts import FunctionFacts, ModuleFacts
from .resolve import Resolver, local_env

# `<name>`, `<int:name>`, `<string(length=2):name>`
_RULE_VAR = re.compile(r"<(?:([A-Za-z_]\w*)(?:\([^)]*\))?:)?([A-Za-z_]\w*)>")
_CONVERTER_TYPES = {None: "str", "string": "str", "default": "str", "any": "str", "int": "int",
                    "float": "float", "path": "path", "uuid": "uuid"}
# attribute of `request` -> Param.location
_SOURCES = {"args": "query", "values": "query", "form": "form", "files": "file", "headers": "header",
            "cookies": "cookie", "json": "body"}
REQUEST = frozenset({"flask.request", "flask.globals.request"})  # however `request` was imported


def openapi_path(rule: str) -> str:
    return _RULE_VAR.sub(lambda m: "{" + m.group(2) + "}", rule)


def path_params(rule: str) -> list[Param]:
    return [Param(name=m.group(2), location="path", type=_CONVERTER_TYPES.get(m.group(1), m.group(1)))
            for m in _RULE_VAR.finditer(rule)]


def join_rule(prefix: str | None, rule: str) -> str:
    """Flask's BlueprintSetupState.add_url_rule join of a blueprint prefix and a rule."""
    if prefix is None:
        return rule
    if not rule:
        return prefix
    return "/".join((prefix.rstrip("/"), rule.lstrip("/")))


def compose_prefix(parent: str | None, child: str | None) -> str | None:
    """Flask's Blueprint.register prefix composition for a nested blueprint."""
    if parent is not None and child is not None:
        return parent.rstrip("/") + "/" + child.lstrip("/")
    return child if child is not None else parent


def request_params(resolver: Resolver, module: ModuleFacts, fn: FunctionFacts) -> list[Param]:
    """Query/form/body/header params the view body reads; bounded to patterns we can read
    with certainty (`request.args.get("x")`, `request.form["x"]`, `data = request.get_json(); data["x"]`)."""
    reader = _RequestReader(resolver, module, fn)
    # in source order, so params read first are listed first
    lined: list[tuple[int, Expr]] = [(call_line(c), c) for c in fn.calls]
    lined += [(line, v) for _t, v, line in fn.assigns if v]
    lined += [(line, v) for _b, _k, v, line in fn.item_assigns if v]
    lined.sort(key=lambda pair: pair[0])
    exprs = [e for _line, e in lined] + [v for v in fn.returns_values if v]
    out: dict[tuple[str, str], Param] = {}
    for top in exprs:
        for e in walk(top):
            p = reader.param(e)
            if p is not None and (p.name, p.location) not in out:
                out[(p.name, p.location)] = p
    if reader.reads_json and not any(p.location == "body" for p in out.values()):
        out[("body", "body")] = Param(name="body", location="body", type="json")
    return list(out.values())


class _RequestReader:
    def __init__(self, resolver: Resolver, module: ModuleFacts, fn: FunctionFacts) -> None:
        self.resolver = resolver
        self.module = module.module
        self.local, self.imports = local_env(fn)
        self.known: dict[str, bool] = {}
        self.reads_json = False
        # locals bound to a whole request mapping: `data = request.get_json()`, `form = request.form`
        self.mappings: dict[str, str] = {}
        for target, value, _line in fn.assigns:
            loc = self._mapping(value)
            if loc and "." not in target:
                self.mappings[target] = loc

    def _is_request(self, e: MaybeExpr) -> bool:
        name = dotted(e)
        if name is None:
            return False
        if name not in self.known:
            q = self.resolver.qualname(self.module, e, self.local, self.imports)
            self.known[name] = q in REQUEST
        return self.known[name]

    def _mapping(self, e: MaybeExpr) -> str | None:
        """Location if `e` is a whole request mapping (`request.form`, `request.get_json()`)."""
        if not e:
            return None
        if is_call(e):
            f = call_func(e)
            if f and f[0] == "a" and f[2] in ("get_json", "json") and self._is_request(f[1]):
                self.reads_json = True
                return "body"
            return None
        if e[0] == "a" and e[2] in _SOURCES and self._is_request(e[1]):
            if e[2] == "json":
                self.reads_json = True
            return _SOURCES[e[2]]
        if e[0] == "n" and e[1] in self.mappings:
            return self.mappings[e[1]]
        return None

    def param(self, e: Expr) -> Param | None:
        if e[0] == "s":  # request.form["x"]
            loc = self._mapping(e[1])
            name = string(e[2])
            return Param(name=name, location=loc, type=_default_type(loc)) if loc and name else None
        if is_call(e):
            f = call_func(e)
            if f and f[0] == "a" and f[2] in ("get", "getlist"):
                loc = self._mapping(f[1])
                name = string(arg(e, 0, "key"))
                if not loc or not name:
                    return None
                default = arg(e, 1, "default")
                type_expr = call_kwargs(e).get("type")
                typ = render(type_expr) if type_expr else ("list" if f[2] == "getlist" else _default_type(loc))
                return Param(name=name, location=loc, type=typ, required=False,
                             default=render(default) if default else None)
            self._mapping(e)  # notes `request.get_json()` even when no key is read
        return None


def _default_type(location: str) -> str:
    return "Any" if location == "body" else "str"  # query strings and form fields arrive as text
