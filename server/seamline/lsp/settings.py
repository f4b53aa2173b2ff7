"""The `seamline.*` editor settings as one typed value, structured from the client's camelCase JSON
by one cattrs converter. Invalid input falls back to the defaults with a message for the user."""

from __future__ import annotations

import dataclasses
import logging
import re
from dataclasses import dataclass, field
from typing import Any

import cattrs
from cattrs.gen import make_dict_structure_fn, override

log = logging.getLogger(__name__)

SECTION = "seamline"
LOG_LEVELS = ("error", "warning", "info", "debug")


@dataclass(frozen=True, slots=True, kw_only=True)
class DiagnosticsSettings:
    untested_endpoints: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class CodeLensSettings:
    enabled: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    interpreter: str = ""  # the client picks the interpreter; the server uses it to run the user's tests
    diagnostics: DiagnosticsSettings = field(default_factory=DiagnosticsSettings)
    code_lens: CodeLensSettings = field(default_factory=CodeLensSettings)
    tests_output: str = "tests/integration"
    log_level: str = "info"
    images: dict[str, str] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        if self.log_level not in LOG_LEVELS:
            raise ValueError(f"logLevel must be one of {', '.join(LOG_LEVELS)}, not {self.log_level!r}")
        if not self.tests_output.strip() or self.tests_output.startswith(("/", "..")):
            raise ValueError(f"testsOutput must be a folder inside the workspace, not {self.tests_output!r}")


def _camel(name: str) -> str:
    return re.sub(r"_([a-z])", lambda m: m.group(1).upper(), name)


def _converter() -> cattrs.Converter:
    conv = cattrs.Converter(forbid_extra_keys=False)

    def hook_factory(cls: type) -> Any:
        return make_dict_structure_fn(cls, conv, **{f.name: override(rename=_camel(f.name))
                                                    for f in dataclasses.fields(cls)})

    conv.register_structure_hook_factory(dataclasses.is_dataclass, hook_factory)
    return conv


def _describe(exc: BaseException, type_: Any) -> str:
    return str(exc) if isinstance(exc, ValueError) else cattrs.v.format_exception(exc, type_)


def parse_settings(raw: Any) -> tuple[Settings, str | None]:
    """(settings, None) or (defaults, a message saying what was wrong)."""
    if raw is None or raw == {}:
        return Settings(), None
    if not isinstance(raw, dict):
        return Settings(), f"seamline settings must be an object, got {type(raw).__name__}; using defaults."
    try:
        return _converter().structure(raw, Settings), None
    except (cattrs.BaseValidationError, ValueError, TypeError) as e:
        detail = "; ".join(cattrs.transform_error(e, format_exception=_describe)) \
            if isinstance(e, cattrs.BaseValidationError) else str(e)
        return Settings(), f"Invalid seamline settings ({detail}); using the defaults."
