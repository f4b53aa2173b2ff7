"""Generated files as a WorkspaceEdit (CreateFile + TextEdits, or TextEdits for files that exist),
so the user sees VS Code's preview and gets its undo: the server never writes them itself. Whether
a file may change at all is the writer's decision (`plan_write`): a generated file the user
edited, or a file that is not Seamline's, is left alone."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from lsprotocol import types

from ..core.generate.writer import WriteResult, stamp
from . import convert
from .server import SeamlineServer

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class PlannedEdit:
    edit: types.WorkspaceEdit | None  # None: nothing to change
    files: tuple[str, ...] = ()  # relative paths the edit creates or updates
    skipped: tuple[str, ...] = ()  # why some files are left alone, one sentence each


def can_create_files(ls: SeamlineServer) -> bool:
    ops = getattr(getattr(ls.client_capabilities.workspace, "workspace_edit", None), "resource_operations", None)
    return bool(ls.client_supports("workspace.workspace_edit.document_changes")) and \
        types.ResourceOperationKind.Create in (ops or ())


def workspace_edit(ls: SeamlineServer, root: Path, planned: Iterable[tuple[WriteResult, str]]) -> PlannedEdit:
    document_changes: list = []
    changes: dict[str, list[types.TextEdit]] = {}
    files: list[str] = []
    skipped: list[str] = []
    creates = can_create_files(ls)
    for result, content in planned:
        rel = result.path.relative_to(root).as_posix()
        if result.status == "unchanged":
            continue
        if result.status == "kept-edited":
            skipped.append(f"{rel} was edited since Seamline generated it; left as it is.")
            continue
        if result.status == "kept-foreign":
            skipped.append(f"{rel} was not written by Seamline; left as it is.")
            continue
        uri = convert.uri_for(root, rel)
        text = stamp(content)
        if result.status == "created":
            if not creates:
                skipped.append(f"{rel}: this editor cannot create files through an edit.")
                continue
            start = types.Position(line=0, character=0)
            document_changes.append(types.CreateFile(uri=uri, options=types.CreateFileOptions(ignore_if_exists=True)))
            document_changes.append(types.TextDocumentEdit(
                text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=None),
                edits=[types.TextEdit(range=types.Range(start=start, end=start), new_text=text)]))
        else:
            doc = ls.workspace.get_text_document(uri)
            edit = types.TextEdit(range=convert.whole_document_range(doc), new_text=text)
            document_changes.append(types.TextDocumentEdit(
                text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=doc.version),
                edits=[edit]))
            changes[uri] = [edit]
        files.append(rel)
    for note in skipped:
        log.info("%s", note)
    if not files:
        return PlannedEdit(edit=None, skipped=tuple(skipped))
    edit = types.WorkspaceEdit(document_changes=document_changes) if creates else types.WorkspaceEdit(changes=changes)
    return PlannedEdit(edit=edit, files=tuple(files), skipped=tuple(skipped))
