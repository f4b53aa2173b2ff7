"""Command-line front door: `seamline scan | serve | ...` over the same core as the editor.

Exit codes: 0 ok, 1 findings (or failed tests), 2 usage or input error (one-line message).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys
from pathlib import Path

from .core.analyze.index import default_cache_dir
from .core.errors import SeamlineError, UsageError
from .core.generate.workspace_compose import COMPOSE_FILES
from .core.model import Project

log = logging.getLogger("seamline")


def _scan(args: argparse.Namespace) -> int:
    from .core.analyze.index import Index
    from .core.analyze.scan import scan

    root = Path(args.path)
    if not root.exists():
        raise UsageError(f"{args.path}: no such folder.")
    cache = None if args.no_cache else Path(args.cache_dir) if args.cache_dir else default_cache_dir(root)
    project = scan(root, index=Index(cache_dir=cache))
    if args.format == "json":
        json.dump(project.to_json(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(render_table(project))
    serious = [f for f in project.findings if f.severity in ("error", "warning")]
    return 1 if serious and not args.exit_zero else 0


def render_table(project: Project) -> str:
    lines: list[str] = []
    multi = len(project.apps) > 1
    for app in project.apps:
        eps = [e for e in project.endpoints if e.app == app.root]
        fw = ", ".join(app.frameworks) or "no web framework found"
        lines.append(f"App {app.root} ({fw}){'  entry ' + app.entry if app.entry else ''}")
        for cv in app.config:
            lines.append(f"  config {cv.key} = {cv.value!r}  ({cv.source})")
        if eps:
            w_method = max(len(e.method) for e in eps)
            w_path = max(len(e.path) for e in eps)
            for e in eps:
                auth = ",".join(sorted({a.kind for a in e.auth})) or "-"
                effects = ",".join(sorted({f"{x.action}:{x.model.rsplit('.', 1)[-1]}" for x in e.effects})) or "-"
                lines.append(f"  {e.method:<{w_method}}  {e.path:<{w_path}}  {e.handler}  "
                             f"[{e.file}:{e.line}] auth={auth} effects={effects}")
        svcs = [s for s in project.services if s.app == app.root]
        for s in svcs:
            settings = f" via {', '.join(s.settings)}" if s.settings else ""
            lines.append(f"  service {s.kind}{' ' + s.name if s.name else ''}{settings}")
        if multi:
            lines.append("")
    if project.findings:
        lines.append(f"{len(project.findings)} finding(s):")
        for f in project.findings:
            where = f"{f.file}:{f.line}" if f.line else f.file
            lines.append(f"  {f.severity:<7} {f.code:<20} {where}  {f.message}")
    st = project.stats
    lines.append(f"{len(project.endpoints)} endpoint(s), {len(project.services)} service(s) in "
                 f"{st.get('files', 0)} file(s), {st.get('seconds', 0):.2f}s")
    return "\n".join(lines) + "\n"


def _serve(args: argparse.Namespace) -> int:
    try:
        from .lsp.server import main as serve_main
    except ImportError as e:  # the editor issue adds the server
        raise UsageError(f"the language server is not available in this build ({e}).") from e
    serve_main()
    return 0


# --- gen compose / env: test environments -------------------------------------------------------

USER_COMPOSE_FILES = ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")


def _scan_root(path: str) -> tuple[Path, Project]:
    from .core.analyze.index import Index
    from .core.analyze.scan import scan

    root = Path(path).resolve()
    if not root.is_dir():
        raise UsageError(f"{path}: no such folder.")
    return root, scan(root, index=Index(cache_dir=default_cache_dir(root)))


def _gen_compose(args: argparse.Namespace) -> int:
    from .core.generate.compose_stack import workspace_stack
    from .core.generate.workspace_compose import plan_compose
    from .core.generate.writer import plan_write, write_generated

    images = dict(_key_value(x, "--image") for x in args.image)
    root, project = _scan_root(args.path)
    stack, extra = workspace_stack(project, root, app_root=args.app) if args.full_stack else (None, [])
    flags = " --full-stack" * args.full_stack + " --merge" * args.merge
    plan = plan_compose(project, root, output=args.output, images=images, stub_http=args.stub_http,
                        regenerate=f"seamline gen compose{flags} {args.path}", force=args.force, stack=stack)
    for note in plan.spec.notes:
        print(f"note: {note}")
    if plan.text is None or plan.result is None:
        print("no backing services that need a container were found; nothing to write.")
        return 0
    if args.merge:
        return _merge_compose(root, plan.spec, args)
    for path, content in extra:  # the generated Dockerfile of full-stack mode
        done = (plan_write if args.dry_run else write_generated)(path, content)
        if not done.written and done.status != "unchanged":
            print(f"kept {done.path.relative_to(root)} ({done.status}); the app image is built from it as it is.")
    result = plan.result
    if not args.dry_run and result.written:
        result = write_generated(result.path, plan.text, force=args.force)
    rel = result.path.relative_to(root)
    if plan.result.redirected_from is not None:
        print(f"{plan.result.redirected_from.relative_to(root)} is not Seamline's; left it alone and used {rel}.")
    if result.status == "kept-edited":
        print(f"kept {rel}: you edited it since Seamline wrote it. Regenerating would change:\n{result.diff}"
              "Use --force to replace it.")
        return 1
    if args.dry_run:
        print(result.diff or f"{rel} is up to date.", end="")
        return 0
    print(f"{result.status} {rel} ({', '.join(plan.spec.document['services'])})")
    if result.written and not args.no_check:
        _compose_config_check(root, result.path)
    return 0


def _find_user_compose(root: Path, given: str | None) -> Path:
    if given:
        if not (root / given).is_file():
            raise UsageError(f"{given}: no such compose file in {root}.")
        return root / given
    for name in USER_COMPOSE_FILES:
        if (root / name).is_file():
            return root / name
    raise UsageError(f"no compose file to merge into in {root} (looked for {', '.join(USER_COMPOSE_FILES)}); "
                     "name one with --merge-from FILE, or run without --merge to write a separate file.")


def _merge_compose(root: Path, spec, args: argparse.Namespace) -> int:  # spec: ComposeSpec
    from .core.generate.compose_merge import merge_compose
    from .core.generate.writer import beside_path, write_generated

    source = _find_user_compose(root, args.merge_from)
    rel = source.relative_to(root).as_posix()
    target = root / args.output
    if target.resolve() == source.resolve():
        raise UsageError(f"--output {args.output} is the file to merge into; Seamline writes a copy, never into it.")
    merged = merge_compose(source.read_text(encoding="utf-8"), spec, source=rel)
    for note in merged.notes:
        print(f"note: {note}")
    if not merged.added:
        print(f"{rel} already has every service the code needs; nothing to merge.")
        return 0
    print(merged.diff, end="")  # the preview comes first, always
    if args.dry_run:
        return 0
    result = write_generated(target, merged.text, force=args.force, beside=beside_path(target))
    out = result.path.relative_to(root)
    if result.status == "kept-edited":
        print(f"kept {out}: you edited it since Seamline wrote it. Use --force to replace it.")
        return 1
    print(f"{result.status} {out}: {rel} plus {', '.join(merged.added)} ({rel} itself is unchanged)")
    return 0


def _env_check(args: argparse.Namespace) -> int:
    """Drift: services the code uses that the environment's compose file(s) lack (exit 1)."""
    import yaml

    from .core.generate.compose_merge import drift
    from .core.generate.workspace_compose import find_compose_files

    root, project = _scan_root(args.path)
    files = list(find_compose_files(root, args.file or ())) or \
        [root / n for n in USER_COMPOSE_FILES if (root / n).is_file()][:1]
    if not files or not all(f.is_file() for f in files):
        raise UsageError(f"no compose file in {root}; run `seamline gen compose` first.")
    services: dict = {}
    for f in files:  # later files override earlier ones, as `docker compose -f a -f b` does
        try:
            doc = yaml.safe_load(f.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as e:
            raise UsageError(f"{f}: cannot read it as a compose file ({str(e).splitlines()[0]}).") from e
        services.update((doc or {}).get("services") or {} if isinstance(doc, dict) else {})
    names = ", ".join(f.relative_to(root).as_posix() for f in files)
    findings = drift(project.services, {"services": services}, compose_file=names)
    if args.format == "json":
        json.dump({"compose_files": names, "findings": [dataclasses.asdict(f) for f in findings]}, sys.stdout,
                  indent=2)
        sys.stdout.write("\n")
    else:
        for f in findings:
            print(f"{f.severity:<7} {f.code:<20} {f.file}:{f.line}  {f.message}")
        print(f"{names}: {'covers every service the code uses' if not findings else f'{len(findings)} missing'}")
    return 1 if findings else 0


def _compose_config_check(root: Path, path: Path) -> None:
    from .env import ComposeCli, ComposeMissing, DockerUnavailable

    try:
        ComposeCli(cwd=root).config([path])
    except (ComposeMissing, DockerUnavailable) as e:
        log.info("skipped `docker compose config -q`: %s", e)


def _key_value(text: str, flag: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key or not value:
        raise UsageError(f"{flag} {text!r}: write KIND=IMAGE, e.g. postgres=postgres:15.")
    return key, value


def _env_spec(args: argparse.Namespace):  # -> seamline.env.EnvSpec (imported lazily: docker is heavy)
    from .env.workspace import workspace_env_spec

    return workspace_env_spec(Path(args.path), files=args.file or (), project=args.project,
                              wait_timeout_s=getattr(args, "timeout", 120))


def _env(args: argparse.Namespace) -> int:
    from .env import EnvError

    try:
        return int(args.env_func(args))
    except EnvError as e:
        print(f"seamline: {e}", file=sys.stderr)
        return 1


def _env_up(args: argparse.Namespace) -> int:
    from .env import ComposeCli, EnvError, down, render_status, up

    spec = _env_spec(args)
    compose = ComposeCli(cwd=spec.workdir)
    try:
        handle = up(spec, compose)
    except EnvError:
        if not args.keep_on_failure:  # the error already quotes the logs; leave nothing behind
            down(spec, compose)
        raise
    sys.stdout.write(render_status(handle.status))
    if handle.env_file is not None:
        print(f"wrote {handle.env_file.path.relative_to(spec.workdir)} ({len(handle.env)} variables)")
    return 0


def _env_status(args: argparse.Namespace) -> int:
    from .env import DockerUnavailable, render_status, status

    spec = _env_spec(args)
    if args.watch:
        return _env_watch(spec.project, args)
    try:
        st = status(spec.project)
    except DockerUnavailable as e:
        if args.format == "json":
            json.dump({"project": spec.project, "engine": False, "error": str(e), "services": []}, sys.stdout)
            sys.stdout.write("\n")
            return 1
        raise
    if args.format == "json":
        json.dump(st.to_json(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(render_status(st))
    return 0 if st.healthy else 1


def _env_watch(project: str, args: argparse.Namespace) -> int:
    """Stream changes, one line each (JSON lines with --format json), until --timeout/--count or Ctrl-C."""
    from .env import DockerUnavailable, Watch, render_change

    try:
        with Watch(project, timeout_s=args.timeout, count=args.count) as watch:
            for change in watch:
                line = json.dumps(change.to_json()) if args.format == "json" else render_change(change)
                print(line, flush=True)
    except DockerUnavailable as e:
        if args.format != "json":
            raise
        print(json.dumps({"project": project, "engine": False, "error": str(e)}), flush=True)
        return 1
    except KeyboardInterrupt:  # the normal way to end an open-ended watch
        return 0
    return 0


def _env_down(args: argparse.Namespace) -> int:
    from .env import ComposeCli, down, leftovers
    from .env.engine import connect

    spec = _env_spec(args)
    down(spec, ComposeCli(cwd=spec.workdir))
    left = leftovers(spec.project, client=connect())
    if left:
        print(f"still present after down: {', '.join(left)}. Run `seamline env prune`.")
        return 1
    print(f"{spec.project}: removed (containers, networks, volumes)")
    return 0


def _env_logs(args: argparse.Namespace) -> int:
    from .env import ComposeCli

    spec = _env_spec(args)
    sys.stdout.write(ComposeCli(cwd=spec.workdir).logs(spec.project, spec.files, services=args.service,
                                                        tail=args.tail))
    return 0


def _env_prune(args: argparse.Namespace) -> int:
    from .core.generate.compose import project_name
    from .env import prune
    from .env.engine import connect

    project = None if args.all else args.project or project_name(Path(args.path).resolve())
    removed = prune(client=connect(), project=project, images=args.images)
    print("\n".join(f"removed {r}" for r in removed) or "nothing to remove")
    return 0


def _add_env_parsers(sub: argparse._SubParsersAction) -> None:
    g = sub.add_parser("gen", help="generate files from the analysis")
    gen = g.add_subparsers(dest="what", required=True)
    gc = gen.add_parser("compose", help="write a docker compose test environment for the services the code uses")
    gc.add_argument("path", nargs="?", default=".")
    gc.add_argument("--output", default=COMPOSE_FILES[0], help="compose file to write, relative to PATH")
    gc.add_argument("--image", action="append", default=[], metavar="KIND=IMAGE",
                    help="image for a kind of service, e.g. postgres=postgres:15 (repeatable)")
    gc.add_argument("--stub-http", action="store_true", help="add a stub server for each outside HTTP API")
    gc.add_argument("--force", action="store_true", help="replace a generated file even if you edited it")
    gc.add_argument("--dry-run", action="store_true", help="print the diff and write nothing")
    gc.add_argument("--no-check", action="store_true", help="skip `docker compose config -q`")
    gc.add_argument("--merge", action="store_true",
                    help="write a copy of your compose file with the missing services added (diff shown first)")
    gc.add_argument("--merge-from", metavar="FILE", help="your compose file to merge into (default: compose.yaml, "
                    "docker-compose.yml ...)")
    gc.add_argument("--full-stack", action="store_true",
                    help="also run the app (and its Celery worker) as services, built from its Dockerfile")
    gc.add_argument("--app", metavar="ROOT", help="with --full-stack: which app folder (default: the first)")
    gc.set_defaults(func=_gen_compose)

    e = sub.add_parser("env", help="start, inspect and remove the test environment")
    env = e.add_subparsers(dest="action", required=True)
    actions = {
        "up": (_env_up, "start the services and wait until they are healthy; writes .seamline/env"),
        "status": (_env_status, "state, health, ports and uptime of each service"),
        "down": (_env_down, "stop and remove containers, networks and volumes"),
        "logs": (_env_logs, "the services' recent logs"),
        "prune": (_env_prune, "remove everything Seamline left behind (by label)"),
        "check": (_env_check, "report services the code uses that the compose file lacks (exit 1 if any)"),
    }
    for name, (func, help_text) in actions.items():
        a = env.add_parser(name, help=help_text)
        a.add_argument("path", nargs="?", default=".")
        a.add_argument("-f", "--file", action="append", help="compose file(s), relative to PATH")
        a.add_argument("-p", "--project", help="compose project name (default: seamline-<hash of PATH>)")
        a.set_defaults(func=_env, env_func=func)
    env.choices["up"].add_argument("--timeout", type=int, default=120, help="seconds to wait for health")
    env.choices["up"].add_argument("--keep-on-failure", action="store_true",
                                   help="leave the containers for inspection when a service never gets healthy")
    env.choices["status"].add_argument("--format", choices=("table", "json"), default="table")
    env.choices["status"].add_argument("--watch", action="store_true",
                                       help="stream state/health changes (JSON lines with --format json)")
    env.choices["status"].add_argument("--timeout", type=float, help="with --watch: stop after this many seconds")
    env.choices["status"].add_argument("--count", type=int, help="with --watch: stop after this many changes")
    env.choices["check"].add_argument("--format", choices=("table", "json"), default="table")
    env.choices["logs"].add_argument("service", nargs="*")
    env.choices["logs"].add_argument("--tail", type=int, default=200)
    env.choices["prune"].add_argument("--all", action="store_true", help="every Seamline project, not just PATH's")
    env.choices["prune"].add_argument("--images", action="store_true", help="also the app images --full-stack built")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="seamline", description=__doc__.splitlines()[0])
    p.add_argument("-v", "--verbose", action="store_true", help="log debug output to stderr")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("scan", help="analyse a project statically and list its endpoints and services")
    s.add_argument("path", nargs="?", default=".")
    s.add_argument("--format", choices=("table", "json"), default="table")
    s.add_argument("--cache-dir", help="where to keep the per-file analysis cache")
    s.add_argument("--no-cache", action="store_true", help="analyse every file afresh")
    s.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    s.set_defaults(func=_scan)

    v = sub.add_parser("serve", help="run the language server on stdio")
    v.add_argument("--stdio", action="store_true", help="talk LSP over stdin/stdout (the default; editor "
                                                           "clients pass it)")
    v.set_defaults(func=_serve)

    _add_env_parsers(sub)
    _add_test_parsers(sub)
    return p


# --- gen tests / run: generated integration tests (seamline/testrun/commands.py) ------------------

def _add_test_parsers(sub: argparse._SubParsersAction) -> None:
    from .testrun.commands import add_parsers

    gen = next(a for a in sub.choices["gen"]._actions if isinstance(a, argparse._SubParsersAction))
    add_parsers(sub, gen)




def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # argparse exits 2 on usage errors already
        return int(e.code or 0)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING, stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return int(args.func(args))
    except SeamlineError as e:
        print(f"seamline: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
