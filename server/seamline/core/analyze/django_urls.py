"""Django URL trees, statically: `urlpatterns` lists, `path`/`re_path`/`url`, `include(...)` in
all its spellings, and DRF routers mounted with `include(router.urls)`.

The walk yields leaves (a composed route template and the view expression it maps to) and
router mounts; what a view *does* is decided elsewhere (django_views).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from .context import AppContext
from .expr import (
    Expr,
    MaybeExpr,
    arg,
    call_func,
    call_kwargs,
    call_line,
    dotted,
    is_call,
    items,
    string,
    walk,
)
from .facts import ModuleFacts
from .resolve import Symbol

log = logging.getLogger(__name__)

_MAX_DEPTH = 20  # include chains deeper than this are cycles or generated code
ROUTER_CLASSES = frozenset({"DefaultRouter", "SimpleRouter"})
_PATH_FUNCS = {"django.urls.path": "path", "django.urls.conf.path": "path", "django.urls.re_path": "re",
               "django.urls.conf.re_path": "re", "django.conf.urls.url": "re"}
_CONVERTER_TYPES = {"int": "int", "uuid": "uuid"}

# Well-known urlconfs from installed packages that users include; their routes are part of
# the app's HTTP surface: (route, method(s), dotted view).
KNOWN_URLCONFS = {
    "rest_framework.urls": (("login/", ("GET", "POST", "PUT"), "django.contrib.auth.views.LoginView"),
                            ("logout/", ("POST",), "django.contrib.auth.views.LogoutView")),
    "django.contrib.auth.urls": (("login/", ("GET", "POST", "PUT"), "django.contrib.auth.views.LoginView"),
                                 ("logout/", ("POST",), "django.contrib.auth.views.LogoutView")),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Leaf:
    """A urlconf entry that maps a full route to a view."""

    route: str  # composed template without the leading slash: "api/snippets/{pk}/"
    params: tuple[tuple[str, str], ...]  # (name, type) of the route's parameters
    view: MaybeExpr  # the view expression as written (None for KNOWN_URLCONFS entries)
    module: str  # module where `view` is written
    file: str
    line: int  # line of the path()/re_path() call
    name: str  # url name with its namespaces, "blog:detail"
    known: tuple = ()  # for entries of KNOWN_URLCONFS: (methods, dotted view)


@dataclass(frozen=True, slots=True, kw_only=True)
class Mount:
    """`include(router.urls)` (or `urlpatterns += router.urls`): a DRF router at a route."""

    route: str
    params: tuple[tuple[str, str], ...]
    router: Symbol  # the module-level assignment `router = DefaultRouter()`
    router_class: str  # "DefaultRouter" | "SimpleRouter" (or a subclass's nearest DRF base)
    trailing_slash: str  # "/" or ""
    file: str
    line: int
    namespace: str


@dataclass
class UrlTree:
    leaves: list[Leaf]
    mounts: list[Mount]
    included: set[str]  # modules reached through include()


# ---- route templates -----------------------------------------------------------------------


def path_template(route: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """`posts/<int:pk>/` -> `posts/{pk}/` with the parameters' types."""
    params: list[tuple[str, str]] = []

    def sub(m: re.Match) -> str:
        params.append((m.group(2), _CONVERTER_TYPES.get(m.group(1) or "str", "str")))
        return "{" + m.group(2) + "}"

    return re.sub(r"<(?:(\w+):)?(\w+)>", sub, route), tuple(params)


def regex_template(regex: str) -> tuple[str, tuple[tuple[str, str], ...], bool]:
    """`^archive/(?P<year>[0-9]{4})/$` -> `archive/{year}/`. The flag is False when regex syntax
    is left that a template cannot express (alternations, unnamed groups, quantifiers)."""
    text = regex.removeprefix("^")
    if text.endswith("$") and not text.endswith("\\$"):
        text = text[:-1]
    out: list[str] = []
    params: list[tuple[str, str]] = []
    i = 0
    while i < len(text):
        if text.startswith("(?P<", i):
            end_name = text.index(">", i)
            name = text[i + 4:end_name]
            depth, j = 1, end_name + 1
            while j < len(text) and depth:
                if text[j] == "\\":
                    j += 2
                    continue
                depth += {"(": 1, ")": -1}.get(text[j], 0)
                j += 1
            pattern = text[end_name + 1:j - 1]
            params.append((name, "int" if pattern in (r"\d+", "[0-9]+") else "str"))
            out.append("{" + name + "}")
            i = j
            continue
        out.append(text[i])
        i += 1
    template = "".join(out)
    if template.endswith("/?"):
        template = template[:-1]
    template = re.sub(r"\\([./\-_])", r"\1", template)
    ok = not re.search(r"[()\[\]*+?|\\^$]", template.replace("{", "").replace("}", ""))
    return template, tuple(params), ok


# ---- the walk ------------------------------------------------------------------------------


class _Walker:
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.r = ctx.resolver
        self.tree = UrlTree(leaves=[], mounts=[], included=set())

    def urlconf(self, module: str, prefix: str, params: tuple, namespace: str, depth: int) -> None:
        """Walk one urlconf under a prefix: memoized (memo.py), so an edit re-walks the urlconfs
        it touched and those that include them, and reuses the rest."""
        leaves, mounts, included = self.ctx.memoized(
            ("django.urlconf", module, prefix, params, namespace, depth),
            lambda: self._walked(module, prefix, params, namespace, depth), reads=(module,))
        self.tree.leaves.extend(leaves)
        self.tree.mounts.extend(mounts)
        self.tree.included.update(included)

    def _walked(self, module: str, prefix: str, params: tuple, namespace: str, depth: int
                ) -> tuple[tuple[Leaf, ...], tuple[Mount, ...], frozenset[str]]:
        saved, self.tree = self.tree, UrlTree(leaves=[], mounts=[], included=set())
        try:
            self._urlconf(module, prefix, params, namespace, depth)
            return tuple(self.tree.leaves), tuple(self.tree.mounts), frozenset(self.tree.included)
        finally:
            self.tree = saved

    def _urlconf(self, module: str, prefix: str, params: tuple, namespace: str, depth: int) -> None:
        m = self.r.module(module)
        if m is None:
            self.ctx.finding("django-urlconf-missing", f"urlconf module {module} is not in this app; its routes "
                             "are not listed.")
            return
        if depth > _MAX_DEPTH:
            self.ctx.finding("django-include-cycle", f"{module} is included more than {_MAX_DEPTH} levels deep; "
                             "stopped following it.", file=m.path)
            return
        app_name = m.assigned("app_name")
        if not namespace and app_name and string(app_name[0]):
            namespace = string(app_name[0]) or ""
        for item, line in self._urlpatterns(m):
            self.entry(m, item, line, prefix, params, namespace, depth)

    def _urlpatterns(self, m: ModuleFacts) -> list[tuple[Expr, int]]:
        """The entries of `urlpatterns` in assignment order (`=` resets, `+=` extends)."""
        found: list[tuple[Expr, int]] = []
        seen = False
        for name, value, line in m.assigns:
            if name not in ("urlpatterns", "urlpatterns+="):
                continue
            seen = True
            if name == "urlpatterns" and not _refers_to(value, "urlpatterns"):
                found = []
            found.extend(self._items(m, value, line, 0))
        if not seen:
            self.ctx.finding("django-no-urlpatterns", f"{m.module} has no `urlpatterns` list.", file=m.path)
        return found

    def _items(self, m: ModuleFacts, value: MaybeExpr, line: int, depth: int) -> list[tuple[Expr, int]]:
        """Flatten a urlpatterns expression into its entries (calls, or `router.urls` markers)."""
        if not value or depth > _MAX_DEPTH:
            return []
        kind = value[0]
        if kind == "l":
            out: list[tuple[Expr, int]] = []
            for e in items(value):
                if e and e[0] == "x" and e[1] == "Starred":
                    self.ctx.finding("django-url-unresolved", "a starred entry in urlpatterns is not followed.",
                                     file=m.path, line=line)
                else:
                    out.append((e, call_line(e) or line))
            return out
        if kind == "+":
            return self._items(m, value[1], line, depth + 1) + self._items(m, value[2], line, depth + 1)
        if is_call(value):
            fn = self.r.qualname(m.module, call_func(value)) or ""
            if fn.endswith("format_suffix_patterns"):
                # adds `.json`-style variants of routes already listed: no new endpoints
                inner = arg(value, 0, "urlpatterns")
                return [] if _refers_to(inner, "urlpatterns") else self._items(m, inner, line, depth + 1)
            if fn.startswith("django.conf.urls.static") or fn.endswith("staticfiles_urlpatterns"):
                return []  # static files, not endpoints
        name = dotted(value)
        if name == "urlpatterns":
            return []
        if name and name.endswith(".urls") and self._router(m.module, value) is not None:
            return [(("router-urls", value), line)]
        if name:
            sym = self.r.resolve_expr(m.module, value)
            if sym is not None and sym.kind == "assign" and sym.facts[0] is not None:
                owner = self.r.module(sym.module) or m
                return self._items(owner, sym.facts[0], sym.facts[1] or line, depth + 1)
        self.ctx.finding("django-url-unresolved", f"cannot read urlpatterns entry `{dotted(value) or value[0]}` "
                         "statically; its routes are not listed.", file=m.path, line=line)
        return []

    def entry(self, m: ModuleFacts, item: Expr, line: int, prefix: str, params: tuple, namespace: str,
              depth: int) -> None:
        if item and item[0] == "router-urls":
            self._mount(m, item[1], line, prefix, params, namespace)
            return
        kind = _PATH_FUNCS.get(self.r.qualname(m.module, call_func(item)) or "") if is_call(item) else None
        route = string(arg(item, 0, "route")) if kind == "path" else string(arg(item, 0, "regex"))
        if kind is None or route is None:
            self.ctx.finding("django-url-unresolved", "urlpatterns entry is not a path()/re_path()/url() call with "
                             "a literal route; skipped.", file=m.path, line=line)
            return
        view = arg(item, 1, "view")
        if (dotted(view) or "").endswith(".urls") and dotted(view) != "router.urls":
            # `admin.site.urls` and friends: a package's own urlconf, not this app's endpoints
            sym = self.r.resolve_expr(m.module, view)
            if sym is not None and sym.kind == "external":
                self._include_module(m, sym.name, line, prefix, params, namespace, depth)
                return
        include = is_call(view) and (self.r.qualname(m.module, call_func(view)) or "").endswith(
            ("django.urls.include", "django.urls.conf.include", "django.conf.urls.include"))
        if kind == "path":
            template, new_params = path_template(route)
        else:
            template, new_params, ok = regex_template(route)
            if not ok:
                self.ctx.finding("django-regex-route", f"regex route {route!r} is kept as {template!r}; it has "
                                 "syntax a path template cannot express.", file=m.path, line=line)
        full, all_params = prefix + template, params + new_params
        if include:
            self._include(m, view, line, full, all_params, namespace, depth)
            return
        name = string(call_kwargs(item).get("name")) or ""
        self.tree.leaves.append(Leaf(route=full, params=all_params, view=view, module=m.module, file=m.path,
                                     line=line, name=qualify_name(namespace, name)))

    def _include(self, m: ModuleFacts, inc: Expr, line: int, prefix: str, params: tuple, namespace: str,
                 depth: int) -> None:
        target = arg(inc, 0, "arg")
        ns = string(arg(inc, 1, "namespace")) or ""
        if target and target[0] == "l" and len(items(target)) == 2:  # include((patterns, app_name))
            target, app_name = items(target)
            ns = ns or string(app_name) or ""
        ns = qualify_name(namespace, ns) if ns else namespace
        mod_name = string(target)
        if mod_name is not None:
            self._include_module(m, mod_name, line, prefix, params, ns, depth)
            return
        if target and target[0] == "l":
            for e in items(target):
                self.entry(m, e, call_line(e) or line, prefix, params, ns, depth + 1)
            return
        sym = self.r.resolve_expr(m.module, target) if dotted(target) else None
        if sym is not None and sym.kind == "module":
            self.tree.included.add(sym.module)
            self.urlconf(sym.module, prefix, params, ns, depth + 1)
            return
        if sym is not None and sym.kind == "external":
            self._include_module(m, sym.name, line, prefix, params, ns, depth)
            return
        owner = self.r.module(sym.module) if sym is not None and sym.kind == "assign" else m
        for e, eline in self._items(m, target, line, depth + 1):
            self.entry(owner or m, e, eline, prefix, params, ns, depth + 1)

    def _include_module(self, m: ModuleFacts, name: str, line: int, prefix: str, params: tuple, ns: str,
                        depth: int) -> None:
        if self.r.module(name) is not None:
            self.tree.included.add(self.r.module(name).module)  # type: ignore[union-attr]
            self.urlconf(name, prefix, params, ns, depth + 1)
        elif name in KNOWN_URLCONFS:
            for route, methods, view in KNOWN_URLCONFS[name]:
                self.tree.leaves.append(Leaf(route=prefix + route, params=params, view=None, module=m.module,
                                             file=m.path, line=line, name=qualify_name(ns, route.strip("/")),
                                             known=(methods, view)))
        elif not name.startswith("django.contrib.admin"):
            self.ctx.finding("django-external-urls", f"include({name!r}) comes from an installed package; its "
                             "routes are not listed.", file=m.path, line=line, severity="info")

    def _router(self, module: str, urls_expr: Expr) -> tuple[Symbol, str, str] | None:
        """(router assignment, DRF router class name, trailing slash) for `router.urls`."""
        sym = self.r.resolve_expr(module, urls_expr[1])
        if sym is None or sym.kind != "assign" or not is_call(sym.facts[0]):
            return None
        cls = self.r.resolve_expr(sym.module, call_func(sym.facts[0]))
        if cls is None:
            return None
        base = self.r.inherits(cls, ROUTER_CLASSES) if cls.kind == "class" else cls.name
        base_name = (base or "").rsplit(".", 1)[-1]
        if base_name not in ROUTER_CLASSES:
            return None
        slash = call_kwargs(sym.facts[0]).get("trailing_slash")
        return sym, base_name, "" if slash == ("k", False) else "/"

    def _mount(self, m: ModuleFacts, urls_expr: Expr, line: int, prefix: str, params: tuple, ns: str) -> None:
        found = self._router(m.module, urls_expr)
        if found is None:
            return
        sym, cls_name, slash = found
        self.tree.mounts.append(Mount(route=prefix, params=params, router=sym, router_class=cls_name,
                                      trailing_slash=slash, file=m.path, line=line, namespace=ns))


def _refers_to(e: MaybeExpr, name: str) -> bool:
    return any(sub[0] == "n" and sub[1] == name for sub in walk(e))


def qualify_name(namespace: str, name: str) -> str:
    return f"{namespace}:{name}" if namespace and name else name


def walk_urls(ctx: AppContext, roots: list[str]) -> UrlTree:
    """Walk every root urlconf; routes compose as Django resolves them."""
    w = _Walker(ctx)
    for root in roots:
        w.urlconf(root, "", (), "", 0)
    return w.tree


def urls_modules(ctx: AppContext) -> list[str]:
    """Modules that look like urlconfs: named `urls` (or `*.urls`) and defining `urlpatterns`."""
    out = []
    for m in ctx.modules():
        if (m.module == "urls" or m.module.endswith(".urls")) and m.assigned("urlpatterns") is not None:
            out.append(m.module)
    return sorted(out)


def registrations(ctx: AppContext, router: Symbol) -> list[tuple[ModuleFacts, Expr]]:
    """`router.register(prefix, ViewSet, basename=...)` calls for one router, in any module."""
    found = ctx.memo.get("django.registrations")
    if not isinstance(found, dict):  # once per scan: every router's registrations
        found = ctx.memo["django.registrations"] = {}
        for m, calls in _register_calls(ctx):
            # what each call registers on, worked out again only when what it named changed
            targets = ctx.memoized(("django.register-targets", m.module), lambda m=m, calls=calls: tuple(
                _target(ctx, m, call) for call in calls), reads=(m.module,))
            for call, target in zip(calls, targets):
                if target is not None:
                    found.setdefault(target, []).append((m, call))
    return list(found.get((router.module, router.name), ()))


def _target(ctx: AppContext, m: ModuleFacts, call: Expr) -> tuple[str, str] | None:
    target = ctx.resolver.resolve_expr(m.module, call_func(call)[1])  # type: ignore[index]
    return None if target is None else (target.module, target.name)


def _register_calls(ctx: AppContext) -> list[tuple[ModuleFacts, tuple[Expr, ...]]]:
    """The modules with module-level `x.register(...)` calls, and those calls."""
    return [(m, calls) for m, calls in ctx.per_module("django.register-calls", lambda m: tuple(
        call for call in m.calls if (dotted(call_func(call)) or "").endswith(".register"))) if calls]
