"""Who may call a Flask view, and where the app hands out credentials.

Auth comes from decorators: flask-login, flask-jwt-extended, flask-httpauth, or the app's own
decorators, whose bodies (and their nested wrappers) are read for what they check: a JWT, a
header/token, or a login redirect (a session). Credentials come from `create_access_token`,
`login_user(...)` and `session["user_id"] = ...`.
"""

from __future__ import annotations

import logging

from ..model import AuthRequirement, TokenSource
from .context import AppContext
from .expr import Expr, MaybeExpr, arg, call_func, call_kwargs, const, dotted, is_call, string, walk
from .facts import FunctionFacts, ModuleFacts
from .flask_request import REQUEST as _REQUEST
from .resolve import Resolver, Symbol, local_env

log = logging.getLogger(__name__)

_KNOWN_DECORATORS = {
    "flask_login.login_required": "session",
    "flask_login.utils.login_required": "session",
    "flask_security.login_required": "session",
    "flask_security.auth_required": "session",
    "flask_jwt_extended.jwt_required": "jwt",
    "flask_jwt_extended.view_decorators.jwt_required": "jwt",
    "flask_jwt_extended.fresh_jwt_required": "jwt",
    "flask_jwt_extended.jwt_refresh_token_required": "jwt",
    "flask_jwt.jwt_required": "jwt",
}
_HTTPAUTH = {"flask_httpauth.HTTPBasicAuth": "basic", "flask_httpauth.HTTPTokenAuth": "bearer",
             "flask_httpauth.HTTPDigestAuth": "custom", "flask_httpauth.MultiAuth": "custom"}
_JWT_CHECKS = frozenset({"flask_jwt_extended.verify_jwt_in_request", "flask_jwt_extended.get_jwt_identity",
                         "flask_jwt_extended.get_jwt"})
_TOKEN_MAKERS = frozenset({"flask_jwt_extended.create_access_token"})
_LOGIN_USER = frozenset({"flask_login.login_user", "flask_login.utils.login_user"})
_SESSION = frozenset({"flask.session", "flask.globals.session"})
_REDIRECT = frozenset({"flask.redirect", "werkzeug.utils.redirect"})
_ABORT = frozenset({"flask.abort", "werkzeug.exceptions.abort"})
# strongest evidence first: what the decorator checks decides the kind
_RANK = ("jwt", "header", "session", "abort")


def nested_functions(module: ModuleFacts, fn: FunctionFacts) -> list[FunctionFacts]:
    """`fn` and every def nested in it (decorator wrappers live there)."""
    prefix = fn.qualname + ".<locals>."
    return [fn, *(f for f in module.local_functions if f.qualname.startswith(prefix))]


class AuthReader:
    """Reads auth decorators; remembers what each custom decorator turned out to check."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.resolver: Resolver = ctx.resolver

    def requirements(self, module: ModuleFacts, decorators: list[tuple[Expr, int]],
                     scope: FunctionFacts | None) -> list[AuthRequirement]:
        local, imports = local_env(scope) if scope else ({}, {})
        out = []
        for dec, line in decorators:
            req = self._requirement(module, dec, line, local, imports)
            if req is not None:
                out.append(req)
        return out

    def _requirement(self, module: ModuleFacts, dec: Expr, line: int, local: dict, imports: dict
                     ) -> AuthRequirement | None:
        func = call_func(dec) if is_call(dec) else dec
        if is_call(dec) and const(call_kwargs(dec).get("optional")) is True:
            return None  # `@jwt_required(optional=True)` lets anonymous callers through
        sym = self.resolver.resolve_expr(module.module, func, local, imports)
        if sym is not None and sym.kind == "external" and sym.name in _KNOWN_DECORATORS:
            detail = "refresh" if is_call(dec) and const(call_kwargs(dec).get("refresh")) is True else ""
            return AuthRequirement(kind=_KNOWN_DECORATORS[sym.name], via=sym.name, detail=detail,
                                   file=module.path, line=line)
        if sym is not None and sym.kind == "function":
            kind = self.custom_kind(sym)
            if kind is None:
                return None
            defining = self.resolver.defining_module(sym)
            return AuthRequirement(kind=kind, via=sym.fqn, file=defining.path if defining else module.path,
                                   line=sym.facts.line)
        if func and func[0] == "a" and func[2] == "login_required":
            return self._httpauth(module, func[1], line, local, imports)
        return None

    def _httpauth(self, module: ModuleFacts, owner: Expr, line: int, local: dict, imports: dict
                  ) -> AuthRequirement | None:
        """`@auth.login_required` where `auth = HTTPBasicAuth()`."""
        sym = self.resolver.resolve_expr(module.module, owner, local, imports)
        if sym is None or sym.kind != "assign" or not is_call(sym.facts[0]):
            return None
        cls = self.resolver.qualname(sym.module, call_func(sym.facts[0]))
        if cls not in _HTTPAUTH:
            return None
        return AuthRequirement(kind=_HTTPAUTH[cls], via=f"{sym.fqn}.login_required", detail=cls,
                               file=module.path, line=line)

    def custom_kind(self, sym: Symbol) -> str | None:
        """What an app-defined decorator checks, or None when it checks nothing auth-like.
        Memoized (not just cached): every view that reuses the answer depends on what it read."""
        return self.ctx.memoized(("flask.custom-auth", sym.fqn), lambda: self._read_custom(sym))

    def _read_custom(self, sym: Symbol) -> str | None:
        module = self.resolver.defining_module(sym)  # the decorator and the wrappers nested in it
        if module is None:
            return None
        seen: set[str] = set()
        for fn in nested_functions(module, sym.facts):
            checker = _Signals(self.resolver, module, fn)
            for top in fn.calls:
                for e in walk(top):
                    signal = checker.signal(e)
                    if signal:
                        seen.add(signal)
            for base, _key, _value, _line in fn.item_assigns:
                if checker.is_one_of(_dotted_expr(base), _SESSION):
                    seen.add("session")
        for signal in _RANK:
            if signal in seen:
                return {"header": "custom", "abort": "custom"}.get(signal, signal)
        return None


class _Signals:
    """Auth evidence in one function body."""

    def __init__(self, resolver: Resolver, module: ModuleFacts, fn: FunctionFacts) -> None:
        self.resolver = resolver
        self.module = module.module
        self.local, self.imports = local_env(fn)

    def is_one_of(self, e: MaybeExpr, names: frozenset[str]) -> bool:
        return dotted(e) is not None and self.resolver.qualname(self.module, e, self.local, self.imports) in names

    def signal(self, e: Expr) -> str | None:
        if e[0] == "s":
            base = e[1]
            if base and base[0] == "a" and base[2] == "headers" and self.is_one_of(base[1], _REQUEST):
                return "header"
            return "session" if self.is_one_of(base, _SESSION) else None
        if not is_call(e):
            return None
        func = call_func(e)
        if dotted(func) is None:
            return None
        qual = self.resolver.qualname(self.module, func, self.local, self.imports) or ""
        if qual in _JWT_CHECKS:
            return "jwt"
        if func[0] == "a" and func[2] == "get":
            owner = func[1]
            if owner and owner[0] == "a" and owner[2] == "headers" and self.is_one_of(owner[1], _REQUEST):
                return "header"
            if self.is_one_of(owner, _SESSION):
                return "session"
        if qual == "jwt.decode":
            return "header"
        if qual in _REDIRECT and any("login" in (string(s) or "") for s in walk(e)):
            return "session"
        if qual in _ABORT and const(arg(e, 0, "code")) in (401, 403):
            return "abort"
        return None


def _dotted_expr(name: str) -> Expr:
    head, *rest = name.split(".")
    e: Expr = ("n", head)
    for part in rest:
        e = ("a", e, part)
    return e


# ---- token sources ---------------------------------------------------------------------------


def token_functions(ctx: AppContext) -> dict[str, TokenSource]:
    """Functions that mint JWTs, by dotted name (each module's memoized)."""
    out: dict[str, TokenSource] = {}
    for module in ctx.resolver.iter_modules():
        for name, line in ctx.memoized(("flask.token-functions", module.module),
                                       lambda module=module: _module_token_functions(ctx.resolver, module),
                                       reads=(module.module,)):
            out[name] = TokenSource(kind="function", name=name, scheme="jwt", file=module.path, line=line,
                                    app=ctx.app)
    return out


def _module_token_functions(resolver: Resolver, module: ModuleFacts) -> tuple[tuple[str, int], ...]:
    return tuple((f"{module.module}.{fn.qualname}", fn.line) for fn in (*module.functions, *module.local_functions)
                 if _calls_any(resolver, module, fn, _TOKEN_MAKERS, "create_access_token"))


def issued_scheme(resolver: Resolver, module: ModuleFacts, fn: FunctionFacts, makers: dict[str, TokenSource]
                  ) -> str | None:
    """"jwt" / "session" when this view hands out a credential."""
    local, imports = local_env(fn)
    for call in fn.calls:
        func = call_func(call)
        if dotted(func) is None:
            continue
        qual = resolver.qualname(module.module, func, local, imports)
        if qual in _TOKEN_MAKERS or qual in makers:
            return "jwt"
        if qual in _LOGIN_USER:
            return "session"
    for base, key, _value, _line in fn.item_assigns:
        if "user" in (string(key) or "") and \
                resolver.qualname(module.module, _dotted_expr(base), local, imports) in _SESSION:
            return "session"
    return None


def _calls_any(resolver: Resolver, module: ModuleFacts, fn: FunctionFacts, names: frozenset[str], last: str) -> bool:
    local = imports = None
    for call in fn.calls:
        name = dotted(call_func(call))
        if name is None or name.rsplit(".", 1)[-1] != last:
            continue  # cheap filter before resolving
        if local is None:
            local, imports = local_env(fn)
        if resolver.qualname(module.module, call_func(call), local, imports) in names:
            return True
    return False
