"""Generating files: integration tests (for an endpoint, a file or the project) and the compose
test environment. Commands apply their WorkspaceEdit with workspace/applyEdit; code actions carry
the same edit (see code_actions.py). Test generation lives in `seamline.core.generate.tests`,
imported lazily: a build without it simply offers no test actions."""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import Callable
from typing import Any

from lsprotocol import types

from ...core.errors import SeamlineError
from ...core.generate.writer import WriteResult, plan_write
from .. import convert
from ..edits import PlannedEdit, workspace_edit
from ..progress import progress
from ..regenerate import regenerate_in_edited
from ..server import SeamlineServer, command
from ..state import Snapshot
from .diagnostics import regenerate_title

log = logging.getLogger(__name__)


def test_generator() -> Callable[..., Any] | None:
    try:
        module = importlib.import_module("seamline.core.generate.tests")
    except ImportError as e:
        log.debug("test generation is not available: %s", e)
        return None
    return getattr(module, "generate_tests", None)


def plan_tests(ls: SeamlineServer, snapshot: Snapshot, keys: list[str] | None) -> list[tuple[WriteResult, str]]:
    """Runs in a worker thread: generation reads the project model only."""
    generate = test_generator()
    if generate is None:
        raise SeamlineError("test generation is not available in this build of Seamline.")
    files = generate(snapshot.project, root=snapshot.root, endpoints=keys, output=ls.settings.tests_output)
    return [(plan_write(snapshot.root / f.path, f.content), f.content) for f in files]


def plan_regenerate(ls: SeamlineServer, snapshot: Snapshot, key: str) -> list[tuple[WriteResult, str]]:
    """Like `plan_tests` for one endpoint, except that a test file the user edited, which the writer
    keeps as it is, gets that endpoint's tests regenerated in place (`regenerate_in_edited`)."""
    out: list[tuple[WriteResult, str]] = []
    for result, content in plan_tests(ls, snapshot, [key]):
        if result.status == "kept-edited" and result.path.is_file():
            existing = result.path.read_text(encoding="utf-8")
            merged = regenerate_in_edited(existing, content, key, snapshot.project.endpoints)
            if merged is not None:
                status = "unchanged" if merged == existing else "merged"
                out.append((WriteResult(path=result.path, status=status), merged))
                continue
        out.append((result, content))
    return out


async def regenerate_edit(ls: SeamlineServer, snapshot: Snapshot, key: str, *, confirm: str | None) -> PlannedEdit:
    planned = await asyncio.to_thread(plan_regenerate, ls, snapshot, key)
    return workspace_edit(ls, snapshot.root, planned, confirm=confirm)


def plan_compose(snapshot: Snapshot) -> list[tuple[WriteResult, str]]:
    plan = snapshot.compose
    if plan is None or plan.text is None or plan.result is None:
        return []
    return [(plan.result, plan.text)]


async def tests_edit(ls: SeamlineServer, snapshot: Snapshot, keys: list[str] | None, *,
                     confirm: str | None = None) -> PlannedEdit:
    planned = await asyncio.to_thread(plan_tests, ls, snapshot, keys)
    return workspace_edit(ls, snapshot.root, planned, confirm=confirm)


def keys_in_file(ls: SeamlineServer, snapshot: Snapshot, uri: str) -> list[str]:
    rel = convert.rel_path(snapshot.root, uri)
    keys = [e.key for e in snapshot.by_file.get(rel or "", ())]
    if not keys:
        raise SeamlineError(f"no endpoints were found in {rel or uri}.")
    return keys


async def apply(ls: SeamlineServer, planned: PlannedEdit, label: str) -> dict[str, Any]:
    if planned.edit is None:
        message = " ".join(planned.skipped) or "Everything is up to date; nothing to change."
        return {"applied": False, "files": [], "message": message}
    result = await ls.workspace_apply_edit_async(types.ApplyWorkspaceEditParams(edit=planned.edit, label=label))
    if not result.applied:
        raise SeamlineError(f"the editor did not apply the edit ({result.failure_reason or 'no reason given'}).")
    return {"applied": True, "files": list(planned.files), "message": " ".join(planned.skipped) or None}


def register(server: SeamlineServer) -> None:
    @command(server, "seamline.generateTestsForEndpoint")
    async def for_endpoint(ls: SeamlineServer, uri: str, endpoint_key: str) -> dict[str, Any]:
        snapshot = await ls.wait_indexed()
        if endpoint_key not in snapshot.tests:
            raise SeamlineError(f"no endpoint {endpoint_key!r} in this workspace (see seamline.listEndpoints).")
        if snapshot.stale.get(endpoint_key):  # out of date: regenerate its tests, in edited files too
            planned = await regenerate_edit(ls, snapshot, endpoint_key, confirm=regenerate_title(endpoint_key))
        else:
            planned = await tests_edit(ls, snapshot, [endpoint_key])
        return await apply(ls, planned, f"Seamline: tests for {endpoint_key}")

    @command(server, "seamline.generateTestsForFile")
    async def for_file(ls: SeamlineServer, uri: str) -> dict[str, Any]:
        snapshot = await ls.wait_indexed()
        keys = keys_in_file(ls, snapshot, uri)
        return await apply(ls, await tests_edit(ls, snapshot, keys), "Seamline: tests for a file")

    @command(server, "seamline.generateTestsForProject")
    async def for_project(ls: SeamlineServer, *args: Any) -> dict[str, Any]:
        snapshot = await ls.wait_indexed()
        async with progress(ls, "Seamline: generating tests", cancellable=True) as report:
            report(f"{len(snapshot.project.endpoints)} endpoints")
            planned = await tests_edit(ls, snapshot, None)
        return await apply(ls, planned, "Seamline: tests for the project")

    @command(server, "seamline.createComposeEnv")
    async def create_compose(ls: SeamlineServer, *args: Any) -> dict[str, Any]:
        snapshot = await ls.wait_indexed()
        if snapshot.compose is None:
            return {"applied": False, "files": [], "message": "The code uses no service that needs a container."}
        return await apply(ls, workspace_edit(ls, snapshot.root, plan_compose(snapshot)),
                           "Seamline: compose test environment")

    @command(server, "seamline.openTests")
    async def open_tests(ls: SeamlineServer, endpoint_key: str) -> bool:
        snapshot = await ls.wait_indexed()
        files = snapshot.tests.get(endpoint_key) or ()
        if not files:
            raise SeamlineError(f"no test mentions {endpoint_key} yet; generate one first.")
        uri = convert.uri_for(snapshot.root, files[0])
        doc = ls.workspace.get_text_document(uri)
        line = next((n for n, text in enumerate(doc.lines, 1) if endpoint_key in text), 1)
        shown = await ls.window_show_document_async(types.ShowDocumentParams(
            uri=uri, take_focus=True, selection=convert.line_range(doc, line)))
        return bool(shown.success)
