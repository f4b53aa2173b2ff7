"""Keeps the Snapshot current: a full index after `initialized` (with progress), then re-indexing
after edits (unsaved buffers are analysed from their text through the Index overlay), saves,
closes and file-system changes, debounced per document."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.uris import to_fs_path

from ...core.analyze.index import Index, default_cache_dir
from ..server import SeamlineServer
from ..settings import Settings

log = logging.getLogger(__name__)

WATCHED = ("**/*.py", "**/*.{toml,txt,cfg,ini,yaml,yml,env}", "**/.env*")


def workspace_root(ls: SeamlineServer) -> Path | None:
    folders = list(ls.workspace.folders.values())
    path = to_fs_path(folders[0].uri) if folders else ls.workspace.root_path
    if len(folders) > 1:
        log.warning("Seamline analyses the first workspace folder (%s); %d other(s) are ignored", path,
                    len(folders) - 1)
    return Path(path).resolve() if path else None


def python_file(ls: SeamlineServer, uri: str) -> Path | None:
    path = to_fs_path(uri)
    if ls.root is None or path is None or not path.endswith(".py"):
        return None
    resolved = Path(path).resolve()
    return resolved if resolved.is_relative_to(ls.root) else None


def schedule(ls: SeamlineServer, key: str, path: Path | None = None) -> None:
    """Re-index soon; `path` is the one file that changed, or None when anything may have."""
    ls.note_changed(path)
    ls.debounce(key, ls.reindex)


def register(server: SeamlineServer) -> None:
    async def on_initialized(ls: SeamlineServer) -> None:
        ls.root = workspace_root(ls)
        if ls.root is None:
            log.info("no workspace folder is open; nothing to index")
            return
        ls.index = Index(cache_dir=default_cache_dir(ls.root))
        await _watch_files(ls)
        ls.run_task(ls.reindex(title="Seamline: indexing"), "initial index")

    async def on_buffer(ls: SeamlineServer, uri: str) -> None:
        path = python_file(ls, uri)
        if path is None or ls.index is None:
            return
        ls.index.set_overlay(path, ls.workspace.get_text_document(uri).source)
        schedule(ls, uri, path)

    async def on_saved(ls: SeamlineServer, uri: str) -> None:
        if ls.root is not None:
            schedule(ls, uri, python_file(ls, uri))

    async def on_closed(ls: SeamlineServer, uri: str) -> None:
        path = python_file(ls, uri)
        if path is not None and ls.index is not None:
            ls.index.clear_overlay(path)  # the disk is the truth again (the buffer may have been discarded)
            schedule(ls, uri, path)

    async def on_files(ls: SeamlineServer, changes: list[types.FileEvent]) -> None:
        if ls.root is not None and changes:
            schedule(ls, "<files>")

    async def on_config(ls: SeamlineServer, old: Settings, new: Settings) -> None:
        if ls.snapshot is not None and (old.tests_output, old.images) != (new.tests_output, new.images):
            schedule(ls, "<settings>")

    server.dispatcher.on("initialized", on_initialized)
    server.dispatcher.on("opened", on_buffer)
    server.dispatcher.on("changed", on_buffer)
    server.dispatcher.on("saved", on_saved)
    server.dispatcher.on("closed", on_closed)
    server.dispatcher.on("files_changed", on_files)
    server.dispatcher.on("config_changed", on_config)


async def _watch_files(ls: SeamlineServer) -> None:
    if not ls.client_supports("workspace.did_change_watched_files.dynamic_registration"):
        return  # the client may still send events it watches itself (vscode-languageclient's fileEvents)
    watchers = [types.FileSystemWatcher(glob_pattern=g) for g in WATCHED]
    try:
        await ls.client_register_capability_async(types.RegistrationParams(registrations=[
            types.Registration(id=f"seamline-files-{uuid.uuid4()}", method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                               register_options=types.DidChangeWatchedFilesRegistrationOptions(watchers=watchers))]))
    except JsonRpcException as e:
        log.info("could not register file watchers (%s); relying on document events", e)
