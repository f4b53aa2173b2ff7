"""Exceptions for Seamline's own failures (the user's code produces Findings instead)."""


class SeamlineError(Exception):
    """Base class: the message must tell the user what to do next."""


class UsageError(SeamlineError):
    """Bad command-line input or configuration (exit code 2)."""


class ConfigError(UsageError):
    """A `[tool.seamline]` / seamline.toml value is invalid."""
