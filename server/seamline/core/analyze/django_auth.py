"""What protects a Django/DRF endpoint, and where the app hands out credentials.

DRF: `permission_classes`/`authentication_classes` on the view (or the `@permission_classes`
decorators of an `@api_view`), else the REST_FRAMEWORK defaults from settings. Django:
`@login_required`, `@permission_required`, `LoginRequiredMixin`, `PermissionRequiredMixin`,
`method_decorator(login_required, ...)` on the class, or a decorator applied in the urlconf.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from ..model import AuthRequirement
from .context import AppContext
from .django_views import Handler
from .expr import Expr, arg, call_func, is_call, items, string, strings
from .resolve import Symbol

log = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
DRF_DEFAULT_AUTHENTICATION = ("rest_framework.authentication.SessionAuthentication",
                              "rest_framework.authentication.BasicAuthentication")
# authentication class name -> AuthRequirement.kind
AUTHENTICATION_KINDS = {"SessionAuthentication": "session", "BasicAuthentication": "basic",
                        "TokenAuthentication": "drf-token", "JWTAuthentication": "jwt",
                        "JWTStatelessUserAuthentication": "jwt", "JWTTokenUserAuthentication": "jwt",
                        "RemoteUserAuthentication": "custom", "OAuth2Authentication": "oauth2"}
# token-issuing views (by class/function name) -> scheme
TOKEN_VIEWS = {"obtain_auth_token": "drf-token", "ObtainAuthToken": "drf-token", "TokenObtainPairView": "jwt",
               "TokenObtainSlidingView": "jwt", "LoginView": "session", "KnoxLoginView": "drf-token"}


@dataclass(frozen=True, slots=True, kw_only=True)
class RestDefaults:
    """REST_FRAMEWORK settings that decide auth when a view sets none."""

    permissions: tuple[str, ...] = ()
    authentication: tuple[str, ...] = DRF_DEFAULT_AUTHENTICATION
    installed_apps: tuple[str, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class _Named:
    name: str
    file: str = ""
    line: int = 0


def _resolve_list(ctx: AppContext, module: str, exprs: list[Expr]) -> list[_Named]:
    out = []
    for e in exprs:
        sym = ctx.resolver.resolve_expr(module, e)
        if sym is None:
            out.append(_Named(string(e) or "?"))
            continue
        m = ctx.resolver.defining_module(sym) if sym.kind == "class" else None
        out.append(_Named(sym.fqn, m.path if m else "", sym.facts.line if m else 0))
    return out


def _decorator_lists(ctx: AppContext, h: Handler) -> tuple[list[_Named] | None, list[_Named] | None]:
    perms = authn = None
    for d in h.fn.decorators if h.fn is not None and h.cls is None else ():
        name = (ctx.resolver.qualname(h.module, call_func(d)) or "") if is_call(d) else ""
        if name.endswith("decorators.permission_classes"):
            perms = _resolve_list(ctx, h.module, list(items(arg(d, 0))))
        elif name.endswith("decorators.authentication_classes"):
            authn = _resolve_list(ctx, h.module, list(items(arg(d, 0))))
    return perms, authn


def _class_list(ctx: AppContext, cls: Symbol, attr: str) -> list[_Named] | None:
    """`permission_classes = [...]` on the class or a workspace ancestor; None when unset."""
    sym = ctx.resolver.member(cls, attr)
    if sym is None or sym.kind != "assign":
        return None
    value, line = sym.facts
    if not value or value[0] != "l":
        m = ctx.resolver.defining_module(sym)
        ctx.finding("drf-auth-unresolved", f"{cls.fqn}.{attr} is not a literal list; the settings default is "
                    "assumed.", file=m.path if m else "", line=line)
        return None
    return _resolve_list(ctx, sym.module, list(items(value)))


def drf_auth(ctx: AppContext, h: Handler, defaults: RestDefaults, *, token_view: bool = False
             ) -> tuple[AuthRequirement, ...]:
    """Permissions (and, when some apply, how to authenticate) for one method of a DRF view.
    Token-issuing views from DRF/simplejwt clear both lists, so settings defaults don't apply."""
    if h.cls is not None:
        perms = _class_list(ctx, h.cls, "permission_classes")
        authn = _class_list(ctx, h.cls, "authentication_classes")
    else:
        perms, authn = _decorator_lists(ctx, h)
    if perms is None:
        perms = [] if token_view else [_Named(p) for p in defaults.permissions]
    if authn is None:
        authn = [_Named(a) for a in defaults.authentication]
    out = []
    for p in perms:
        short = p.name.rsplit(".", 1)[-1]
        if short == "AllowAny" or ("ReadOnly" in short and h.method in SAFE_METHODS):
            continue  # the *OrReadOnly family lets safe methods through
        detail = "unsafe methods only" if "ReadOnly" in short else ""
        out.append(AuthRequirement(kind="permission", via=p.name, detail=detail, file=p.file, line=p.line))
    if not out:
        return ()
    for a in authn:
        kind = AUTHENTICATION_KINDS.get(a.name.rsplit(".", 1)[-1], "custom")
        out.append(AuthRequirement(kind=kind, via=a.name, file=a.file, line=a.line))
    return tuple(out)


def django_auth(ctx: AppContext, h: Handler) -> tuple[AuthRequirement, ...]:
    """Login/permission requirements of a plain Django view."""
    out: list[AuthRequirement] = []
    names: list[tuple[str, Expr | None]] = [(w, None) for w in h.wrappers]
    if h.fn is not None and h.cls is None:
        names += [((ctx.resolver.qualname(h.module, call_func(d) if is_call(d) else d) or ""), d)
                  for d in h.fn.decorators]
    if h.cls is not None:
        for anc in ctx.resolver.mro(h.cls):
            if anc.kind == "external":
                names.append((anc.name, None))
            elif anc.kind == "class":
                for d in anc.facts.decorators:  # @method_decorator(login_required, name="dispatch")
                    if is_call(d) and (ctx.resolver.qualname(anc.module, call_func(d)) or "").endswith(
                            "method_decorator"):
                        names.append((ctx.resolver.qualname(anc.module, arg(d, 0)) or "", None))
    for name, deco in names:
        short = name.rsplit(".", 1)[-1]
        if short in ("login_required", "LoginRequiredMixin"):
            out.append(AuthRequirement(kind="session", via=name))
        elif short in ("permission_required", "PermissionRequiredMixin"):
            perms = strings(arg(deco, 0, "perm")) if deco is not None else _class_permissions(ctx, h.cls)
            out.append(AuthRequirement(kind="session", via=name))
            out.append(AuthRequirement(kind="permission", via=name, scopes=tuple(perms)))
        elif short in ("user_passes_test", "UserPassesTestMixin", "staff_member_required"):
            out.append(AuthRequirement(kind="custom", via=name))
    return tuple(dict.fromkeys(out))


def _class_permissions(ctx: AppContext, cls: Symbol | None) -> list[str]:
    sym = ctx.resolver.member(cls, "permission_required") if cls is not None else None
    return strings(sym.facts[0]) if sym is not None and sym.kind == "assign" else []


def token_scheme(ctx: AppContext, h: Handler) -> str | None:
    """The credential scheme a handler issues, if it is a login/token endpoint."""
    names = [h.handler] if h.cls is None else [a.name for a in ctx.resolver.mro(h.cls) if a.kind == "external"]
    for name in names:
        short = name.rsplit(".", 1)[-1]
        if short in TOKEN_VIEWS and (name.startswith(("rest_framework", "django.contrib.auth", "knox"))
                                     or short == "obtain_auth_token"):
            return TOKEN_VIEWS[short]
    if h.fn is not None and h.method == "POST":
        for call in h.fn.calls:
            if (ctx.resolver.qualname(h.module, call_func(call)) or "") == "django.contrib.auth.login":
                return "session"
    return None
