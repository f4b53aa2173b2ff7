"""Running generated tests and saying why each failure happened. Not part of core: it executes the
user's code (pytest in a subprocess, with the test environment's settings)."""

from .classify import Classified, Report, classify
from .runner import Outcome, RunResult, run_pytest

__all__ = ["Classified", "Outcome", "Report", "RunResult", "classify", "run_pytest"]
