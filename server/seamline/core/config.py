"""Seamline's configuration as users write it: `[tool.seamline]` in pyproject.toml or a
seamline.toml, per workspace root and per app root. Every value records where it came from,
so the scan can say which values it read and which it inferred."""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from .errors import ConfigError
from .model import ConfigValue

log = logging.getLogger(__name__)

KNOWN_KEYS = {"include", "exclude", "app", "entry", "django-settings", "output", "framework"}


@dataclass(frozen=True)
class AppConfig:
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    entry: str | None = None  # "pkg.main:app" or "pkg:create_app"
    django_settings: str | None = None  # "mysite.settings"
    output: str = "tests/integration"
    sources: dict[str, str] = field(default_factory=dict)  # key -> "pyproject.toml" | "seamline.toml"

    def values(self) -> list[ConfigValue]:
        out = []
        for key in ("include", "exclude", "entry", "django_settings", "output"):
            value = getattr(self, key)
            src = self.sources.get(key, "default")
            if src != "default" or value:
                out.append(ConfigValue(key=key, value=list(value) if isinstance(value, tuple) else value, source=src))
        return out


def _read_table(folder: Path) -> tuple[dict[str, Any], str] | None:
    st = folder / "seamline.toml"
    if st.is_file():
        try:
            data = tomllib.loads(st.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
            raise ConfigError(f"{st}: invalid TOML ({e}). Fix the file or remove it.") from e
        return data.get("tool", {}).get("seamline", data), "seamline.toml"
    pp = folder / "pyproject.toml"
    if pp.is_file():
        try:
            data = tomllib.loads(pp.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
            log.warning("%s is not valid TOML (%s); its [tool.seamline] settings are ignored", pp, e)
            return None
        table = data.get("tool", {}).get("seamline")
        if table is not None:
            return table, "pyproject.toml"
    return None


def load_config(folder: Path, parent: AppConfig | None = None) -> AppConfig:
    """Read `[tool.seamline]` for one folder, falling back to `parent` for unset keys."""
    base = parent or AppConfig()
    found = _read_table(folder)
    if not found:
        return base
    table, source = found
    if not isinstance(table, dict):
        raise ConfigError(f"{folder / source}: [tool.seamline] must be a table.")
    unknown = set(table) - KNOWN_KEYS
    if unknown:
        log.warning("%s: unknown [tool.seamline] keys ignored: %s", folder / source, ", ".join(sorted(unknown)))
    sources = dict(base.sources)

    def strs(key: str) -> tuple[str, ...] | None:
        if key not in table:
            return None
        v = table[key]
        if isinstance(v, str):
            v = [v]
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            raise ConfigError(f"{folder / source}: [tool.seamline] {key} must be a list of glob strings.")
        sources[key] = source
        return tuple(v)

    def one(key: str, attr: str) -> str | None:
        if key not in table:
            return None
        v = table[key]
        if not isinstance(v, str):
            raise ConfigError(f"{folder / source}: [tool.seamline] {key} must be a string.")
        sources[attr] = source
        return v

    include = strs("include")
    exclude = strs("exclude")
    entry = one("entry", "entry") or one("app", "entry")
    settings = one("django-settings", "django_settings")
    output = one("output", "output")
    return AppConfig(
        include=include if include is not None else base.include,
        exclude=exclude if exclude is not None else base.exclude,
        entry=entry or base.entry,
        django_settings=settings or base.django_settings,
        output=output or base.output,
        sources=sources,
    )
