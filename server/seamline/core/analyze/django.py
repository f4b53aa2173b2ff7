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
from .expr import arg, call_func, call_kwargs, call_line, dotted, string, strings, walk
from .resolve import Symbol

log = logging.getLogger(__name__)

_WRITE_METHODS = ("POST", "PUT", "PATCH")


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
    for leaf in tree.leaves:
        linker.leaf(leaf)
    for mount in tree.mounts:
        linker.mount(mount)
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

    def leaf(self, leaf: Leaf) -> None:
        if leaf.known:
            methods, view = leaf.known
            for method in methods:
                h = Handler(method=method, handler=view, framework="django", module="")
                self.add(h, leaf.route, leaf.params, leaf.file, leaf.line, leaf.name)
            return
        for h in view_handlers(self.ctx, leaf.module, leaf.view, leaf.file, leaf.line):
            self.add(h, leaf.route, leaf.params, leaf.file, leaf.line, leaf.name)

    def mount(self, mount: Mount) -> None:
        if mount.router_class == "DefaultRouter":
            root = Handler(method="GET", handler="rest_framework.routers.APIRootView", framework="drf", module="")
            self.add(root, mount.route, mount.params, mount.file, mount.line, qualify_name(mount.namespace, "api-root"))
        for m, call in registrations(self.ctx, mount.router):
            prefix = string(arg(call, 0, "prefix"))
            cls = self.ctx.resolver.resolve_expr(m.module, arg(call, 1, "viewset"))
            line = call_line(call)
            if prefix is None or cls is None or cls.kind != "class":
                self.ctx.finding("drf-register-unresolved", "router.register() needs a literal prefix and a viewset "
                                 "class from this app; this registration is skipped.", file=m.path, line=line)
                continue
            basename = string(call_kwargs(call).get("basename")) or _default_basename(self.ctx, cls)
            lookup = lookup_name(self.ctx, cls)
            base = mount.route + (prefix + "/" if prefix else "")
            list_route = mount.route + (prefix + mount.trailing_slash if prefix else "")
            params = mount.params + ((lookup, "str"),)
            for h in router_handlers(self.ctx, cls, lookup, mount.trailing_slash, basename):
                route = base + h.suffix if h.suffix else list_route
                self.add(h, route, params, m.path, line, qualify_name(mount.namespace, h.url_name))

    # one endpoint ----------------------------------------------------------------------------
    def add(self, h: Handler, route: str, params: tuple, url_file: str, url_line: int, name: str) -> None:
        path = "/" + route
        key = (h.method, path)
        if key in self.seen:
            self.ctx.finding("django-shadowed-route", f"{h.method} {path} is routed twice; Django uses the first "
                             f"({self.seen[key].handler}), {h.handler} is never reached.", file=url_file,
                             line=url_line, severity="info")
            return
        file, line, span = self._location(h, url_file, url_line)
        serializer = self._serializer(h)
        if serializer is not None:
            serializer_schemas(self.ctx, serializer, self.schemas)
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
            status_code=_status(h), auth=auth, effects=self._effects(h), decorator_lines=(url_line,),
            route_file=url_file if url_file != file else None,
        )
        self.seen[key] = endpoint
        self.result.endpoints.append(endpoint)
        if issues is not None and h.method == "POST":
            self._token_source(issues, endpoint)
        self.result.schemas = list(self.schemas.values())

    def _location(self, h: Handler, url_file: str, url_line: int) -> tuple[str, int, Span | None]:
        if h.fn is not None:
            m = self.ctx.resolver.module(h.module)
            span = Span(line=h.fn.line, col=h.fn.col, end_line=h.fn.end_line, end_col=h.fn.end_col)
            return (m.path if m else url_file), h.fn.line, span
        if h.cls is not None:
            m = self.ctx.resolver.module(h.cls.module)
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

    def _effects(self, h: Handler) -> tuple[DataEffect, ...]:
        if h.fn is not None:
            m = self.ctx.resolver.module(h.module)
            return tuple(orm.effects_of(self.ctx, m, h.fn)) if m else ()
        action = inherited_effect(self.ctx, h)
        if action is None or h.cls is None:
            return ()
        model = model_of_view(self.ctx, h.cls) or self._serializer_model(h.cls)
        if model is None:
            return ()
        m = self.ctx.resolver.module(h.cls.module)
        return (DataEffect(model=model.fqn, action=action, via=h.cls.fqn, file=m.path if m else "",
                           line=h.cls.facts.line),)

    def _serializer_model(self, cls: Symbol) -> Symbol | None:
        serializer = view_serializer(self.ctx, cls)
        if serializer is None:
            return None
        serializer_schemas(self.ctx, serializer, self.schemas)
        model = self.schemas[serializer.fqn].model
        return self.ctx.resolver.resolve_dotted(model) if model else None

    def _token_source(self, scheme: str, e: Endpoint) -> None:
        if scheme == "drf-token" and self.settings and "rest_framework.authtoken" not in self.settings.installed_apps:
            self.ctx.finding("drf-authtoken-not-installed", f"{e.key} issues DRF tokens but rest_framework.authtoken "
                             "is not in INSTALLED_APPS; the endpoint fails at run time.", file=e.file, line=e.line)
        self.result.token_sources.append(TokenSource(kind="endpoint", name=e.key, scheme=scheme, file=e.file,
                                                     line=e.line, app=self.ctx.app))


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
    """DRF's generic create/destroy answer 201/204; other handlers choose at run time."""
    if h.framework != "drf" or h.fn is not None or h.cls is None:
        return None
    if h.action == "create" or (h.method == "POST" and h.action == "post"):
        return 201
    if h.method == "DELETE":
        return 204
    return None


def _default_basename(ctx: AppContext, cls: Symbol) -> str:
    model = model_of_view(ctx, cls)
    return model.fqn.rsplit(".", 1)[-1].lower() if model else cls.name.lower()
