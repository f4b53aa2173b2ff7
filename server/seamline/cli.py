"""Command-line front door: `seamline scan | serve | ...` over the same core as the editor.

Exit codes: 0 ok, 1 findings (or failed tests), 2 usage or input error (one-line message).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import sys
from pathlib import Path

from .core.errors import SeamlineError, UsageError
from .core.model import Project

log = logging.getLogger("seamline")


def default_cache_dir(root: Path) -> Path:
    """Per-workspace cache outside the user's tree, so a scan never writes into the project."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    digest = hashlib.sha1(str(root.resolve()).encode()).hexdigest()[:16]
    return base / "seamline" / digest


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
    v.set_defaults(func=_serve)
    return p




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
