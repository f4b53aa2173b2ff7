"""Code lenses on handlers, when `seamline.codeLens.enabled` is on (off by default: the untested
and failing-test diagnostics already mark handlers, and a lens on every handler is a lot of ink).

A tested endpoint: "3 integration tests · passed 5 min ago" (opens its tests) and "Run" (runs them;
only in a trusted workspace), plus "Regenerate" when its generated test is out of date. An untested
one: "no integration tests" and "Generate". Everything comes from memory (the Snapshot and the last
test results); the client is asked to refresh its lenses when those change."""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException

from ...core.model import Endpoint
from .. import convert
from ..server import SeamlineServer
from ..state import Snapshot
from .generate import test_generator

log = logging.getLogger(__name__)


def ago(then: datetime, now: datetime) -> str:
    seconds = max(int((now - then).total_seconds()), 0)
    if seconds < 60:
        return "just now"
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if seconds >= size:
            return f"{seconds // size} {unit} ago"
    return "just now"


def summary(snapshot: Snapshot, key: str, results: list[dict[str, Any]] | None, ran_at: datetime | None,
            now: datetime) -> str:
    """"3 integration tests · passed 5 min ago" | "… · 2 of 7 failed just now" | "… · not run yet"."""
    count = snapshot.test_counts.get(key, 0)
    tests = f"{count} integration test{'' if count == 1 else 's'}" if count else "integration tests"
    if snapshot.stale.get(key):
        state = "out of date"
    elif not results:
        state = "not run yet"
    else:
        failed = sum(r["outcome"] in ("failed", "error") for r in results)
        when = ago(ran_at, now) if ran_at else "in the last run"
        state = f"{failed} of {len(results)} failed {when}" if failed else f"passed {when}"
    return f"{tests} · {state}"


def _command(title: str, name: str = "", arguments: list[Any] | None = None) -> types.Command:
    return types.Command(title=title, command=name, arguments=arguments)  # "" : shown as text, not clickable


def endpoint_lenses(ls: SeamlineServer, snapshot: Snapshot, e: Endpoint, where: types.Range, *, prefix: str,
                    now: datetime) -> list[types.CodeLens]:
    uri = convert.uri_for(snapshot.root, e.file)
    lenses: list[types.CodeLens] = []

    def add(command: types.Command) -> None:
        lenses.append(types.CodeLens(range=where, command=command))

    if snapshot.tests.get(e.key):
        add(_command(prefix + summary(snapshot, e.key, ls.test_results.get(e.key), ls.tests_ran_at.get(e.key), now),
                     "seamline.openTests", [e.key]))
        if ls.trusted:
            add(_command("Run", "seamline.runTests", [e.key]))
        if snapshot.stale.get(e.key) and test_generator() is not None:
            add(_command("Regenerate", "seamline.generateTestsForEndpoint", [uri, e.key]))
    else:
        add(_command(prefix + "no integration tests"))
        if test_generator() is not None:
            add(_command("Generate", "seamline.generateTestsForEndpoint", [uri, e.key]))
    return lenses


def lenses_for(ls: SeamlineServer, snapshot: Snapshot, uri: str, now: datetime | None = None) -> list[types.CodeLens]:
    rel = convert.rel_path(snapshot.root, uri)
    endpoints = snapshot.by_file.get(rel or "", ())
    if not endpoints:
        return []
    doc = ls.workspace.get_text_document(uri)
    now = now or datetime.now(timezone.utc)
    per_line: dict[int, int] = {}
    for e in endpoints:
        line = e.span.line if e.span else e.line
        per_line[line] = per_line.get(line, 0) + 1
    out: list[types.CodeLens] = []
    for e in endpoints:
        shared = per_line[e.span.line if e.span else e.line] > 1  # one view serving several methods
        out += endpoint_lenses(ls, snapshot, e, convert.def_line_range(doc, e), now=now,
                               prefix=f"{e.method}: " if shared else "")
    return out


def register(server: SeamlineServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_CODE_LENS, types.CodeLensOptions(resolve_provider=False))
    async def code_lens(ls: SeamlineServer, params: types.CodeLensParams) -> list[types.CodeLens] | None:
        if not ls.settings.code_lens.enabled or ls.snapshot is None:
            return None
        return lenses_for(ls, ls.snapshot, params.text_document.uri) or None

    async def refresh(ls: SeamlineServer) -> None:
        try:
            await ls.workspace_code_lens_refresh_async(None)
        except JsonRpcException as e:
            log.info("the client did not refresh its code lenses (%s)", e)

    async def changed(ls: SeamlineServer, *args: Any) -> None:
        relevant = ls.settings.code_lens.enabled or (len(args) == 2 and args[0].code_lens != args[1].code_lens)
        if relevant and ls.client_supports("workspace.code_lens.refresh_support"):
            ls.run_task(refresh(ls), "code lens refresh")  # the client asks for lenses again; do not wait here

    for event in ("indexed", "tests_ran", "config_changed", "trust_changed"):
        server.dispatcher.on(event, changed)
