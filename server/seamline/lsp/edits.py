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


def can_annotate(ls: SeamlineServer) -> bool:
    """The client shows edits that need confirmation in a preview first (VS Code's refactor preview)."""
    return ls.client_supports("workspace.workspace_edit.change_annotation_support") and \
        ls.client_supports("workspace.workspace_edit.document_changes")


def workspace_edit(ls: SeamlineServer, root: Path, planned: Iterable[tuple[WriteResult, str]], *,
                   confirm: str | None = None) -> PlannedEdit:
    """`confirm`: a label; where the client supports it, every change carries a change annotation
    that needs confirmation, so the user reviews the diff before anything changes."""
    annotation = "seamline-review" if confirm and can_annotate(ls) else None
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
        text = content if result.status == "merged" else stamp(content)  # a merge keeps the file's own hash
        if result.status == "created":
            if not creates:
                skipped.append(f"{rel}: this editor cannot create files through an edit.")
                continue
            start = types.Position(line=0, character=0)
            document_changes.append(types.CreateFile(uri=uri, options=types.CreateFileOptions(ignore_if_exists=True),
                                                     annotation_id=annotation))
            document_changes.append(types.TextDocumentEdit(
                text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=None),
                edits=[_text_edit(types.Range(start=start, end=start), text, annotation)]))
        else:
            doc = ls.workspace.get_text_document(uri)
            whole = convert.whole_document_range(doc)
            document_changes.append(types.TextDocumentEdit(
                text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=doc.version),
                edits=[_text_edit(whole, text, annotation)]))
            changes[uri] = [types.TextEdit(range=whole, new_text=text)]
        files.append(rel)
    for note in skipped:
        log.info("%s", note)
    if not files:
        return PlannedEdit(edit=None, skipped=tuple(skipped))
    if creates:
        annotations = {annotation: types.ChangeAnnotation(label=confirm or "", needs_confirmation=True,
                                                          description="Seamline: review the regenerated files")} \
            if annotation else None
        edit = types.WorkspaceEdit(document_changes=document_changes, change_annotations=annotations)
    else:
        edit = types.WorkspaceEdit(changes=changes)
    return PlannedEdit(edit=edit, files=tuple(files), skipped=tuple(skipped))


def _text_edit(where: types.Range, text: str, annotation: str | None) -> types.TextEdit:
    if annotation is None:
        return types.TextEdit(range=where, new_text=text)
    return types.AnnotatedTextEdit(range=where, new_text=text, annotation_id=annotation)
