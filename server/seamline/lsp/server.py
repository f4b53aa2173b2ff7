"""`seamline serve`: the language server (pygls 2, stdio).

`create_server()` builds the server and registers each feature module; the server object owns the
state (settings, trust, the file index, the latest Snapshot, test results) and the small runtime
helpers features share: tasks that are kept and logged, per-key debouncing, and re-indexing off the
event loop. Features hold the logic for one LSP area each (lsp/features/*.py)."""

from __future__ import annotations

import asyncio
import functools
import logging
import sys
import time
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcRequestCancelled
from pygls.lsp.server import LanguageServer

from .. import __version__
from ..core.analyze import heap
from ..core.analyze.index import Index
from ..core.analyze.scan import prime
from ..core.errors import SeamlineError
from . import logs
from .dispatch import Dispatcher
from .progress import progress
from .settings import Settings
from .state import Snapshot, SnapshotCache, build_snapshot

log = logging.getLogger(__name__)

DEBOUNCE_S = 0.3


class RequestFailed(JsonRpcException):
    """A request we understood but cannot carry out; the message tells the user what to do."""

    CODE = -32803  # LSP RequestFailed
    MESSAGE = "Request failed"


def command(server: LanguageServer, name: str) -> Callable[[Callable[..., Awaitable[Any]]], Any]:
    """`@server.command` whose SeamlineErrors reach the client as a clean RequestFailed message, and
    which can be cancelled: by `$/cancelRequest` and by the cancel button of its progress."""

    def decorate(fn: Callable[..., Awaitable[Any]]) -> Any:
        @functools.wraps(fn)
        async def wrapper(ls: SeamlineServer, *args: Any) -> Any:
            _follow_client_cancel(ls)
            try:
                return await fn(ls, *args)
            except SeamlineError as e:
                log.warning("%s: %s", name, e)
                raise RequestFailed(f"Seamline: {e}") from e
            except asyncio.CancelledError:
                # pygls 2.1 sends no response at all when a command's task ends cancelled (its
                # executeCommand generator catches only Exception), so the cancellation leaves the
                # server here as the LSP RequestCancelled error.
                log.info("%s was cancelled", name)
                raise JsonRpcRequestCancelled(f"Seamline: {name} was cancelled.") from None

        server.command(name)(wrapper)
        return fn

    return decorate


def _follow_client_cancel(ls: LanguageServer) -> None:
    """pygls runs a command in a task of its own, and `$/cancelRequest` cancels only the request's
    outer future (answering RequestCancelled), so the command would run on; the task follows it."""
    task = asyncio.current_task()
    request = ls.protocol._request_futures.get(ls.protocol.msg_id)  # pygls 2.1 has no public accessor
    if task is None or request is None:
        return
    loop = asyncio.get_running_loop()

    def on_done(future: Any) -> None:
        if future.cancelled() and not task.done():
            loop.call_soon_threadsafe(task.cancel)

    request.add_done_callback(on_done)


class SeamlineServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("seamline", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.dispatcher = Dispatcher()
        self.settings = Settings()
        self.trusted = False
        self.root: Path | None = None
        self.index: Index | None = None
        self.snapshot: Snapshot | None = None
        self.snapshot_cache = SnapshotCache()  # per-file work one snapshot hands the next
        self.test_results: dict[str, list[dict[str, Any]]] = {}  # endpoint key -> results of the last run
        self.tests_ran_at: dict[str, datetime] = {}  # endpoint key -> when that run finished (UTC)
        self.log_handler: logs.ClientLogHandler | None = None
        self._indexed: asyncio.Event | None = None
        self._tasks: set[asyncio.Task] = set()
        self._debounced: dict[str, asyncio.Task] = {}
        # files changed since the last scan; None means "unknown: walk the workspace again"
        self._changed: set[str] | None = None
        self._scan_lock: asyncio.Lock | None = None
        self._scan_wanted = False

    # --- client capabilities ----------------------------------------------------------------------
    def client_supports(self, dotted: str) -> bool:
        """`client_supports("window.work_done_progress")`: a capability path, False when absent."""
        value: Any = self.client_capabilities
        for part in dotted.split("."):
            value = getattr(value, part, None)
            if value is None:
                return False
        return bool(value)

    # --- tasks ------------------------------------------------------------------------------------
    def run_task(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task:
        """Start a background task, keep a reference (so it is not collected) and log how it ended."""
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            log.debug("task %s cancelled", task.get_name())
        elif (exc := task.exception()) is not None:
            log.error("task %s failed", task.get_name(), exc_info=exc)

    def debounce(self, key: str, action: Callable[[], Awaitable[Any]], delay: float = DEBOUNCE_S) -> None:
        """Run `action` once `delay` seconds have passed without another call for the same key."""
        previous = self._debounced.pop(key, None)
        if previous is not None and not previous.done():
            previous.cancel()

        async def later() -> None:
            await asyncio.sleep(delay)
            self._debounced.pop(key, None)
            await action()

        self._debounced[key] = self.run_task(later(), f"debounced {key}")

    # --- the index --------------------------------------------------------------------------------
    def _events(self) -> tuple[asyncio.Event, asyncio.Lock]:
        if self._indexed is None or self._scan_lock is None:
            self._indexed, self._scan_lock = asyncio.Event(), asyncio.Lock()
        return self._indexed, self._scan_lock

    def note_changed(self, path: Path | None) -> None:
        """Record what the next scan must re-read: one file (an edit), or everything (None)."""
        if path is None:
            self._changed = None
        elif self._changed is not None:  # a pending full scan (None) already covers the file
            self._changed.add(str(path))

    async def reindex(self, *, title: str | None = None) -> Snapshot | None:
        """Scan the workspace off the event loop and tell the features. Requests that arrive while a
        scan runs are folded into one follow-up scan."""
        if self.root is None or self.index is None:
            return None
        indexed, lock = self._events()
        self._scan_wanted = True
        async with lock:
            if not self._scan_wanted:
                return self.snapshot  # a scan that started after our request already covered it
            self._scan_wanted = False
            changed, self._changed = self._changed, set()
            snapshot = await self._scan(title, changed)
            if snapshot is None:
                self._changed = None  # the next scan must not trust a partial picture
        if snapshot is not None:
            first = self.snapshot is None
            heap.settle(self.index, first=first)
            if first and self.index.from_cache:
                self.run_task(self._prime(), "prime the memos")
            self.snapshot = snapshot
            indexed.set()
            await self.dispatcher.emit(self, "indexed", snapshot)
        return snapshot

    async def _prime(self) -> None:
        """A warm start took apps whole from the link cache, leaving their memos empty: link them
        again in the background (no file is read again), so that the first edit of each is
        re-analysed incrementally instead of linking its app from scratch. Rescans wait for it."""
        assert self.root is not None and self.index is not None
        _, lock = self._events()
        async with lock:
            started = time.perf_counter()
            linked = await asyncio.to_thread(prime, self.root, self.index)
            heap.settle(self.index, first=False)
        log.info("memos primed: %d app(s) linked in %.0f ms, so that edits re-analyse incrementally", linked,
                 (time.perf_counter() - started) * 1000)

    async def _scan(self, title: str | None, changed: set[str] | None = None) -> Snapshot | None:
        assert self.root is not None and self.index is not None
        files = sorted(changed) if changed is not None else None
        build = functools.partial(build_snapshot, self.root, self.index, self.settings, files, self.snapshot_cache)
        try:
            if title is None:
                return await asyncio.to_thread(build)
            async with progress(self, title) as report:
                report(f"scanning {self.root.name}")
                snapshot = await asyncio.to_thread(build)
                report(f"{len(snapshot.project.endpoints)} endpoints, {len(snapshot.project.services)} services",
                       100)
                return snapshot
        except SeamlineError as e:  # e.g. an invalid seamline.toml: the user can fix it
            log.warning("indexing failed: %s", e)
            self.show_message(f"Seamline could not analyse the workspace: {e}", types.MessageType.Error)
            return None

    async def wait_indexed(self, timeout: float = 60.0) -> Snapshot:
        """The current snapshot, waiting for the first index if it is still running."""
        indexed, _ = self._events()
        try:
            await asyncio.wait_for(indexed.wait(), timeout)
        except asyncio.TimeoutError:
            raise SeamlineError("the workspace is not indexed yet (is a folder open?); try again shortly.") from None
        assert self.snapshot is not None
        return self.snapshot

    # --- messages to the client -----------------------------------------------------------------------
    def notify(self, method: str, payload: dict[str, Any]) -> None:
        self.protocol.notify(method, payload)

    def show_message(self, message: str, kind: types.MessageType = types.MessageType.Info) -> None:
        self.window_show_message(types.ShowMessageParams(type=kind, message=message))

    def require_trust(self, what: str) -> None:
        if not self.trusted:
            raise RequestFailed(f"Seamline: this workspace is untrusted, so Seamline will not {what}. Trust the "
                                "workspace (Manage Workspace Trust) to use test environments and test runs.")

    def set_log_level(self, level: str) -> None:
        if self.log_handler is not None:
            logs.set_level(self.log_handler, level)


def create_server() -> SeamlineServer:
    # Imported here so that a feature module can import the server type without a cycle.
    from . import dispatch
    from .features import (
        code_actions,
        code_lens,
        configuration,
        diagnostics,
        env,
        generate,
        indexing,
        model,
        run_tests,
    )

    server = SeamlineServer()
    dispatch.register(server)
    # Order matters for shared events: settings are pulled before the first index.
    for feature in (configuration, indexing, model, diagnostics, code_actions, code_lens, generate, env, run_tests):
        feature.register(server)
    return server


def main() -> None:
    server = create_server()
    server.log_handler = logs.configure(server)
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print() anywhere must not corrupt the protocol
    log.info("seamline %s language server starting (python %s)", __version__, sys.executable)
    server.start_io(stdin, stdout)
