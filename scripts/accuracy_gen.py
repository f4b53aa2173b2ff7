#!/usr/bin/env python3
"""Measure Seamline's *test generation* on the public apps of scripts/accuracy.py.

For each app (the same table and /tmp/realapps trees as accuracy.py): copy it to a scratch dir
(the tree under --realapps is never touched), `seamline gen tests --all --flows`, then
`seamline run --format json --no-mark` with the app's own interpreter, and tabulate endpoints,
tests generated, passed / failed (by Seamline's classification) / skipped on that first run.

    python scripts/accuracy_gen.py                 # every app, markdown table + failures
    python scripts/accuracy_gen.py flask-tutorial  # some apps
    python scripts/accuracy_gen.py --json out.json --seamline-src /tmp/head/server

When `gen tests --all --flows` crashes, the crash is recorded and the CLI is run again (through this
script's `--drop-crashing-routers` mode) on the scanned project without the handler files whose test
planning raises, and without flows, so the routers that do generate are still measured.

Each app needs an interpreter with its dependencies plus pytest (`--venv NAME=DIR`; defaults in
RUN below; docs/accuracy.md says how they were made). Seamline itself runs as
`python -m seamline.cli` with --seamline-src (default: this repo's server/) on PYTHONPATH, so a
snapshot of another tree can be measured. The compose environment is brought up on the local
docker engine with the images in IMAGES; an app that needs no service container runs with
`--no-env` and the settings in RUN.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from accuracy import APPS, REPO  # noqa: E402  (the app table and paths: one place)

IMAGES = ("postgres=postgres:15", "redis=redis:7", "rabbitmq=rabbitmq:3", "mysql=mariadb:10.11",
          "mariadb=mariadb:10.11")
# Per app: the venv that has its dependencies, and for apps that need no service container
# ("no backing services" - `seamline run` then finds no compose file) `no_env`: run with --no-env
# and these settings (fastapi-sql-databases: the SQLite file the app hardcodes; the flask tutorial's
# generated conftest makes its own SQLite file).
RUN: dict[str, dict] = {
    "flask-tutorial": {"venv": "/tmp/gv-flask", "no_env": {}},
    "flask-realworld": {"venv": "/tmp/gv-rw"},
    "fastapi-bigger-applications": {"venv": "/tmp/gv-fastapi"},
    "fastapi-sql-databases": {"venv": "/tmp/gv-fastapi", "no_env": {"DATABASE_URL": "sqlite:///database.db"}},
    "drf-tutorial": {"venv": "/tmp/gv-drf"},
}
SKIP_COPY = {".git", "__pycache__", "instance", ".seamline", "node_modules"}
_TEST_DEF = re.compile(r"^(?:async )?def (test_\w+)", re.M)


@dataclass
class GenResult:
    name: str
    endpoints: int = 0
    generation: str = ""  # ok | crashed (partial) | nothing generated
    notes: list = field(default_factory=list)  # gen's own "note:" lines
    crashed: list = field(default_factory=list)  # "file: exception" of routers whose generation crashed
    test_functions: int = 0
    flows: int = 0  # of test_functions, in test_flows_api.py
    endpoints_tested: int = 0
    collected: int | None = None
    passed: int = 0
    failed: int = 0
    skipped: int | None = None
    by_category: dict = field(default_factory=dict)
    failures: list = field(default_factory=list)
    error: str = ""


def seamline(args: list[str], *, cwd: Path, src: Path, env: dict | None = None, timeout: float = 900,
             script: bool = False):
    """`python -m seamline.cli ARGS` in `cwd` (or this script's DROP mode with `script`), `src` on PYTHONPATH."""
    full = {**os.environ, **(env or {}), "PYTHONPATH": str(src)}
    cmd = [sys.executable, *([__file__] if script else ["-m", "seamline.cli"]), *args]
    return subprocess.run(cmd, cwd=cwd, env=full, capture_output=True, text=True, timeout=timeout)


def copy_app(src: Path, dst: Path, only: tuple[str, ...]) -> None:
    """The app's tree without VCS/caches/instance data; with `only`, just those modules (+ __init__.py),
    the files accuracy.py counts for that app."""
    def ignore(folder, names):
        out = {n for n in names if n in SKIP_COPY}
        if only:
            out |= {n for n in names if n.endswith(".py") and n != "__init__.py" and n not in only}
        return out

    if dst.exists():
        shutil.rmtree(dst)
    shutil.copytree(src, dst, ignore=ignore)


def crash_line(proc) -> str:
    lines = (proc.stderr or proc.stdout).strip().splitlines()
    return lines[-1] if lines else f"exit {proc.returncode}"


def generate(app: Path, src: Path, r: GenResult) -> None:
    """`gen tests --all --flows`; when it crashes, again without the routers (handler files) whose planning
    crashes and without flows (they plan every endpoint): see `drop_crashing`."""
    proc = seamline(["gen", "tests", ".", "--all", "--flows"], cwd=app, src=src)
    r.notes = [ln[len("note: "):] for ln in proc.stdout.splitlines() if ln.startswith("note: ")]
    if proc.returncode == 0:
        r.generation = "ok"
        return
    r.generation = "crashed (no flows)"
    proc = seamline([DROP, "gen", "tests", ".", "--all"], cwd=app, src=src, script=True)
    r.crashed = [ln[len("crash: "):] for ln in proc.stderr.splitlines() if ln.startswith("crash: ")]
    r.notes += [ln[len("note: "):] for ln in proc.stdout.splitlines() if ln.startswith("note: ")]
    if proc.returncode != 0:
        r.error = f"gen tests without the crashing routers: {crash_line(proc)}"


DROP = "--drop-crashing-routers"


def _kept_project(cli):
    """The app in the current folder, scanned, without the endpoints of handler files whose test planning
    raises (each printed as `crash: FILE: ERROR` on stderr)."""
    import dataclasses

    from seamline.core.generate.tests import plan_tests

    root, project = cli._scan_root(".")
    crashed = []
    for file in sorted({e.file for e in project.endpoints}):
        try:
            plan_tests(project, root=root, endpoints=[e.key for e in project.endpoints if e.file == file])
        except Exception as exc:  # noqa: BLE001 - any planner crash is what is being recorded
            crashed.append(file)
            print(f"crash: {file}: {type(exc).__name__}: {exc}", file=sys.stderr)
    return root, dataclasses.replace(project, endpoints=tuple(e for e in project.endpoints if e.file not in crashed))


def drop_crashing(argv: list[str]) -> int:
    """`seamline ARGV` on the app in the current folder with the crashing routers left out (`_kept_project`).
    The CLI plans the whole app even for `--endpoint` (gen tests' notes, run's suites), so one crashing
    endpoint stops the lot; this measures the routers that do generate. `ARGV == ["plan"]` prints, as JSON,
    how many planned cases each endpoint has. Runs with Seamline's server/ on sys.path."""
    from seamline import cli
    from seamline.core.generate.tests import plan_tests
    from seamline.testrun import commands

    root, kept = _kept_project(cli)
    if argv == ["plan"]:
        cases = Counter(c.endpoint for s in plan_tests(kept, root=root) for m in s.modules for c in m.cases)
        print(json.dumps(dict(cases)))
        return 0
    commands._scan = lambda path: (root, kept)
    return cli.main(argv)


def count_generated(tests: Path, r: GenResult) -> None:
    for f in sorted(tests.glob("test_*.py")):
        found = len(_TEST_DEF.findall(f.read_text(encoding="utf-8")))
        r.test_functions += found
        if f.name == "test_flows_api.py":
            r.flows = found


def collect(app: Path, python: str, env: dict) -> int | None:
    """How many test items pytest collects (skipped = collected - passed - failed after the run)."""
    proc = subprocess.run([python, "-m", "pytest", "tests/integration", "--collect-only", "-q", "-p",
                           "no:cacheprovider", f"--rootdir={app}"], cwd=app, env={**os.environ, **env},
                          capture_output=True, text=True, timeout=600)
    items = [ln for ln in proc.stdout.splitlines() if "::" in ln]
    return len(items) if proc.returncode in (0, 5) else None


def run_suite(app: Path, python: str, src: Path, cfg: dict, log: Path, r: GenResult) -> None:
    # `run` generates what is missing first: with --flows only when `gen tests --all --flows` worked
    args = ["run", ".", *(["--flows"] if r.generation == "ok" else []), "--python", python, "--no-mark",
            "--format", "json"]
    args += [x for image in IMAGES for x in ("--image", image)]
    env = cfg.get("no_env") or {}
    if "no_env" in cfg:
        args.append("--no-env")
    proc = seamline([DROP, *args] if r.crashed else args, cwd=app, src=src, env=env, script=bool(r.crashed))
    log.write_text(proc.stderr, encoding="utf-8")
    try:
        doc = json.loads(proc.stdout)
    except json.JSONDecodeError:
        r.error = f"seamline run gave no JSON (exit {proc.returncode}); see {log}"
        return
    if not doc.get("ran"):
        r.error = f"seamline run did not run the tests; see {log}"
        return
    for a in doc["apps"]:
        r.passed += a["passed"]
        r.failed += a["failed"]
        r.failures += a["failures"]
    r.by_category = dict(Counter(f["category"] for f in r.failures))
    if r.collected is not None:
        r.skipped = r.collected - r.passed - r.failed
    if not r.passed and not r.failed:
        tail = [ln for ln in proc.stderr.splitlines() if ln.strip()][-1:]
        r.error = "no test ran: " + (tail[0] if tail else f"see {log}")


def measure(name: str, repo: str, sub: str, only: tuple[str, ...], args) -> GenResult:
    r = GenResult(name=name)
    cfg = {**RUN.get(name, {}), **({"venv": args.venv[name]} if name in args.venv else {})}
    python = str(Path(cfg.get("venv", sys.prefix)) / "bin" / "python")
    src_dir = Path(args.realapps) / repo / sub if sub else Path(args.realapps) / repo
    app = Path(args.workdir) / name
    copy_app(src_dir, app, only)
    scan = seamline(["scan", ".", "--format", "json"], cwd=app, src=args.seamline_src)
    try:
        endpoints = json.loads(scan.stdout)["endpoints"]
    except (json.JSONDecodeError, KeyError):
        r.error = f"scan failed: {crash_line(scan)}"
        return r
    r.endpoints = len({(e["method"], e["path"]) for e in endpoints})
    generate(app, args.seamline_src, r)
    tests = app / "tests" / "integration"
    if not list(tests.glob("test_*.py")):
        r.generation = "nothing generated" if r.generation == "ok" else r.generation
        return r
    count_generated(tests, r)
    plan = seamline([DROP, "plan"], cwd=app, src=args.seamline_src, script=True)
    r.endpoints_tested = len(json.loads(plan.stdout or "{}"))  # endpoints with at least one single-endpoint case
    r.collected = collect(app, python, cfg.get("no_env") or {})
    run_suite(app, python, args.seamline_src, cfg, Path(args.workdir) / f"{name}.run.log", r)
    return r


def markdown(results: list[GenResult]) -> str:
    out = ["| app | endpoints | endpoints with tests | test functions (flows) | tests run | passed | failed: app bug / "
           "generator / environment | skipped | generation |",
           "|---|---:|---:|---:|---:|---:|---|---:|---|"]
    for r in results:
        cats = "/".join(str(r.by_category.get(c, 0)) for c in ("app-bug", "generator", "environment"))
        other = sum(v for k, v in r.by_category.items() if k not in ("app-bug", "generator", "environment"))
        failed = f"{r.failed} ({cats}" + (f", other {other})" if other else ")") if r.failed else "0"
        gen = r.generation + (f"; {len(r.crashed)} router(s) crash" if r.crashed else "")
        gen += f"; {r.error}" if r.error else ""
        ran = r.passed + r.failed if (r.passed or r.failed) else "-"
        out.append(f"| {r.name} | {r.endpoints} | {r.endpoints_tested} | {r.test_functions} ({r.flows}) | {ran} | "
                   f"{r.passed} | {failed} | {'-' if r.skipped is None else r.skipped} | {gen.replace('|', '/')} |")
    return "\n".join(out) + "\n"


def details(results: list[GenResult]) -> str:
    lines = []
    for r in results:
        lines.append(f"== {r.name}")
        lines += [f"   note: {n}" for n in r.notes] + [f"   crash: {c}" for c in r.crashed]
        lines += [f"   {f['category']:<11} {f['test']}\n               {_first_line(f['reason'])}" for f in r.failures]
    return "\n".join(lines) + "\n"


def _first_line(text: str, width: int = 240) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= width else line[:width] + "..."


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == [DROP]:
        return drop_crashing(argv[1:])
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("apps", nargs="*", help="names from the table (default: all)")
    ap.add_argument("--realapps", default=os.environ.get("REALAPPS", "/tmp/realapps"))
    ap.add_argument("--workdir", default="/tmp/seamline-gen-accuracy", help="scratch copies go here")
    ap.add_argument("--seamline-src", type=Path, default=REPO / "server", help="the server/ folder to run")
    ap.add_argument("--venv", action="append", default=[], metavar="NAME=DIR", help="an app's interpreter")
    ap.add_argument("--setting", action="append", default=[], metavar="NAME=KEY=VALUE",
                    help="run app NAME with --no-env and KEY=VALUE in the environment (e.g. its own SQLite)")
    ap.add_argument("--json", help="also write the results here")
    args = ap.parse_args(argv)
    args.venv = dict(v.split("=", 1) for v in args.venv)
    for item in args.setting:
        name, key, value = item.split("=", 2)
        RUN.setdefault(name, {}).setdefault("no_env", {})[key] = value
    Path(args.workdir).mkdir(parents=True, exist_ok=True)
    known = {a[0] for a in APPS}
    unknown = set(args.apps) - known
    if unknown:
        ap.error(f"unknown app(s) {sorted(unknown)}; known: {sorted(known)}")
    results = [measure(name, repo, sub, only, args) for name, repo, sub, _gt, only in APPS
               if not args.apps or name in args.apps]
    sys.stdout.write(markdown(results) + "\n" + details(results))
    if args.json:
        Path(args.json).write_text(json.dumps([asdict(r) for r in results], indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
