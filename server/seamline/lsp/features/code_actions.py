"""Code actions. On an endpoint (a route decorator, the handler's def line or anywhere in its body;
a DRF ViewSet method; a urlconf entry): generate its test, regenerate it when it is out of date (a
quick fix for the stale-test diagnostic, whose edit needs confirmation so the diff is shown first),
generate tests for the whole file, open its tests. On any file of the project: create or update the
compose test environment. Each action carries its WorkspaceEdit; clients that resolve edits lazily
get it from codeAction/resolve, so listing actions stays a memory lookup."""

from __future__ import annotations

import logging
from typing import Any

from lsprotocol import types

from ...core.model import Endpoint
from .. import convert
from ..edits import can_create_files, workspace_edit
from ..server import SeamlineServer
from ..state import Snapshot
from .diagnostics import STALE_CODE, regenerate_title
from .generate import keys_in_file, plan_compose, regenerate_edit, test_generator, tests_edit

log = logging.getLogger(__name__)

KINDS = [types.CodeActionKind.QuickFix, types.CodeActionKind.Refactor, types.CodeActionKind.Source]


def endpoints_at(snapshot: Snapshot, rel: str, line: int) -> list[Endpoint]:
    """Endpoints whose decorator, def line or body holds 1-based `line` of file `rel`, or whose
    route is declared on that line of another file (a urlconf entry, `router.register`, ...)."""
    found: list[Endpoint] = []
    for e in snapshot.by_file.get(rel, ()):
        inside = e.span is not None and e.span.line <= line <= e.span.end_line
        if inside or line == e.line or (e.route_file is None and line in e.decorator_lines):
            found.append(e)
    found += [e for e in snapshot.project.endpoints if e.route_file == rel and line in e.decorator_lines]
    return list(dict.fromkeys(found))


def _action(title: str, kind: str, data: dict[str, Any]) -> types.CodeAction:
    return types.CodeAction(title=title, kind=kind, data=data)


def list_actions(ls: SeamlineServer, snapshot: Snapshot, uri: str, line: int,
                 diagnostics: list[types.Diagnostic] | None = None) -> list[types.CodeAction]:
    rel = convert.rel_path(snapshot.root, uri)
    if rel is None:
        return []
    actions: list[types.CodeAction] = []
    here = endpoints_at(snapshot, rel, line)
    can_generate = test_generator() is not None
    for e in dict.fromkeys(here):
        if can_generate and snapshot.stale.get(e.key):
            fixes = [d for d in diagnostics or () if d.code == STALE_CODE and isinstance(d.data, dict)
                     and d.data.get("key") == e.key]
            actions.append(types.CodeAction(title=regenerate_title(e.key), kind=types.CodeActionKind.QuickFix,
                                            diagnostics=fixes or None, is_preferred=True,
                                            data={"action": "regenerate", "keys": [e.key], "uri": uri}))
        elif can_generate:
            actions.append(_action(f"Generate integration test for {e.key}", types.CodeActionKind.Refactor,
                                   {"action": "tests", "keys": [e.key], "uri": uri}))
        if snapshot.tests.get(e.key):
            actions.append(types.CodeAction(title=f"Open tests for this endpoint ({e.key})",
                                            kind=types.CodeActionKind.Refactor,
                                            command=types.Command(title="Open tests", command="seamline.openTests",
                                                                  arguments=[e.key])))
    if here and can_generate and snapshot.by_file.get(rel):
        actions.append(_action("Generate tests for all endpoints in this file", types.CodeActionKind.Source,
                               {"action": "file", "uri": uri}))
    compose = snapshot.compose
    creatable = compose is not None and compose.result is not None and (
        compose.result.status == "updated" or (compose.result.status == "created" and can_create_files(ls)))
    if creatable and compose is not None and compose.result is not None:
        title = "Create compose test environment" if compose.result.status == "created" \
            else "Update compose test environment"
        actions.append(_action(title, types.CodeActionKind.Source, {"action": "compose"}))
    return actions


async def resolve(ls: SeamlineServer, action: types.CodeAction) -> types.CodeAction:
    data = action.data if isinstance(action.data, dict) else {}
    snapshot = ls.snapshot
    if snapshot is None or "action" not in data:
        return action
    if data["action"] == "compose":
        planned = workspace_edit(ls, snapshot.root, plan_compose(snapshot))
    elif data["action"] == "tests":
        planned = await tests_edit(ls, snapshot, list(data.get("keys") or ()))
    elif data["action"] == "regenerate":
        key = str((data.get("keys") or [""])[0])
        planned = await regenerate_edit(ls, snapshot, key, confirm=regenerate_title(key))
    elif data["action"] == "file":
        planned = await tests_edit(ls, snapshot, keys_in_file(ls, snapshot, data["uri"]))
    else:
        return action
    if planned.edit is None:
        action.disabled = types.CodeActionDisabled(reason=" ".join(planned.skipped) or "Already up to date.")
    action.edit = planned.edit
    return action


_COMMANDS = {"tests": "seamline.generateTestsForEndpoint", "regenerate": "seamline.generateTestsForEndpoint",
             "file": "seamline.generateTestsForFile", "compose": "seamline.createComposeEnv"}


def as_command(action: types.CodeAction) -> types.Command:
    if action.command is not None:
        return action.command
    data = action.data if isinstance(action.data, dict) else {}
    name = _COMMANDS[data["action"]]
    endpoint_args = [data.get("uri"), *(data.get("keys") or [])[:1]]
    args = {"tests": endpoint_args, "regenerate": endpoint_args, "file": [data.get("uri")]}.get(data["action"], [])
    return types.Command(title=action.title, command=name, arguments=args)


def _lazy_edits(ls: SeamlineServer) -> bool:
    props = getattr(getattr(getattr(ls.client_capabilities.text_document, "code_action", None), "resolve_support",
                            None), "properties", None)
    return "edit" in (props or ())


def register(server: SeamlineServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION,
                    types.CodeActionOptions(code_action_kinds=KINDS, resolve_provider=True))
    async def code_action(ls: SeamlineServer, params: types.CodeActionParams) -> list[types.CodeAction] | None:
        snapshot = ls.snapshot
        if snapshot is None:
            return None
        doc = ls.workspace.get_text_document(params.text_document.uri)
        line, _ = convert.model_position(doc, params.range.start)
        actions = list_actions(ls, snapshot, params.text_document.uri, line, params.context.diagnostics)
        if params.context.only:
            actions = [a for a in actions if any((a.kind or "").startswith(k) for k in params.context.only)]
        if not ls.client_supports("text_document.code_action.code_action_literal_support"):
            return [as_command(a) for a in actions] or None  # an old client: commands compute the edit
        if not _lazy_edits(ls):  # this client wants the edit now
            actions = [await resolve(ls, a) if a.data else a for a in actions]
        return actions or None

    @server.feature(types.CODE_ACTION_RESOLVE)
    async def code_action_resolve(ls: SeamlineServer, action: types.CodeAction) -> types.CodeAction:
        return await resolve(ls, action)
