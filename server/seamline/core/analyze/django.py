"""The Django / Django REST framework linker: settings -> ROOT_URLCONF -> URL tree -> views.

Static only. The settings module comes from the config, `DJANGO_SETTINGS_MODULE` defaults in
manage.py/wsgi.py/asgi.py, or a `*settings*` module that sets ROOT_URLCONF. URL walking lives
in django_urls, view classification in django_views, serializers in drf_serializers and auth
in django_auth; this module joins them into Endpoints.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from ..model import DataEffect, Endpoint, Param, Schema, Span, TokenSource
from . import orm
from .context import AppContext, LinkResult
from .django_auth import RestDefaults, django_auth, drf_auth, token_scheme
from .django_urls import Leaf, Mount, qualify_name, registrations, urls_modules, walk_urls
from .django_views import (
    Handler,
    inherited_effect,
    lookup_name,
    model_of_view,
    router_handlers,
    view_handlers,
)
from .drf_serializers import serializer_schemas, used_serializer, view_serializer
from .expr import Expr, arg, call_func, call_kwargs, call_line, chain, dotted, string, strings, walk
from .facts import FunctionFacts, ModuleFacts
from .fastapi_common import status_code
from .resolve import Symbol, binding_name, relative_expr

log = logging.getLogger(__name__)

_WRITE_METHODS = ("POST", "PUT", "PATCH")
# a linked endpoint, the credential scheme it issues (or None), the serializer schemas it brings
_Candidate = tuple[Endpoint, "str | None", tuple[tuple[str, Schema], ...]]


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    module: str
    root_urlconf: str | None
    installed_apps: tuple[str, ...]
    rest: RestDefaults


def analyze(ctx: AppContext) -> LinkResult:
    settings = _settings(ctx)
    result = LinkResult(entry=settings.module if settings else None)
    roots = [settings.root_urlconf] if settings and settings.root_urlconf else _fallback_roots(ctx)
    tree = walk_urls(ctx, roots)
    linker = _Linker(ctx, settings, result)
    for run in _runs(tree.leaves):
        linker.leaves(run)
    for mount in tree.mounts:
        linker.mount(mount)
    result.schemas = list(linker.schemas.values())
    return result


# ---- settings ------------------------------------------------------------------------------


def _settings(ctx: AppContext) -> Settings | None:
    name = _settings_module(ctx)
    if name is None:
        ctx.finding("django-settings-unresolved", "no Django settings module found (no DJANGO_SETTINGS_MODULE "
                    "default, no settings module with ROOT_URLCONF); every urls.py that no other includes is "
                    "treated as a root. Set [tool.seamline] django-settings to fix.")
        return None
    m = ctx.resolver.module(name)
    path = m.path if m else ""

    def value(key: str):
        sym = ctx.resolver.lookup(name, key)  # follows `from .base import *`
        return sym.facts if sym is not None and sym.kind == "assign" else (None, 0)

    urlconf_expr, urlconf_line = value("ROOT_URLCONF")
    urlconf = string(urlconf_expr)
    if urlconf is None:
        ctx.finding("django-root-urlconf-unresolved", f"{name} sets no literal ROOT_URLCONF; every urls.py that no "
                    "other includes is treated as a root.", file=path, line=urlconf_line)
    apps = tuple(strings(value("INSTALLED_APPS")[0]))
    rest = RestDefaults()
    rest_expr = value("REST_FRAMEWORK")[0]
    if rest_expr and rest_expr[0] == "d":
        conf = {string(k): v for k, v in rest_expr[1] if string(k)}
        rest = RestDefaults(
            permissions=tuple(strings(conf["DEFAULT_PERMISSION_CLASSES"]))
            if "DEFAULT_PERMISSION_CLASSES" in conf else (),
            authentication=tuple(strings(conf["DEFAULT_AUTHENTICATION_CLASSES"]))
            if "DEFAULT_AUTHENTICATION_CLASSES" in conf else rest.authentication,
        )
    return Settings(module=m.module if m else name, root_urlconf=urlconf, installed_apps=apps, rest=rest)


def _settings_module(ctx: AppContext) -> str | None:
    configured = ctx.config.django_settings
    if configured:
        if ctx.resolver.module(configured) is not None:
            return configured
        ctx.finding("django-settings-unresolved", f"configured django-settings {configured!r} is not a module of "
                    "this app; looking for it instead.")
    for m in ctx.modules():
        calls = list(m.calls) + [c for f in m.functions for c in f.calls]
        for call in calls:
            if dotted(call_func(call)) in ("os.environ.setdefault", "environ.setdefault") and string(
                    arg(call, 0)) == "DJANGO_SETTINGS_MODULE":
                target = string(arg(call, 1))
                if target and ctx.resolver.module(target) is not None:
                    return target
    candidates = sorted((m.module for m in ctx.modules()
                         if "settings" in m.module.rsplit(".", 1)[-1] and m.assigned("ROOT_URLCONF") is not None),
                        key=lambda n: (n.count("."), n))
    return candidates[0] if candidates else None


def _fallback_roots(ctx: AppContext) -> list[str]:
    """Every urlconf that no other urlconf includes. The first walk only collects includes, so
    its findings are dropped (the real walk repeats them)."""
    candidates = urls_modules(ctx)
    scratch = AppContext(root=ctx.root, app=ctx.app, resolver=ctx.resolver, config=ctx.config)
    included = walk_urls(scratch, candidates).included
    return [c for c in candidates if c not in included]


# ---- endpoints -----------------------------------------------------------------------------


class _Linker:
    def __init__(self, ctx: AppContext, settings: Settings | None, result: LinkResult) -> None:
        self.ctx = ctx
        self.settings = settings
        self.rest = settings.rest if settings else RestDefaults()
        self.result = result
        self.schemas: dict[str, Schema] = {}
        self.seen: dict[tuple[str, str], Endpoint] = {}

    # Each urlconf entry and each router registration is linked in one memoized computation
    # (memo.py) that gives its candidate endpoints; which of them a scan keeps (the first of a
    # method and path), the token sources and the schemas are settled here, every scan. The
    # entries of one urlconf, and the registrations of one mount, are memoized together too, so
    # an edit costs a check per urlconf and mount, plus one per entry of those it touched.
    def leaves(self, run: tuple[Leaf, ...]) -> None:
        found = self.ctx.memoized(("django.leaves", run, self.rest), lambda: tuple(self._leaf_memo(x) for x in run))
        for leaf, candidates in zip(run, found):
            self._accept(candidates, leaf.file, leaf.line)

    def _leaf_memo(self, leaf: Leaf) -> tuple[_Candidate, ...]:
        view, extent = relative_expr(leaf.view, leaf.line)
        key = ("django.leaf", leaf.route, leaf.params, view, leaf.module, leaf.file, leaf.name, leaf.known, self.rest)
        # the entry is in the key (but for where it is: a path() added above it only moves it), and
        # what its view expression names is looked up (and tracked)
        return self.ctx.memoized_at(key, leaf.file, leaf.line, extent, lambda: self._leaf(leaf))

    def _leaf(self, leaf: Leaf) -> tuple[_Candidate, ...]:
        if leaf.known:
            methods, view = leaf.known
            return tuple(self.candidate(Handler(method=method, handler=view, framework="django", module=""),
                                        leaf.route, leaf.params, leaf.file, leaf.line, leaf.name) for method in methods)
        return tuple(self.candidate(h, leaf.route, leaf.params, leaf.file, leaf.line, leaf.name)
                     for h in view_handlers(self.ctx, leaf.module, leaf.view, leaf.file, leaf.line))

    def mount(self, mount: Mount) -> None:
        where = (mount.route, mount.params, mount.router.module, mount.router.name, mount.router_class,
                 mount.trailing_slash, mount.file, mount.line, mount.namespace, self.rest)
        regs = registrations(self.ctx, mount.router)
        root, found = self.ctx.memoized(("django.mount", where, tuple((m.module, m.path, call) for m, call in regs)),
                                        lambda: self._mount(mount, where, regs))
        self._accept(root, mount.file, mount.line)
        for (m, call), candidates in zip(regs, found):
            self._accept(candidates, m.path, call_line(call))

    def _mount(self, mount: Mount, where: tuple, regs: list[tuple[ModuleFacts, Expr]]
               ) -> tuple[tuple[_Candidate, ...], tuple[tuple[_Candidate, ...], ...]]:
        root: tuple[_Candidate, ...] = ()
        if mount.router_class == "DefaultRouter":
            root = (self.candidate(
                Handler(method="GET", handler="rest_framework.routers.APIRootView", framework="drf", module=""),
                mount.route, mount.params, mount.file, mount.line, qualify_name(mount.namespace, "api-root")),)
        return root, tuple(self._registration_memo(mount, m, call) for m, call in regs)

    def _registration_memo(self, mount: Mount, m: ModuleFacts, call: Expr) -> tuple[_Candidate, ...]:
        # what `_registration` reads of the mount: not where the mount is written, so that a path()
        # added above both moves the registration's result rather than computing it again
        under = (mount.route, mount.params, mount.router.module, mount.router.name, mount.router_class,
                 mount.trailing_slash, mount.namespace, self.rest)
        line = call_line(call)
        written, extent = relative_expr(call, line)
        return self.ctx.memoized_at(("django.register", m.module, m.path, written, *under), m.path, line, extent,
                                    lambda: self._registration(mount, m, call))

    def _registration(self, mount: Mount, m: ModuleFacts, call: Expr) -> tuple[_Candidate, ...]:
        """The endpoints of one `router.register(prefix, ViewSet)` under one mount."""
        out: list[_Candidate] = []
        prefix = string(arg(call, 0, "prefix"))
        cls = self.ctx.resolver.resolve_expr(m.module, arg(call, 1, "viewset"))
        line = call_line(call)
        if prefix is None or cls is None or cls.kind != "class":
            self.ctx.finding("drf-register-unresolved", "router.register() needs a literal prefix and a viewset "
                             "class from this app; this registration is skipped.", file=m.path, line=line)
            return ()
        basename = string(call_kwargs(call).get("basename")) or _default_basename(self.ctx, cls)
        lookup = lookup_name(self.ctx, cls)
        base = mount.route + (prefix + "/" if prefix else "")
        list_route = mount.route + (prefix + mount.trailing_slash if prefix else "")
        params = mount.params + ((lookup, "str"),)
        for h in router_handlers(self.ctx, cls, lookup, mount.trailing_slash, basename):
            route = base + h.suffix if h.suffix else list_route
            out.append(self.candidate(h, route, params, m.path, line, qualify_name(mount.namespace, h.url_name)))
        return tuple(out)

    # one endpoint ----------------------------------------------------------------------------
    def _accept(self, candidates: tuple[_Candidate, ...], url_file: str, url_line: int) -> None:
        """Keep the candidates whose method and path no earlier route took."""
        for endpoint, issues, schemas in candidates:
            key = (endpoint.method, endpoint.path)
            if key in self.seen:
                self.ctx.finding("django-shadowed-route", f"{endpoint.method} {endpoint.path} is routed twice; "
                                 f"Django uses the first ({self.seen[key].handler}), {endpoint.handler} is never "
                                 "reached.", file=url_file, line=url_line, severity="info")
                continue
            for name, schema in schemas:
                self.schemas.setdefault(name, schema)
            self.seen[key] = endpoint
            self.result.endpoints.append(endpoint)
            if issues is not None and endpoint.method == "POST":
                self._token_source(issues, endpoint)

    def candidate(self, h: Handler, route: str, params: tuple, url_file: str, url_line: int, name: str
                  ) -> _Candidate:
        """One endpoint, the credential it issues and the serializer schemas it brings."""
        path = "/" + route
        schemas: dict[str, Schema] = {}
        file, line, span = self._location(h, url_file, url_line)
        serializer = self._serializer(h)
        if serializer is not None:
            _add_schemas(self.ctx, serializer, schemas)
        issues = token_scheme(self.ctx, h)
        auth = drf_auth(self.ctx, h, self.rest, token_view=issues is not None) if h.framework == "drf" \
            else django_auth(self.ctx, h)
        endpoint = Endpoint(
            method=h.method, path=path, framework=h.framework, handler=h.handler, file=file, line=line,
            app=self.ctx.app, span=span, name=name,
            params=tuple(Param(name=n, location="path", type=t) for n, t in params if "{" + n + "}" in path),
            request_schema=serializer.fqn if serializer is not None and h.method in _WRITE_METHODS
            and _reads_body(h) else None,
            response_schema=serializer.fqn if serializer is not None and h.method != "DELETE" else None,
            status_code=_status(h), auth=auth, effects=self._effects(h, schemas), decorator_lines=(url_line,),
            route_file=url_file if url_file != file else None,
        )
        return endpoint, issues, tuple(schemas.items())

    def _location(self, h: Handler, url_file: str, url_line: int) -> tuple[str, int, Span | None]:
        # the path of the module the view is defined in: a dependency on the view, not on the module
        if h.fn is not None:
            m = self.ctx.resolver.defining_module(Symbol("function", h.module, h.fn.qualname))
            span = Span(line=h.fn.line, col=h.fn.col, end_line=h.fn.end_line, end_col=h.fn.end_col)
            return (m.path if m else url_file), h.fn.line, span
        if h.cls is not None:
            m = self.ctx.resolver.defining_module(h.cls)
            c = h.cls.facts
            return (m.path if m else url_file), c.line, Span(line=c.line, col=c.col, end_line=c.end_line,
                                                            end_col=c.end_col)
        return url_file, url_line, None

    def _serializer(self, h: Handler) -> Symbol | None:
        if h.fn is not None:
            found = used_serializer(self.ctx, h.module, h.fn)
            if found is not None or h.cls is None:
                return found
            asks = any((dotted(call_func(c)) or "").startswith("self.get_serializer") for c in h.fn.calls)
            return view_serializer(self.ctx, h.cls) if asks else None
        return view_serializer(self.ctx, h.cls) if h.cls is not None else None

    def _effects(self, h: Handler, schemas: dict[str, Schema]) -> tuple[DataEffect, ...]:
        if h.fn is not None:
            m = self.ctx.resolver.defining_module(Symbol("function", h.module, h.fn.qualname))
            return tuple(orm.effects_of(self.ctx, m, h.fn)) if m else ()
        action = inherited_effect(self.ctx, h)
        if action is None or h.cls is None:
            return ()
        model = model_of_view(self.ctx, h.cls) or self._serializer_model(h.cls, schemas)
        if model is None:
            return ()
        m = self.ctx.resolver.defining_module(h.cls)
        return (DataEffect(model=model.fqn, action=action, via=h.cls.fqn, file=m.path if m else "",
                           line=h.cls.facts.line),)

    def _serializer_model(self, cls: Symbol, schemas: dict[str, Schema]) -> Symbol | None:
        serializer = view_serializer(self.ctx, cls)
        if serializer is None:
            return None
        _add_schemas(self.ctx, serializer, schemas)
        model = schemas[serializer.fqn].model
        return self.ctx.resolver.resolve_dotted(model) if model else None

    def _token_source(self, scheme: str, e: Endpoint) -> None:
        if scheme == "drf-token" and self.settings and "rest_framework.authtoken" not in self.settings.installed_apps:
            self.ctx.finding("drf-authtoken-not-installed", f"{e.key} issues DRF tokens but rest_framework.authtoken "
                             "is not in INSTALLED_APPS; the endpoint fails at run time.", file=e.file, line=e.line)
        self.result.token_sources.append(TokenSource(kind="endpoint", name=e.key, scheme=scheme, file=e.file,
                                                     line=e.line, app=self.ctx.app))


def _add_schemas(ctx: AppContext, serializer: Symbol, out: dict[str, Schema]) -> None:
    """The schemas of a serializer and those nested in it, memoized per serializer."""
    if serializer.fqn in out:
        return
    found = ctx.memoized(("drf.serializer-schemas", serializer.kind, serializer.module, serializer.name),
                         lambda: _serializer_schemas(ctx, serializer),
                         reads=(binding_name(serializer.module, serializer.name),))
    for name, schema in found:
        out.setdefault(name, schema)


def _serializer_schemas(ctx: AppContext, serializer: Symbol) -> tuple[tuple[str, Schema], ...]:
    out: dict[str, Schema] = {}
    serializer_schemas(ctx, serializer, out)
    return tuple(out.items())


def _runs(leaves: list[Leaf]) -> list[tuple[Leaf, ...]]:
    """The leaves in order, cut where the urlconf they are written in changes."""
    out: list[list[Leaf]] = []
    for leaf in leaves:
        if out and out[-1][-1].file == leaf.file:
            out[-1].append(leaf)
        else:
            out.append([leaf])
    return [tuple(run) for run in out]


def _reads_body(h: Handler) -> bool:
    """A handler of the framework's own (generic actions) reads the body; a view class's own method
    only when it touches `request.data` / `request.POST` or hands a serializer `data=` (an `@action`
    that just serializes `self.get_object()` takes no payload). Function views keep the serializer
    they use either way."""
    if h.fn is None or h.cls is None:
        return True
    if any("data" in call_kwargs(call) for call in h.fn.calls):
        return True
    exprs = [*h.fn.calls, *(value for _target, value, _line in h.fn.assigns)]
    return any(isinstance(node, tuple) and node[:2] == ("a", ("n", "request")) and node[2] in ("data", "POST", "body")
               for e in exprs for node in walk(e))


def _status(h: Handler) -> int | None:
    """The view's own `return Response(..., status=201)`; else DRF's generic create/destroy answer
    201/204 (also through `return super().create(...)`); other handlers choose at run time (200)."""
    if h.fn is not None:
        explicit = _response_status(h.fn)
        if explicit is not None or not any((chain(call_func(v)) or "").startswith("super().")
                                           for v in h.fn.returns_values):
            return explicit
    if h.framework != "drf" or h.cls is None:
        return None
    if h.action == "create" or (h.method == "POST" and h.action == "post"):
        return 201
    if h.method == "DELETE":
        return 204
    return None


def _response_status(fn: FunctionFacts) -> int | None:
    """The first 2xx status a view returns outright: `Response(data, status=status.HTTP_201_CREATED)`,
    `Response(data, 201)`, `JsonResponse(data, status=202)`, `HttpResponse(status=204)`."""
    for value in fn.returns_values:
        name = (dotted(call_func(value)) or "").rsplit(".", 1)[-1]
        if not name.endswith("Response"):
            continue
        code = status_code(arg(value, 1 if name == "Response" else -1, "status"))  # DRF's: (data, status)
        if code is not None and 200 <= code < 300:
            return code
    return None


def _default_basename(ctx: AppContext, cls: Symbol) -> str:
    model = model_of_view(ctx, cls)
    return model.fqn.rsplit(".", 1)[-1].lower() if model else cls.name.lower()
