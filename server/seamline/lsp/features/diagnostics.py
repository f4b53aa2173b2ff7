"""Diagnostics (source "seamline"), pushed per file after each index, settings change and test run:
scan findings at their lines; untested endpoints (Information, `seamline.diagnostics.untestedEndpoints`);
services the code uses that the compose test environment lacks (Warning, where the code shows the
service); generated tests out of date with their endpoint (Warning, at the handler, pointing at the
test's marker); failing tests (Error, at the handler, with related information pointing at the test)."""

from __future__ import annotations

import logging
from collections import defaultdict
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.uris import to_fs_path

from .. import convert
from ..server import SeamlineServer
from ..state import Snapshot, StaleTest

STALE_CODE = "stale-test"


def regenerate_title(key: str) -> str:
    return f"Regenerate test for {key}"

log = logging.getLogger(__name__)


def collect(ls: SeamlineServer, snapshot: Snapshot) -> dict[str, list[types.Diagnostic]]:
    root = snapshot.root
    out: dict[str, list[types.Diagnostic]] = defaultdict(list)

    def doc(rel: str) -> Any:
        return ls.workspace.get_text_document(convert.uri_for(root, rel))

    for f in snapshot.project.findings:
        if f.file and (root / f.file).is_file():
            out[f.file].append(convert.finding_diagnostic(doc(f.file), f))
    if ls.settings.diagnostics.untested_endpoints:
        for e in snapshot.project.endpoints:
            if not snapshot.tests.get(e.key) and e.key not in ls.test_results and not snapshot.stale.get(e.key):
                out[e.file].append(types.Diagnostic(
                    range=convert.def_line_range(doc(e.file), e), severity=types.DiagnosticSeverity.Information,
                    source=convert.SOURCE, code="untested-endpoint",
                    message=f"{e.key} has no integration test. Use the code action \"Generate integration test "
                            f"for {e.key}\"."))
    for f in snapshot.drift:
        if not f.file or not (root / f.file).is_file():
            continue
        out[f.file].append(types.Diagnostic(
            range=convert.line_range(doc(f.file), f.line or 1), severity=types.DiagnosticSeverity.Warning,
            source=convert.SOURCE, code="service-missing-from-env", message=f.message))
    for e in snapshot.project.endpoints:
        if snapshot.stale.get(e.key):
            out[e.file].append(_stale(doc(e.file), e.key, convert.def_line_range(doc(e.file), e),
                                      snapshot.stale[e.key], doc, root))
    for e in snapshot.project.endpoints:
        failed = [r for r in ls.test_results.get(e.key, ()) if r["outcome"] in ("failed", "error")]
        if failed:
            out[e.file].append(_failing(doc(e.file), e.key, convert.def_line_range(doc(e.file), e), failed, ls))
    return out


def _stale(document: Any, key: str, where: types.Range, stale: tuple[StaleTest, ...], doc: Any,
           root: Path) -> types.Diagnostic:
    related = [types.DiagnosticRelatedInformation(
        location=types.Location(uri=convert.uri_for(root, s.file), range=convert.line_range(doc(s.file), s.line)),
        message=f"generated for {s.recorded}" + (" (the path changed)" if s.path_changed else
                                                 " (its parameters, body, status or auth changed)"))
        for s in stale]
    files = ", ".join(dict.fromkeys(s.file for s in stale))
    moved = [s.recorded for s in stale if s.path_changed]
    change = f"its path changed (the tests call {moved[0]})" if moved else "its signature changed"
    return types.Diagnostic(
        range=where, severity=types.DiagnosticSeverity.Warning, source=convert.SOURCE, code=STALE_CODE,
        related_information=related, data={"key": key},
        message=f"The generated test for {key} is out of date: {change} since {files} was generated. Use the "
                f"code action \"{regenerate_title(key)}\".")


def _failing(document: Any, key: str, where: types.Range, failed: list[dict[str, Any]],
             ls: SeamlineServer) -> types.Diagnostic:
    related = []
    for r in failed:
        test_doc = ls.workspace.get_text_document(r["file"])
        if to_fs_path(r["file"]) and Path(to_fs_path(r["file"]) or "").is_file():
            related.append(types.DiagnosticRelatedInformation(
                location=types.Location(uri=r["file"], range=convert.line_range(test_doc, r["line"] or 1)),
                message=f"{r['test']}: {r['outcome']}{' — ' + r['message'] if r.get('message') else ''}"))
    return types.Diagnostic(range=where, severity=types.DiagnosticSeverity.Error, source=convert.SOURCE,
                            code="failing-test", related_information=related or None,
                            message=f"{len(failed)} integration test(s) for {key} failed: "
                                    + ", ".join(r["test"].rsplit("::", 1)[-1] for r in failed))


def register(server: SeamlineServer) -> None:
    published: dict[str, list[types.Diagnostic]] = {}

    async def publish(ls: SeamlineServer, *_: Any) -> None:
        snapshot = ls.snapshot
        if snapshot is None:
            return
        by_file = collect(ls, snapshot)
        uris = {convert.uri_for(snapshot.root, rel): diags for rel, diags in by_file.items()}
        for uri in published.keys() - uris.keys():  # cleared: the problem is gone
            ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))
        for uri, diags in uris.items():
            if published.get(uri) != diags:
                ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=diags))
        published.clear()
        published.update(uris)

    for event in ("indexed", "config_changed", "tests_ran"):
        server.dispatcher.on(event, publish)
