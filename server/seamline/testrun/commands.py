"""`seamline gen tests` and `seamline run`: generate the integration tests, bring the test environment
up, run them, and say why each failure happened. The CLI only parses arguments and calls these."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import logging
import sys
import tempfile
from pathlib import Path

from ..core.errors import UsageError
from ..core.generate.tests import GeneratedFile, Suite, plan_tests, render_tests
from ..core.generate.tests.plan import suite_output
from ..core.model import Project
from .classify import APP_BUG, Report, classify
from .fallback import SuiteFallback, docker_required, engine_problem, label, plan_suite, render_header
from .marking import describe, mark_run
from .runner import RunResult, has_xdist, run_pytest

log = logging.getLogger(__name__)


def _scan(path: str) -> tuple[Path, Project]:
    from ..cli import _scan_root

    return _scan_root(path)


def _generate(root: Path, project: Project, args: argparse.Namespace, *,
              flows: bool | None = None) -> tuple[list[Suite], list[GeneratedFile]]:
    """The planned suites and their files (flows as `--flows` says, unless `flows` is given)."""
    endpoints = args.endpoint or None
    if endpoints:
        known = {e.key for e in project.endpoints} | {e.handler for e in project.endpoints}
        unknown = [x for x in endpoints if x not in known]
        if unknown:
            raise UsageError(f"no endpoint {unknown[0]!r}; `seamline scan` lists them as METHOD /path.")
    suites = plan_tests(project, root=root, endpoints=endpoints, output=args.out,
                        flows=args.flows if flows is None else flows)
    return suites, render_tests(project, suites, output=args.out)


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
    suites, files = _generate(root, project, args)
    for suite in suites:
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
        # the suites just planned are the ones to classify by, unless a flows file from before counts too
        return _run(root, project, args, suites if args.flows == _has_flows(root, project, args) else None)
    return 0


def run(args: argparse.Namespace) -> int:
    root, project = _scan(args.path)
    with _report_stream(args):
        suites = generate_missing(root, project, args)
        if not suites:
            print("no generated tests to run: no endpoints Seamline can generate tests for.")
    if not suites:
        if getattr(args, "format", "text") == "json":
            print(json.dumps(runs_json(None)))
        return 0
    return _run(root, project, args, suites)


def _report_stream(args: argparse.Namespace) -> contextlib.AbstractContextManager:
    """With `--format json` stdout carries the JSON document only; what is said along the way goes to stderr."""
    return contextlib.redirect_stdout(sys.stderr) if getattr(args, "format", "text") == "json" else \
        contextlib.nullcontext()


def generate_missing(root: Path, project: Project, args: argparse.Namespace) -> list[Suite]:
    """Write the suite's files that do not exist yet (never touches existing ones); the suites with
    tests, planned as the run classifies them (with flows when their file is there or asked for)."""
    suites, files = _generate(root, project, args, flows=_has_flows(root, project, args))
    missing = [f for f in files if not (root / f.path).exists()]
    if missing:
        _print_writes(root, write_tests(missing, root=root))
    return [s for s in suites if s.modules]


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class SuiteRun:
    suite: Suite
    result: RunResult
    report: Report
    fallback: SuiteFallback | None = None  # set when no docker engine answered: ran against stand-ins


def verify(root: Path, project: Project, args: argparse.Namespace,
           suites: list[Suite] | None = None) -> list[SuiteRun] | None:
    """Run each app's generated suite (in the environment unless `args.no_env`, or unless the apps need
    no container: `containers_needed`) and classify the failures; None when the environment could not be
    brought up (the reason is printed). `suites`: already planned for every endpoint (none given, or
    only some with `--endpoint`: planned here)."""
    if suites is None or args.endpoint:
        suites = plan_tests(project, root=root, output=args.out, flows=_has_flows(root, project, args))
    suites = [s for s in suites if s.modules]
    for s in suites:  # pins below what the generated tests call: said before the failures they cause
        for note in s.pin_notes:
            print(f"note: {s.app}: {note}")
    python = args.python or sys.executable
    if getattr(args, "workers", None) and not has_xdist(python):  # say so before any environment comes up
        raise UsageError(f"--workers needs pytest-xdist in {python}: pip install pytest-xdist")
    if args.no_env:
        print("running against the services already configured (--no-env): .seamline/env or the environment")
        results = [_run_suite(root, s, {}, args) for s in suites]
    elif not (needed := containers_needed(root, project, suites)).containers:
        print(needed.message)
        results = [_run_suite(root, s, {}, args) for s in suites]
    else:
        problem = engine_problem()
        if problem is not None:
            return _verify_without_docker(root, project, suites, args, problem)
        faked = {d.kind for s in suites for d in s.doubles}
        results = _with_env(root, project, args, lambda env: [_run_suite(root, s, env, args) for s in suites],
                            faked=faked)
        if results is None:
            return None
    return [SuiteRun(suite=suite, result=result,
                     report=classify(result.outcomes, suites=[suite], project=project,
                                     app_packages=_packages(root, suite)))
            for suite, result in zip(suites, results)]


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Containers:
    """What the suites' apps need started for a run: the kinds of container, and, when none, why."""

    containers: tuple[str, ...] = ()
    message: str = ""


def containers_needed(root: Path, project: Project, suites: list[Suite]) -> Containers:
    """The containers a run of `suites` needs: one per kind of service their apps use (none for SQLite,
    none for a service the generated tests answer in process), plus what a compose file already in the
    workspace provides (its services may be ones the analysis cannot see). None needed: the suites run
    as they are, with no compose file and no docker engine; a real run, not a fallback."""
    from ..core.generate.compose import container_kinds
    from ..core.generate.workspace_compose import file_service_kinds, find_compose_files

    apps = {s.app for s in suites}
    services = [s for s in project.services if s.app in apps]
    faked = {d.kind for s in suites for d in s.doubles}
    kinds = set(container_kinds(services))
    for file in find_compose_files(root):
        kinds |= set(file_service_kinds(file).values())
    needed = tuple(sorted(kinds - faked))
    if needed:
        return Containers(containers=needed)
    found = list(dict.fromkeys(s.kind for s in services))
    why = [f"{k} is answered in process by the generated tests" if k in faked else f"{k} needs no container"
           for k in found]
    return Containers(message="no services to start (" + ("; ".join(why) or "the app uses no backing service")
                      + "): running the generated tests as they are, with no compose file and no docker")


def _verify_without_docker(root: Path, project: Project, suites: list[Suite], args: argparse.Namespace,
                           problem: str) -> list[SuiteRun] | None:
    """No docker engine: refuse when docker is required; else run each suite against the stand-ins that
    serve without one (testrun/fallback.py), labelled as a fallback run. None when nothing ran."""
    if docker_required(args):
        print(f"seamline: {problem} --require-docker (or REQUIRE_DOCKER=1) turns off the fallback to SQLite and "
              "in-process fakes, so nothing was run.", file=sys.stderr)
        return None
    if getattr(args, "workers", None):
        print("--workers is ignored in a fallback run: the SQLite stand-in is one file all workers would share")
        args = argparse.Namespace(**{**vars(args), "workers": None})
    runs = []
    with tempfile.TemporaryDirectory(prefix="seamline-fallback-") as tmp:
        plans = [plan_suite(root, project, s, workdir=Path(tmp), python=args.python or sys.executable)
                 for s in suites]
        print(render_header(problem, plans))
        for suite, plan in zip(suites, plans):
            if plan.refused:
                continue
            result = _run_suite(root, suite, plan.env, args)
            report = classify(result.outcomes, suites=[suite], project=project, app_packages=_packages(root, suite))
            runs.append(SuiteRun(suite=suite, result=result, report=label(report, plan), fallback=plan))
    return runs or None


def _has_flows(root: Path, project: Project, args: argparse.Namespace) -> bool:
    """Flows are classified when asked for, or when their file was generated before."""
    if args.flows:
        return True
    # where each app's suite is written, without planning the suites only to learn that
    return any((root / app.root / suite_output(app, args.out) / "test_flows_api.py").is_file() for app in project.apps)


def _run(root: Path, project: Project, args: argparse.Namespace, suites: list[Suite] | None = None) -> int:
    if getattr(args, "format", "text") == "json":
        return _run_json(root, project, args, suites)
    return _report(root, verify(root, project, args, suites), args)


def _run_json(root: Path, project: Project, args: argparse.Namespace, suites: list[Suite] | None) -> int:
    """`--format json`: the usual report goes to stderr, one JSON document to stdout."""
    with _report_stream(args):
        runs = verify(root, project, args, suites)
        code = _report(root, runs, args)
    json.dump(runs_json(runs), sys.stdout, indent=2)
    print()
    return code


def runs_json(runs: list[SuiteRun] | None) -> dict:
    """`seamline run --format json`. `fallback` is true when the tests ran against stand-ins because no
    docker engine answered; every finding of such a run carries `"fallback": true` too."""
    if runs is None:
        return {"ran": False, "fallback": None, "apps": []}
    apps = []
    for r in runs:
        fb = r.fallback is not None
        apps.append({
            "app": r.suite.app, "fallback": fb, "stand_ins": r.fallback.to_json()["stand_ins"] if fb else [],
            "ran": not r.result.error, "error": r.result.error or None, "notes": list(r.suite.notes),
            "passed": r.report.passed, "failed": len(r.report.failed), "total": r.report.total,
            "seconds": r.result.seconds,
            "failures": [{"test": c.outcome.nodeid, "category": c.category, "reason": c.reason}
                         for c in r.report.failed],
            "findings": [{**dataclasses.asdict(f), "fallback": fb} for f in r.report.findings],
        })
    # `ran` is false when pytest did not run some app's tests at all (its `error` says why).
    return {"ran": all(a["ran"] for a in apps), "fallback": any(a["fallback"] for a in apps), "apps": apps}


def _report(root: Path, runs: list[SuiteRun] | None, args: argparse.Namespace) -> int:
    """Print each suite's report (and mark failing generated tests); the exit code."""
    if runs is None:
        return 1
    worst = 0
    for run_ in runs:
        print(render_report(run_.suite, run_.result, run_.report))
        if run_.fallback is not None:
            print(f"{run_.suite.app}: fallback run ({run_.fallback.summary}), not the same as the real services; "
                  "failing tests were not marked in the generated files")
        elif not getattr(args, "no_mark", False):
            app_dir = _app_dir(root, run_.suite)
            for line in describe(run_.report, mark_run(app_dir, run_.result, run_.report), app_dir):
                print(line)
        if run_.result.returncode not in (0, 1) or not run_.result.outcomes:
            print(run_.result.output[-4000:])  # pytest could not collect or run: show why
            worst = 1
        worst = max(worst, 1 if run_.report.failed else 0)
    return worst


def _with_env(root: Path, project: Project, args: argparse.Namespace, body, *, faked: set[str] = frozenset()):
    """`body(env)` with the test environment up. Services of a kind the generated tests answer in
    process (`faked`: a mail relay, S3 answered by moto) are not started: the tests never reach them."""
    from ..cli import _key_value
    from ..core.generate.workspace_compose import COMPOSE_FILES, file_service_kinds, plan_compose
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
    kinds = file_service_kinds(spec.files[0]) if spec.files else {}
    skipped = sorted(name for name, kind in kinds.items() if kind in faked)
    if skipped:
        spec = dataclasses.replace(spec, services=tuple(name for name in kinds if name not in skipped))
        print(f"not started: {', '.join(skipped)} (the generated tests answer it in process)")
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
    return run_pytest(Path(suite.output), cwd=app_dir, env=env, python=args.python or sys.executable, extra=extra,
                      workers=getattr(args, "workers", None))


def _workers(value: str) -> str:
    """`--workers`: a positive number of processes, or `auto` (one per core)."""
    if value == "auto" or (value.isdigit() and int(value) > 0):
        return value
    raise argparse.ArgumentTypeError(f"expected a positive number or auto, not {value!r}")


def render_report(suite: Suite, result: RunResult, report: Report) -> str:
    lines = [f"{suite.app}: {report.passed} passed, {len(report.failed)} failed"
             + (f" of {report.total} in {result.seconds:.1f}s" if report.total else "")]
    if result.error:  # not "0 passed, 0 failed" alone: the tests did not run
        lines.append(f"  the tests did not run: {result.error}")
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
                       help="also tests across endpoints: sign up -> log in -> call; "
                            "create -> read -> update -> delete")

    def running(p: argparse.ArgumentParser) -> None:
        p.add_argument("--image", action="append", default=[], metavar="KIND=IMAGE",
                       help="image for a kind of service when the compose file is written, e.g. postgres=postgres:15")
        p.add_argument("--no-env", action="store_true",
                       help="do not start the environment; use the services already configured")
        p.add_argument("--keep-env", action="store_true", help="leave the environment running afterwards")
        p.add_argument("-p", "--project", help="compose project name (default: seamline-<hash of PATH>)")
        p.add_argument("--timeout", type=int, default=120, help="seconds to wait for the services' health")
        p.add_argument("--python", help="interpreter that has the app's dependencies (default: this one)")
        p.add_argument("--require-docker", action="store_true",
                       help="fail when no docker engine answers (also REQUIRE_DOCKER=1) instead of falling back to "
                            "SQLite and in-process fakes. An app that needs no container (its data in SQLite, "
                            "its outside services answered in process) runs without docker either way")
        p.add_argument("--no-mark", action="store_true",
                       help="do not mark failing tests in the generated files (app bug kept failing with the reason; "
                            "generator mistake skipped with the reason)")
        p.add_argument("--workers", type=_workers, metavar="N",
                       help="run the tests in N processes (pytest-xdist `-n N`; `auto`: one per core), each with a "
                            "database of its own (default: one process)")
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
    r.add_argument("--format", choices=("text", "json"), default="text",
                   help="json: one JSON document on stdout (the report goes to stderr); `fallback` says whether "
                        "the tests ran against stand-ins because no docker engine answered")
    r.set_defaults(func=run)
