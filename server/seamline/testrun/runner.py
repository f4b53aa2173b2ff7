"""pytest in a subprocess, results read back from its JUnit XML report."""

from __future__ import annotations

import importlib.util
import logging
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    nodeid: str  # tests/integration/test_items_api.py::test_x[param]
    function: str  # test_x
    status: str  # "passed" | "failed" | "error" | "skipped"
    message: str = ""
    details: str = ""  # the failure's report (traceback, failing line marked with ">")


@dataclass(frozen=True, slots=True, kw_only=True)
class RunResult:
    returncode: int
    outcomes: tuple[Outcome, ...]
    output: str  # pytest's terminal output
    seconds: float = 0.0

    @property
    def failed(self) -> tuple[Outcome, ...]:
        return tuple(o for o in self.outcomes if o.status in ("failed", "error"))

    @property
    def passed(self) -> tuple[Outcome, ...]:
        return tuple(o for o in self.outcomes if o.status == "passed")

    @property
    def error(self) -> str:
        """Why pytest did not run the tests, in its own words ("" when it ran them, failing or not):
        exit codes 2-5 (a conftest or module that does not load, a usage error, nothing collected)."""
        if self.returncode in (0, 1):
            return ""
        what = _EXIT_CODES.get(self.returncode, f"pytest stopped with exit status {self.returncode}")
        said = _pytest_message(self.output)
        return f"{what}: {said}" if said else what


# pytest's exit codes other than 0 (all passed) and 1 (some failed): the tests did not run as a whole.
_EXIT_CODES = {-1: "pytest did not finish", 2: "pytest stopped on errors while collecting the tests",
               3: "pytest hit an internal error", 4: "pytest could not start (a usage error or a conftest that "
               "does not load)", 5: "pytest found no tests to run"}


def _pytest_message(output: str) -> str:
    """The lines of pytest's output that say what went wrong: its `E ...` and `ERROR ...` lines (the last
    three), else its last line."""
    lines = [ln.strip() for ln in output.splitlines() if ln.strip()]
    said = [ln.removeprefix("E").strip() for ln in lines if ln.startswith(("E ", "ERROR"))]
    picked = said[-3:] if said else lines[-1:]
    return " | ".join(dict.fromkeys(picked))[:600]


def run_pytest(tests: Path, *, cwd: Path, env: Mapping[str, str] | None = None, python: str,
               extra: Sequence[str] = (), workers: str | None = None, timeout_s: int = 900) -> RunResult:
    """Run pytest on `tests` (a folder or file) from `cwd` with `env` added to this process's
    environment; never raises for failing tests. `workers` ("2", "auto") runs it under pytest-xdist
    (`-n`); the generated conftest gives each worker a database of its own."""
    with tempfile.TemporaryDirectory(prefix="seamline-run-") as tmp:
        report = Path(tmp) / "junit.xml"
        # --rootdir: node ids relative to `cwd` (the app), also when an ini file further up (a monorepo's,
        # or the demo's copy inside this repo) would otherwise root them there; the marks find files by them.
        cmd = [python, "-m", "pytest", str(tests), "-p", "no:cacheprovider", "-q", "--color=no", f"--rootdir={cwd}",
               "-o", "junit_family=xunit2", f"--junitxml={report}", *(("-n", workers) if workers else ()), *extra]
        # Not the caller's own pytest-xdist worker identity: the suite decides its databases itself.
        inherited = {k: v for k, v in os.environ.items()
                     if not k.startswith(("PYTEST_XDIST_", "PYTEST_CURRENT_TEST")) and k != "PYTEST_XDIST_WORKER"}
        full_env = {**inherited, **(env or {}), "PYTHONDONTWRITEBYTECODE": "1"}
        log.info("running %s in %s", " ".join(cmd), cwd)
        try:
            proc = subprocess.run(cmd, cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout_s,
                                  check=False)
        except subprocess.TimeoutExpired as e:
            out = (e.stdout or "") if isinstance(e.stdout, str) else ""
            return RunResult(returncode=-1, outcomes=(), output=out + f"\npytest did not finish in {timeout_s}s")
        outcomes = read_junit(report, tests_root=cwd) if report.exists() else ()
        return RunResult(returncode=proc.returncode, outcomes=outcomes, output=proc.stdout + proc.stderr,
                         seconds=_seconds(report))


def has_module(python: str, module: str) -> bool:
    """Whether `python` (the interpreter that runs the tests) can import `module`."""
    if Path(python).resolve() == Path(sys.executable).resolve():  # this interpreter: no subprocess
        return importlib.util.find_spec(module) is not None
    try:
        return subprocess.run([python, "-c", f"import {module}"], capture_output=True, timeout=60,
                              check=False).returncode == 0
    except (OSError, subprocess.TimeoutExpired) as e:
        log.info("could not ask %s whether it has %s: %s", python, module, e)
        return False


def has_xdist(python: str) -> bool:
    """Whether `python` can run pytest-xdist (`-n`)."""
    return has_module(python, "xdist")


def _seconds(report: Path) -> float:
    try:
        suite = ET.parse(report).getroot()
        node = suite if suite.tag == "testsuite" else suite.find("testsuite")
        return float(node.get("time", 0)) if node is not None else 0.0
    except (ET.ParseError, OSError, ValueError):
        return 0.0


def read_junit(report: Path, *, tests_root: Path) -> tuple[Outcome, ...]:
    try:
        root = ET.parse(report).getroot()
    except ET.ParseError as e:
        log.warning("unreadable pytest report %s: %s", report, e)
        return ()
    out = []
    for case in root.iter("testcase"):
        classname, name = case.get("classname", ""), case.get("name", "")
        path = classname.replace(".", "/") + ".py"
        function = name.split("[", 1)[0]
        status, message, details = "passed", "", ""
        for child in case:
            if child.tag in ("failure", "error", "skipped"):
                status = {"failure": "failed", "error": "error", "skipped": "skipped"}[child.tag]
                message, details = child.get("message", ""), child.text or ""
                break
        out.append(Outcome(nodeid=f"{path}::{name}", function=function, status=status, message=message,
                               details=details))
    return tuple(out)
