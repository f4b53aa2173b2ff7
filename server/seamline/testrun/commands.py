"""`seamline gen tests` and `seamline run`: generate the integration tests, bring the test environment
up, run them, and say why each failure happened. The CLI only parses arguments and calls these."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
from pathlib import Path

from ..core.errors import UsageError
from ..core.generate.tests import GeneratedFile, Suite, generate_tests, plan_tests
from ..core.model import Project
from .classify import APP_BUG, Report, classify
from .marking import describe, mark_run
from .runner import RunResult, run_pytest

log = logging.getLogger(__name__)


def _scan(path: str) -> tuple[Path, Project]:
    from ..cli import _scan_root

    return _scan_root(path)


def _generate(root: Path, project: Project, args: argparse.Namespace) -> list[GeneratedFile]:
    endpoints = args.endpoint or None
    if endpoints:
        known = {e.key for e in project.endpoints} | {e.handler for e in project.endpoints}
        unknown = [x for x in endpoints if x not in known]
        if unknown:
            raise UsageError(f"no endpoint {unknown[0]!r}; `seamline scan` lists them as METHOD /path.")
    return generate_tests(project, root=root, endpoints=endpoints, output=args.out, flows=args.flows)


def write_tests(files: list[GeneratedFile], *, root: Path, force: bool = False, dry_run: bool = False) -> list:
    from ..core.generate.tests.write import write_tests as write  # libcst: imported only when writing

    return write(files, root=root, force=force, dry_run=dry_run)


def _print_writes(root: Path, writes: list) -> None:  # list[FileWrite]
    for w in writes:
        rel = w.result.path.relative_to(root)
        extra = f" (+{len(w.added)} new: {', '.join(w.added)})" if w.added else ""
        print(f"{w.result.status:<12} {rel}{extra}")
        if w.result.status == "kept-edited" and not w.added:
            print(f"             you edited {rel}; nothing new to add. --force replaces it.")
        for name in w.stale:
            print(f"             {rel}: {name} tests an endpoint Seamline no longer finds; kept, remove it if "
                  "it is obsolete")


def gen_tests(args: argparse.Namespace) -> int:
    root, project = _scan(args.path)
    files = _generate(root, project, args)
    for suite in plan_tests(project, root=root, output=args.out):
        for note in suite.notes:
            print(f"note: {note}")
    if not files:
        print("no endpoints Seamline can generate tests for were found.")
        return 0
    writes = write_tests(files, root=root, force=args.force, dry_run=args.dry_run)
    if args.dry_run:
        for w in writes:
            print(w.result.diff or f"{w.result.path.relative_to(root)} is up to date.", end="")
        return 0
    _print_writes(root, writes)
    if getattr(args, "verify", False):
        return _run(root, project, args)
    return 0


def run(args: argparse.Namespace) -> int:
    root, project = _scan(args.path)
    if not generate_missing(root, project, args):
        print("no generated tests to run: no endpoints Seamline can generate tests for.")
        return 0
    return _run(root, project, args)


def generate_missing(root: Path, project: Project, args: argparse.Namespace) -> bool:
    """Write the suite's files that do not exist yet (never touches existing ones)."""
    files = _generate(root, project, args)
    missing = [f for f in files if not (root / f.path).exists()]
    if missing:
        _print_writes(root, write_tests(missing, root=root))
    return bool(files)


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class SuiteRun:
    suite: Suite
    result: RunResult
    report: Report


def verify(root: Path, project: Project, args: argparse.Namespace) -> list[SuiteRun] | None:
    """Run each app's generated suite (in the environment unless `args.no_env`) and classify the
    failures; None when the environment could not be brought up (the reason is printed)."""
    suites = [s for s in plan_tests(project, root=root, output=args.out, flows=_has_flows(root, project, args))
              if s.modules]
    if args.no_env:
        print("running against the services already configured (--no-env): .seamline/env or the environment")
        results = [_run_suite(root, s, {}, args) for s in suites]
    else:
        results = _with_env(root, project, args, lambda env: [_run_suite(root, s, env, args) for s in suites])
        if results is None:
            return None
    return [SuiteRun(suite=suite, result=result,
                     report=classify(result.outcomes, suites=[suite], project=project,
                                     app_packages=_packages(root, suite)))
            for suite, result in zip(suites, results)]


def _has_flows(root: Path, project: Project, args: argparse.Namespace) -> bool:
    """Flows are classified when asked for, or when their file was generated before."""
    if args.flows:
        return True
    return any((root / s.app / s.output / "test_flows_api.py").is_file() for s in plan_tests(project, root=root,
                                                                                             output=args.out))


def _run(root: Path, project: Project, args: argparse.Namespace) -> int:
    runs = verify(root, project, args)
    if runs is None:
        return 1
    worst = 0
    for run_ in runs:
        print(render_report(run_.suite, run_.result, run_.report))
        if not getattr(args, "no_mark", False):
            app_dir = _app_dir(root, run_.suite)
            for line in describe(run_.report, mark_run(app_dir, run_.result, run_.report), app_dir):
                print(line)
        if run_.result.returncode not in (0, 1) or not run_.result.outcomes:
            print(run_.result.output[-4000:])  # pytest could not collect or run: show why
            worst = 1
        worst = max(worst, 1 if run_.report.failed else 0)
    return worst


def _with_env(root: Path, project: Project, args: argparse.Namespace, body):
    from ..cli import _key_value
    from ..core.generate.workspace_compose import COMPOSE_FILES, plan_compose
    from ..core.generate.writer import write_generated
    from ..env import ComposeCli, DockerUnavailable, EnvError, running_env
    from ..env.workspace import workspace_env_spec

    images = dict(_key_value(x, "--image") for x in args.image)
    if not any((root / f).is_file() for f in COMPOSE_FILES):
        plan = plan_compose(project, root, images=images, regenerate=f"seamline gen compose {args.path}")
        if plan.text is not None and plan.result is not None:
            done = write_generated(plan.result.path, plan.text)
            print(f"{done.status} {done.path.relative_to(root)} (the test environment)")
    try:
        spec = workspace_env_spec(root, project=args.project, wait_timeout_s=args.timeout)
    except UsageError as e:
        print(f"seamline: {e}", file=sys.stderr)
        return None
    spec = dataclasses.replace(spec, keep=args.keep_env)
    try:
        with running_env(spec, ComposeCli(cwd=root)) as handle:
            print(f"environment {handle.project} is up ({', '.join(s.service for s in handle.status.services)})"
                  + ("; left running (--keep-env)" if args.keep_env else "; removed afterwards"))
            return body(handle.env)
    except DockerUnavailable as e:
        print(f"seamline: no docker engine answered ({e}). The generated tests need the real services: start "
              "docker, or bring the services up yourself and run with --no-env. Nothing was run.", file=sys.stderr)
        return None
    except EnvError as e:
        print(f"seamline: the test environment did not come up: {e}", file=sys.stderr)
        return None


def _app_dir(root: Path, suite: Suite) -> Path:
    return root if suite.app == "." else root / suite.app


def _packages(root: Path, suite: Suite) -> list[str]:
    app_dir = _app_dir(root, suite)
    return sorted(p.name for p in app_dir.iterdir() if (p / "__init__.py").is_file() or p.suffix == ".py")


def _run_suite(root: Path, suite: Suite, env: dict[str, str], args: argparse.Namespace) -> RunResult:
    app_dir = _app_dir(root, suite)
    extra = list(args.pytest_args or ())
    return run_pytest(Path(suite.output), cwd=app_dir, env=env, python=args.python or sys.executable, extra=extra)


def render_report(suite: Suite, result: RunResult, report: Report) -> str:
    lines = [f"{suite.app}: {report.passed} passed, {len(report.failed)} failed"
             + (f" of {report.total} in {result.seconds:.1f}s" if report.total else "")]
    by_category: dict[str, list] = {}
    for c in report.failed:
        by_category.setdefault(c.category, []).append(c)
    titles = {APP_BUG: "bugs in the app", "generator": "generator mistakes (the test assumed wrong)",
              "environment": "environment problems", "user-test": "your own tests"}
    for category, items in by_category.items():
        lines.append(f"  {titles.get(category, category)}:")
        for c in items:
            lines.append(f"    {c.outcome.nodeid}\n      {c.reason}")
    if report.findings:
        lines.append(f"{len(report.findings)} finding(s):")
        for f in report.findings:
            lines.append(f"  {f.severity:<7} {f.code:<32} {f.file}:{f.line}  {f.message}")
    return "\n".join(lines)


def add_parsers(sub: argparse._SubParsersAction, gen: argparse._SubParsersAction) -> None:
    """`seamline gen tests` and `seamline run`."""
    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("path", nargs="?", default=".")
        p.add_argument("--endpoint", action="append", metavar="'METHOD /path'",
                       help="only the router(s) of these endpoints (repeatable; also a handler's dotted name)")
        p.add_argument("--all", action="store_true", help="every endpoint (the default)")
        p.add_argument("--out", help="output folder, relative to each app (default: tests/integration)")
        p.add_argument("--flows", action="store_true",
                       help="also tests across endpoints: sign up -> log in -> call; create -> read -> update -> delete")

    def running(p: argparse.ArgumentParser) -> None:
        p.add_argument("--image", action="append", default=[], metavar="KIND=IMAGE",
                       help="image for a kind of service when the compose file is written, e.g. postgres=postgres:15")
        p.add_argument("--no-env", action="store_true",
                       help="do not start the environment; use the services already configured")
        p.add_argument("--keep-env", action="store_true", help="leave the environment running afterwards")
        p.add_argument("-p", "--project", help="compose project name (default: seamline-<hash of PATH>)")
        p.add_argument("--timeout", type=int, default=120, help="seconds to wait for the services' health")
        p.add_argument("--python", help="interpreter that has the app's dependencies (default: this one)")
        p.add_argument("--no-mark", action="store_true",
                       help="do not mark failing tests in the generated files (app bug kept failing with the reason; "
                            "generator mistake skipped with the reason)")
        p.add_argument("--pytest-args", nargs=argparse.REMAINDER, help="passed on to pytest")

    t = gen.add_parser("tests", help="write integration tests for the endpoints (keeps your edits)")
    common(t)
    t.add_argument("--force", action="store_true", help="replace generated files even if you edited them")
    t.add_argument("--dry-run", action="store_true", help="print the diff and write nothing")
    t.add_argument("--verify", action="store_true", help="then run them against the environment and classify "
                                                         "each failure")
    running(t)
    t.set_defaults(func=gen_tests)

    r = sub.add_parser("run", help="run the generated tests against the test environment and report app bugs")
    common(r)
    running(r)
    r.set_defaults(func=run)
