"""Where an app reads its configuration: pydantic-settings `BaseSettings` fields (with
`env_prefix` and aliases), module-level UPPER_CASE settings (Django settings modules, Flask
config classes and constants), `app.config.update(...)` keywords, `os.environ`/`os.getenv`
reads, and `.env`-style files. Each becomes a `SettingRef`: a name, where it is, and the
literal value when there is one. Values stay inside the analysis; the model only ever gets
names and, for URLs, their scheme and host."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

from ..model import Finding
from .expr import MaybeExpr, call_func, call_kwargs, call_line, dotted, is_call, render, string, walk
from .facts import ClassFacts, ModuleFacts
from .project_files import read_project_file
from .resolve import Resolver, Symbol

log = logging.getLogger(__name__)

_ENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$")
_BASE_SETTINGS = frozenset({"BaseSettings"})
_DOTTED_PATH = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_]\w*)+$")


@dataclass(frozen=True, slots=True, kw_only=True)
class SettingRef:
    name: str  # the name as the environment/settings spell it, e.g. "DATABASE_URL"
    origin: str  # Evidence kind: "setting" | "env" | "env-file"
    file: str
    line: int = 0
    value: str | None = None  # first URL-like literal in the value/default (internal, never in the model)
    annotation: str = ""  # declared type, e.g. "PostgresDsn | None"
    paths: tuple[str, ...] = ()  # dotted strings in the value: Django ENGINE/BACKEND paths
    owner: str = ""  # "Settings" for class fields, "" for module-level names


def first_url(e: MaybeExpr) -> str | None:
    """The first string (or f-string text) containing "://" anywhere inside `e`."""
    for sub in walk(e):
        if sub[0] in ("k", "f") and isinstance(sub[1], str) and "://" in sub[1]:
            return sub[1]
    return None


def _paths(e: MaybeExpr) -> tuple[str, ...]:
    out = []
    for sub in walk(e):
        v = string(sub)
        if v and _DOTTED_PATH.match(v):
            out.append(v)
    return tuple(out)


def module_settings(resolver: Resolver, m: ModuleFacts) -> list[SettingRef]:
    """Every settings name one module defines or reads."""
    out: list[SettingRef] = []
    for name, line, default in m.env_reads:
        out.append(SettingRef(name=name, origin="env", file=m.path, line=line, value=first_url(default)))
    for name, value, line in m.assigns:
        if _is_setting_name(name):
            out.append(SettingRef(name=name, origin="setting", file=m.path, line=line, value=first_url(value),
                                  paths=_paths(value)))
    for c in m.classes:
        out.extend(_class_settings(resolver, m, c))
    for call in _config_update_calls(m):
        for key, value in call_kwargs(call).items():
            if _is_setting_name(key):
                out.append(SettingRef(name=key, origin="setting", file=m.path, line=call_line(call),
                                      value=first_url(value), paths=_paths(value)))
    return out


def _is_setting_name(name: str) -> bool:
    return name.isupper() and "." not in name and not name.startswith("_")


def _config_update_calls(m: ModuleFacts) -> list:
    """`app.config.update(X=...)` / `app.config.from_mapping(X=...)` (Flask) anywhere."""
    calls = list(m.calls) + [v for _n, v, _l in m.assigns if is_call(v)]
    for f in list(m.functions) + list(getattr(m, "local_functions", ())):
        calls.extend(f.calls)
    out = []
    for c in calls:
        fn = dotted(call_func(c)) or ""
        if fn.endswith((".config.update", ".config.from_mapping")):
            out.append(c)
    return out


def _class_settings(resolver: Resolver, m: ModuleFacts, c: ClassFacts) -> list[SettingRef]:
    is_settings = resolver.inherits(Symbol("class", m.module, c.qualname, c), _BASE_SETTINGS) is not None
    if not is_settings:
        # Flask-style config classes: only UPPER_CASE attributes are settings
        return [SettingRef(name=name, origin="setting", file=m.path, line=line, value=first_url(value),
                           annotation=render(ann), paths=_paths(value), owner=c.qualname)
                for name, ann, value, line in c.attrs if _is_setting_name(name)]
    prefix = _env_prefix(m, c)
    out = []
    for name, ann, value, line in c.attrs:
        if name in ("model_config", "Config") or name.startswith("_"):
            continue
        env_name = _field_alias(value) or f"{prefix}{name}".upper()
        out.append(SettingRef(name=env_name, origin="setting", file=m.path, line=line, value=first_url(value),
                              annotation=render(ann), owner=c.qualname))
    for method in c.methods:
        fn = m.function(f"{c.qualname}.{method}")
        if fn is None:
            continue
        # computed DSNs: `PostgresDsn.build(scheme="postgresql+psycopg", ...)`
        for call in fn.calls:
            scheme = string(call_kwargs(call).get("scheme"))
            if scheme:
                out.append(SettingRef(name=method.upper() if method.isupper() else method, origin="setting",
                                      file=m.path, line=call_line(call) or fn.line, value=f"{scheme}://",
                                      annotation=render(fn.returns), owner=c.qualname))
    return out


def _env_prefix(m: ModuleFacts, c: ClassFacts) -> str:
    """`model_config = SettingsConfigDict(env_prefix="APP_")` (v2) or `class Config: env_prefix` (v1)."""
    for name, _ann, value, _line in c.attrs:
        if name == "model_config":
            prefix = string(call_kwargs(value).get("env_prefix")) if is_call(value) else None
            if prefix is None and value and value[0] == "d":
                prefix = next((string(v) for k, v in value[1] if string(k) == "env_prefix"), None)
            if prefix is not None:
                return prefix
    inner = m.cls(f"{c.qualname}.Config")
    for name, _ann, value, _line in inner.attrs if inner else ():
        if name == "env_prefix" and string(value) is not None:
            return string(value) or ""
    return ""


def _field_alias(value: MaybeExpr) -> str | None:
    """`Field(..., alias="X")`, `validation_alias="X"` (v2) or `env="X"` (v1)."""
    if not is_call(value) or (dotted(call_func(value)) or "").rsplit(".", 1)[-1] != "Field":
        return None
    kw = call_kwargs(value)
    for key in ("validation_alias", "alias", "env"):
        name = string(kw.get(key))
        if name:
            return name
    return None


def env_file_settings(root: Path, rel: str, findings: list[Finding]) -> list[SettingRef]:
    """KEY=VALUE lines of a `.env`-style file (export prefixes, quotes and comments allowed)."""
    text = read_project_file(root, rel, findings)
    if text is None:
        return []
    out = []
    for i, raw in enumerate(text.splitlines()):
        if raw.lstrip().startswith("#"):
            continue
        m = _ENV_LINE.match(raw)
        if m is None:
            continue
        value = m.group(2).strip()
        if value[:1] in ("'", '"'):
            value = value[1:].split(value[0], 1)[0]
        else:
            value = value.split(" #", 1)[0].strip()
        out.append(SettingRef(name=m.group(1), origin="env-file", file=rel, line=i + 1,
                              value=value if "://" in value else None))
    return out
