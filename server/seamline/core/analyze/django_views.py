"""What a Django/DRF view answers: HTTP methods, handler names and the code behind each.

Covers function views (`@api_view`, `@require_http_methods`, `request.method` checks),
class-based views (`View`, Django generic CBVs, DRF `APIView` and generics), viewsets with an
explicit `as_view({...})` mapping, and the action table a DRF router builds for a viewset.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass

from ..model import HTTP_METHODS
from .context import AppContext
from .expr import (
    Expr,
    MaybeExpr,
    arg,
    call_func,
    call_kwargs,
    chain,
    const,
    dotted,
    is_call,
    string,
    strings,
)
from .facts import FunctionFacts
from .resolve import Symbol

log = logging.getLogger(__name__)

_VIEW_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")

# Methods answered by generic views whose handlers live in the framework, by class name.
GENERIC_METHODS = {
    # DRF generics
    "ListAPIView": ("GET",), "CreateAPIView": ("POST",), "ListCreateAPIView": ("GET", "POST"),
    "RetrieveAPIView": ("GET",), "RetrieveUpdateAPIView": ("GET", "PUT", "PATCH"),
    "RetrieveDestroyAPIView": ("GET", "DELETE"), "RetrieveUpdateDestroyAPIView": ("GET", "PUT", "PATCH", "DELETE"),
    "UpdateAPIView": ("PUT", "PATCH"), "DestroyAPIView": ("DELETE",),
    "ObtainAuthToken": ("POST",), "TokenObtainPairView": ("POST",), "TokenRefreshView": ("POST",),
    "TokenVerifyView": ("POST",), "TokenObtainSlidingView": ("POST",), "TokenBlacklistView": ("POST",),
    # drf-spectacular's schema and docs pages
    "SpectacularAPIView": ("GET",), "SpectacularJSONAPIView": ("GET",), "SpectacularYAMLAPIView": ("GET",),
    "SpectacularSwaggerView": ("GET",), "SpectacularSwaggerSplitView": ("GET",), "SpectacularRedocView": ("GET",),
    # Django generic CBVs
    "TemplateView": ("GET",), "RedirectView": ("GET",), "ListView": ("GET",), "DetailView": ("GET",),
    # form views: ProcessFormView.put() delegates to post(); DeletionMixin adds delete()
    "CreateView": ("GET", "POST", "PUT"), "UpdateView": ("GET", "POST", "PUT"),
    "DeleteView": ("GET", "POST", "DELETE"), "FormView": ("GET", "POST", "PUT"), "ArchiveIndexView": ("GET",),
    "YearArchiveView": ("GET",),
    "MonthArchiveView": ("GET",), "DayArchiveView": ("GET",), "DateDetailView": ("GET",),
    "LoginView": ("GET", "POST", "PUT"), "LogoutView": ("POST",), "PasswordChangeView": ("GET", "POST", "PUT"),
    "PasswordResetView": ("GET", "POST", "PUT"),
}
# what a generic view method does to its model, by class name then method
GENERIC_EFFECTS = {"CreateView": {"POST": "create"}, "UpdateView": {"GET": "read", "POST": "update"},
                   "DeleteView": {"GET": "read", "POST": "delete"}, "ListView": {"GET": "read"},
                   "DetailView": {"GET": "read"}}
_METHOD_EFFECTS = {"GET": "read", "POST": "create", "PUT": "update", "PATCH": "update", "DELETE": "delete"}
EXTERNAL_FUNCTION_VIEWS = {"rest_framework.authtoken.views.obtain_auth_token": ("POST",)}

# viewset actions: method, and whether the route is the detail route (`{prefix}/{pk}/`)
ACTIONS = {"list": ("GET", False), "create": ("POST", False), "retrieve": ("GET", True),
           "update": ("PUT", True), "partial_update": ("PATCH", True), "destroy": ("DELETE", True)}
MIXIN_ACTIONS = {
    "ModelViewSet": ("list", "create", "retrieve", "update", "partial_update", "destroy"),
    "ReadOnlyModelViewSet": ("list", "retrieve"),
    "ListModelMixin": ("list",), "CreateModelMixin": ("create",), "RetrieveModelMixin": ("retrieve",),
    "UpdateModelMixin": ("update", "partial_update"), "DestroyModelMixin": ("destroy",),
}
ACTION_EFFECTS = {"list": "read", "retrieve": "read", "create": "create", "update": "update",
                  "partial_update": "update", "destroy": "delete"}
VIEWSET_BASES = frozenset({"ViewSetMixin", "ViewSet", "GenericViewSet", "ModelViewSet", "ReadOnlyModelViewSet"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Handler:
    """One HTTP method of one view."""

    method: str
    handler: str  # dotted: "app.views.SnippetViewSet.list", "app.views.snippet_list"
    framework: str  # "drf" | "django"
    module: str  # module of the def (or the class, for inherited handlers); "" for external views
    fn: FunctionFacts | None = None  # the def answering the request, when it is in the workspace
    cls: Symbol | None = None  # the view class
    action: str = ""  # viewset action / generic method name
    suffix: str = ""  # router-relative route: "{pk}/highlight/" (routers only)
    detail: bool = False
    url_name: str = ""
    wrappers: tuple[str, ...] = ()  # dotted decorators applied in the urlconf: login_required(view)


# ---- function views ------------------------------------------------------------------------


def _decorator_name(ctx: AppContext, module: str, d: Expr) -> str:
    return ctx.resolver.qualname(module, call_func(d) if is_call(d) else d) or ""


def function_methods(ctx: AppContext, module: str, fn: FunctionFacts) -> tuple[tuple[str, ...], str]:
    """(methods, framework) of a function view from its decorators and `request.method` checks."""
    for d in fn.decorators:
        name = _decorator_name(ctx, module, d).rsplit(".", 1)[-1]
        if name == "api_view":
            listed = [m.upper() for m in strings(arg(d, 0, "http_method_names"))]
            return tuple(listed or ["GET"]), "drf"
        if name == "require_http_methods":
            return tuple(m.upper() for m in strings(arg(d, 0, "request_method_list"))), "django"
        if name in ("require_GET", "require_safe"):
            return ("GET",), "django"
        if name == "require_POST":
            return ("POST",), "django"
    checked = [m.upper() for m in fn.method_checks if m.upper() in HTTP_METHODS and m.upper() != "GET"]
    # An unrestricted Django view answers every method; GET plus the methods its body branches
    # on is what it is written to handle.
    return tuple(dict.fromkeys(["GET", *checked])), "django"


# ---- class-based views ---------------------------------------------------------------------


def _external_names(ctx: AppContext, cls: Symbol) -> list[str]:
    return [a.name for a in ctx.resolver.mro(cls) if a.kind == "external"]


def is_drf(ctx: AppContext, cls: Symbol) -> bool:
    return any(n.startswith("rest_framework") for n in _external_names(ctx, cls))


def is_viewset(ctx: AppContext, cls: Symbol) -> bool:
    return any(n.startswith("rest_framework") and n.rsplit(".", 1)[-1] in VIEWSET_BASES
               for n in _external_names(ctx, cls))


def find_method(ctx: AppContext, cls: Symbol, name: str) -> tuple[str, FunctionFacts] | None:
    """(module, def) of `name` on the class or its workspace ancestors, nearest first."""
    for anc in ctx.resolver.mro(cls):
        if anc.kind != "class":
            continue
        m = ctx.resolver.defining_module(anc)  # reads the class's methods only
        fn = m.function(f"{anc.name}.{name}") if m else None
        if fn is not None:
            return anc.module, fn
    return None


def generic_base(ctx: AppContext, cls: Symbol) -> str:
    """Name of the nearest framework generic view the class builds on, or ""."""
    for name in _external_names(ctx, cls):
        if name.rsplit(".", 1)[-1] in GENERIC_METHODS:
            return name.rsplit(".", 1)[-1]
    return ""


def class_handlers(ctx: AppContext, cls: Symbol) -> list[Handler]:
    framework = "drf" if is_drf(ctx, cls) else "django"
    methods: dict[str, None] = {}
    base = generic_base(ctx, cls)
    for meth in GENERIC_METHODS.get(base, ()):
        methods[meth] = None
    for meth in _VIEW_METHODS:
        if find_method(ctx, cls, meth.lower()) is not None:
            methods[meth] = None
    out = []
    for meth in (m for m in _VIEW_METHODS if m in methods):
        found = find_method(ctx, cls, meth.lower())
        out.append(Handler(method=meth, handler=f"{cls.fqn}.{meth.lower()}", framework=framework,
                           module=found[0] if found else cls.module, fn=found[1] if found else None, cls=cls,
                           action=meth.lower()))
    return out


# ---- viewsets ------------------------------------------------------------------------------


def _action_decorator(ctx: AppContext, module: str, fn: FunctionFacts) -> Expr | None:
    for d in fn.decorators:
        name = _decorator_name(ctx, module, d)
        if name.startswith("rest_framework") and name.rsplit(".", 1)[-1] in ("action", "detail_route", "list_route"):
            return d
    return None


def viewset_actions(ctx: AppContext, cls: Symbol) -> list[str]:
    """Standard actions the viewset answers (defined or inherited), in router order."""
    found: set[str] = set()
    for anc in ctx.resolver.mro(cls):
        if anc.kind == "external" and anc.name.startswith("rest_framework"):
            found.update(MIXIN_ACTIONS.get(anc.name.rsplit(".", 1)[-1], ()))
        elif anc.kind == "class":
            found.update(a for a in anc.facts.methods if a in ACTIONS)
    return [a for a in ACTIONS if a in found]


def _action_handler(ctx: AppContext, cls: Symbol, action: str, method: str, **extra) -> Handler:
    found = find_method(ctx, cls, action)
    return Handler(method=method, handler=f"{cls.fqn}.{action}", framework="drf",
                   module=found[0] if found else cls.module, fn=found[1] if found else None, cls=cls,
                   action=action, **extra)


def router_handlers(ctx: AppContext, cls: Symbol, lookup: str, slash: str, basename: str) -> list[Handler]:
    """The routes a DRF router generates for one registered viewset (relative to its prefix)."""
    out = []
    detail_route = "{" + lookup + "}" + slash
    for action in viewset_actions(ctx, cls):
        method, detail = ACTIONS[action]
        out.append(_action_handler(ctx, cls, action, method, suffix=detail_route if detail else "", detail=detail,
                                   url_name=f"{basename}-{'detail' if detail else 'list'}"))
    for anc in ctx.resolver.mro(cls):
        if anc.kind != "class":
            continue
        m = ctx.resolver.defining_module(anc)  # reads the class's methods only
        for name in anc.facts.methods:
            fn = m.function(f"{anc.name}.{name}") if m else None
            deco = _action_decorator(ctx, anc.module, fn) if fn else None
            if deco is None or any(h.action == name for h in out):
                continue
            kw = call_kwargs(deco)
            detail = bool(const(kw.get("detail"))) or _decorator_name(ctx, anc.module, deco).endswith("detail_route")
            url_path = string(kw.get("url_path")) or name
            url_name = string(kw.get("url_name")) or name.replace("_", "-")
            suffix = ("{" + lookup + "}/" if detail else "") + url_path + slash
            for method in [m.upper() for m in strings(kw.get("methods"))] or ["GET"]:
                out.append(Handler(method=method, handler=f"{cls.fqn}.{name}", framework="drf", module=anc.module,
                                   fn=fn, cls=cls, action=name, suffix=suffix, detail=detail,
                                   url_name=f"{basename}-{url_name}"))
    return out


def lookup_name(ctx: AppContext, cls: Symbol) -> str:
    for attr in ("lookup_url_kwarg", "lookup_field"):
        sym = ctx.resolver.member(cls, attr)
        value = string(sym.facts[0]) if sym is not None and sym.kind == "assign" else None
        if value:
            return value
    return "pk"


# ---- urlconf view expressions --------------------------------------------------------------


def view_handlers(ctx: AppContext, module: str, view: MaybeExpr, file: str, line: int,
                  _wrappers: tuple[str, ...] = (), _depth: int = 0) -> list[Handler]:
    """Handlers for the view expression of a urlconf entry; a Finding when it can't be read."""
    if _depth > 8 or not view:
        return []
    if is_call(view):
        func = call_func(view)
        if func and func[0] == "a" and func[2] == "as_view":
            return _as_view(ctx, module, view, file, line, _wrappers)
        # `login_required(view)`, `csrf_exempt(view)`: a decorator applied in the urlconf
        inner = arg(view, 0)
        if inner is not None and len(view[2]) == 1:
            wrapper = ctx.resolver.qualname(module, func) or ""
            return [_with_wrappers(h, (*_wrappers, wrapper))
                    for h in view_handlers(ctx, module, inner, file, line, (), _depth + 1)]
    sym = ctx.resolver.resolve_expr(module, view) if dotted(view) else None
    if sym is not None and sym.kind == "function":
        methods, framework = function_methods(ctx, sym.module, sym.facts)
        return [Handler(method=m, handler=sym.fqn, framework=framework, module=sym.module, fn=sym.facts,
                        wrappers=_wrappers) for m in methods]
    if sym is not None and sym.kind == "assign" and sym.facts[0] is not None:
        return view_handlers(ctx, sym.module, sym.facts[0], file, line, _wrappers, _depth + 1)
    if sym is not None and sym.kind == "external" and sym.name in EXTERNAL_FUNCTION_VIEWS:
        return [Handler(method=m, handler=sym.name, framework="drf", module="", wrappers=_wrappers)
                for m in EXTERNAL_FUNCTION_VIEWS[sym.name]]
    ctx.finding("django-view-unresolved", f"cannot resolve view `{dotted(view) or 'expression'}` statically; "
                "its endpoint is not listed.", file=file, line=line)
    return []


def _with_wrappers(h: Handler, wrappers: tuple[str, ...]) -> Handler:
    return dataclasses.replace(h, wrappers=wrappers + h.wrappers)


def _as_view(ctx: AppContext, module: str, view: Expr, file: str, line: int,
             wrappers: tuple[str, ...]) -> list[Handler]:
    cls = ctx.resolver.resolve_expr(module, call_func(view)[1])  # type: ignore[index]
    if cls is not None and cls.kind == "external":
        base = cls.name.rsplit(".", 1)[-1]
        framework = "drf" if cls.name.startswith("rest_framework") else "django"
        return [Handler(method=m, handler=cls.name, framework=framework, module="", wrappers=wrappers)
                for m in GENERIC_METHODS.get(base, ())] or _unresolved(ctx, cls.name, file, line)
    if cls is None or cls.kind != "class":
        return _unresolved(ctx, dotted(call_func(view)) or "view", file, line)
    mapping = arg(view, 0, "actions")
    if mapping and mapping[0] == "d":
        out = []
        for key, value in mapping[1]:
            method, action = string(key), string(value)
            if method and action:
                out.append(_action_handler(ctx, cls, action, method.upper(), wrappers=wrappers))
        return out
    if is_viewset(ctx, cls):
        ctx.finding("django-viewset-mapping", f"{cls.fqn}.as_view() needs an actions mapping that is not a "
                    "literal dict; its endpoints are not listed.", file=file, line=line)
        return []
    return [_with_wrappers(h, wrappers) for h in class_handlers(ctx, cls)]


def _unresolved(ctx: AppContext, name: str, file: str, line: int) -> list[Handler]:
    ctx.finding("django-view-unresolved", f"view class `{name}` is outside the workspace and not a known generic "
                "view; its endpoints are not listed.", file=file, line=line)
    return []


def model_of_view(ctx: AppContext, cls: Symbol) -> Symbol | None:
    """The model a class view works on: `model = X`, or `queryset = X.objects...`."""
    for attr in ("model", "queryset"):
        sym = ctx.resolver.member(cls, attr)
        if sym is None or sym.kind != "assign" or sym.facts[0] is None:
            continue
        text = chain(sym.facts[0]) or ""
        name = text.split(".objects", 1)[0]
        if name and "(" not in name:
            target = ctx.resolver.lookup(sym.module, name)
            if target is not None and target.kind in ("class", "external"):
                return target
    return None


def inherited_effect(ctx: AppContext, h: Handler) -> str | None:
    """What a handler the framework implements (no def in the workspace) does to its model."""
    if h.cls is None or h.fn is not None:
        return None
    if h.action in ACTION_EFFECTS:
        return ACTION_EFFECTS[h.action]
    base = generic_base(ctx, h.cls)
    if base in GENERIC_EFFECTS:
        return GENERIC_EFFECTS[base].get(h.method)
    return _METHOD_EFFECTS.get(h.method) if base.endswith("APIView") else None
