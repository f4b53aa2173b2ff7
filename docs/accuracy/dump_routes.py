#!/usr/bin/env python3
"""Dump the HTTP endpoints of a *running* (imported) web app, the framework's own way.

Used only to produce ground truth for scripts/accuracy.py; see docs/accuracy/README.md.
It imports the target application, so run it in a throwaway venv that has the app's
dependencies, with the app's directory as the working directory / on sys.path.

    python dump_routes.py fastapi  MODULE:ATTR            > out.json
    python dump_routes.py flask    MODULE:ATTR[()]        > out.json   # "pkg:create_app()" calls a factory
    python dump_routes.py django   SETTINGS_MODULE        > out.json

Output: JSON list of {"method", "path", "origin"} sorted by (path, method), unique.
origin: "app" (declared in the project's own code), "framework" (added by the framework
from project code, e.g. DRF DefaultRouter's API root), "third_party" (URLconf included from an
installed package, e.g. rest_framework.urls).
"""
from __future__ import annotations

import importlib
import json
import re
import sys

IGNORED_METHODS = {"HEAD", "OPTIONS"}


def _load(spec: str):
    mod_name, _, attr = spec.partition(":")
    call = attr.endswith("()")
    attr = attr[:-2] if call else attr
    obj = importlib.import_module(mod_name)
    for part in attr.split(".") if attr else []:
        obj = getattr(obj, part)
    return obj() if call else obj


def _emit(rows):
    uniq = {(r["method"], r["path"]): r for r in rows}
    out = sorted(uniq.values(), key=lambda r: (r["path"], r["method"]))
    sys.stdout.write("[\n" + ",\n".join(" " + json.dumps(r) for r in out) + "\n]\n")


# ---------------------------------------------------------------- FastAPI
def dump_fastapi(spec: str):
    from fastapi import routing as fr
    from starlette.routing import Mount

    rows = []

    def flat(routes):
        """app.routes, flattened. FastAPI >= ~0.13x keeps include_router() lazily as
        _IncludedRouter entries; fastapi.routing.iter_route_contexts() expands them (this is
        what FastAPI's own OpenAPI generator uses). Older FastAPI: app.routes is already flat."""
        if hasattr(fr, "iter_route_contexts"):
            for ctx in fr.iter_route_contexts(routes):
                yield ctx.original_route, ctx
        else:
            for r in routes:
                yield r, r

    def walk(routes, prefix):
        for original, eff in flat(routes):
            if isinstance(original, fr.APIRoute):
                for m in sorted(eff.methods or ()):
                    if m not in IGNORED_METHODS:
                        rows.append({"method": m, "path": prefix + eff.path_format, "origin": "app"})
            elif isinstance(original, Mount):
                sub = getattr(original, "routes", None) or []
                walk(sub, prefix + original.path_format.rstrip("/"))
            # plain starlette Routes (/openapi.json, /docs, /redoc, ...) are deliberately skipped

    walk(_load(spec).routes, "")
    _emit(rows)


# ---------------------------------------------------------------- Flask
_FLASK_CONV = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def dump_flask(spec: str):
    app = _load(spec)
    rows = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = _FLASK_CONV.sub(r"{\1}", rule.rule)
        for m in sorted(rule.methods or ()):
            if m not in IGNORED_METHODS:
                rows.append({"method": m, "path": path, "origin": "app"})
    _emit(rows)


# ---------------------------------------------------------------- Django / DRF
_NAMED_GROUP = re.compile(r"\(\?P<([^>]+)>[^)]*\)")
_CONVERTER = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
_FORMAT_SUFFIX = re.compile(r"\\\.\(\?P<format>|<(?:[^:<>]+:)?format>|\.\{format\}")


def _pattern_str(p) -> tuple[str, bool]:
    """(template fragment, is_regex) for one URLPattern/URLResolver's pattern."""
    from django.urls.resolvers import RegexPattern, RoutePattern

    pat = p.pattern
    if isinstance(pat, RoutePattern):
        return str(pat), False
    if isinstance(pat, RegexPattern):
        return pat._regex if isinstance(pat._regex, str) else pat._regex.pattern, True
    return str(pat), False


def _regex_to_template(rx: str) -> str:
    rx = rx.lstrip("^").rstrip("$")
    if rx.endswith(r"\Z"):
        rx = rx[:-2]
    rx = _NAMED_GROUP.sub(lambda m: "{" + m.group(1) + "}", rx)
    rx = rx.replace("\\", "")
    return rx


def _django_methods(callback):
    """Methods a view answers, the way Django/DRF would dispatch them."""
    actions = getattr(callback, "actions", None)  # DRF ViewSet.as_view(actions)
    if actions:
        return sorted(m.upper() for m in actions)
    cls = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    if cls is not None:
        names = getattr(cls, "http_method_names", [])
        return sorted(m.upper() for m in names if hasattr(cls, m) and m.upper() not in IGNORED_METHODS)
    # DRF @api_view functions are WrappedAPIView classes (has .cls); plain function views
    # accept any method: mark as "*".
    return ["*"]


def dump_django(settings_module: str):
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings_module)
    import django

    django.setup()
    from django.urls import get_resolver
    from django.urls.resolvers import URLPattern, URLResolver

    project_root = os.path.abspath(os.getcwd())
    rows = []

    def origin_of(callback, urlconf_modules):
        if getattr(callback, "__name__", "") == "APIRootView" or getattr(
            getattr(callback, "cls", None), "__name__", ""
        ) == "APIRootView":
            return "framework"
        for mod in urlconf_modules:
            f = getattr(mod, "__file__", None) or ""
            if f and not os.path.abspath(f).startswith(project_root):
                return "third_party"
        return "app"

    def walk(patterns, prefix, urlconfs):
        for p in patterns:
            frag, is_rx = _pattern_str(p)
            if _FORMAT_SUFFIX.search(frag):
                continue  # DRF format_suffix_patterns variants (.json/.api)
            frag = _regex_to_template(frag) if is_rx else _CONVERTER.sub(r"{\1}", frag)
            if isinstance(p, URLResolver):
                mod = p.urlconf_module
                mods = urlconfs + ([mod] if hasattr(mod, "__file__") else [])
                walk(p.url_patterns, prefix + frag, mods)
            elif isinstance(p, URLPattern):
                path = "/" + (prefix + frag).lstrip("/")
                for m in _django_methods(p.callback):
                    rows.append({"method": m, "path": path, "origin": origin_of(p.callback, urlconfs)})

    walk(get_resolver().url_patterns, "", [])
    _emit(rows)


if __name__ == "__main__":
    import os

    # the app directory goes LAST so a checkout that contains a framework source tree (the
    # fastapi repo has ./fastapi/) does not shadow the installed framework
    sys.path.append(os.getcwd())
    kind, spec = sys.argv[1], sys.argv[2]
    {"fastapi": dump_fastapi, "flask": dump_flask, "django": dump_django}[kind](spec)
