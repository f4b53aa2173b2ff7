"""Work-done progress: create + begin ... end (in `finally`), quietly doing nothing when the client
cannot show progress. With `cancellable=True`, the client's cancel button cancels the task that
opened the progress, so cancellation lands at its next `await`."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from lsprotocol import types
from pygls.exceptions import JsonRpcException

if TYPE_CHECKING:
    from .server import SeamlineServer

log = logging.getLogger(__name__)

Report = Callable[..., None]


@asynccontextmanager
async def progress(ls: SeamlineServer, title: str, *, cancellable: bool = False) -> AsyncIterator[Report]:
    token: str | None = None
    if ls.client_supports("window.work_done_progress"):
        token = f"seamline-{uuid.uuid4()}"
        try:
            await ls.work_done_progress.create_async(token)
        except (JsonRpcException, asyncio.TimeoutError) as e:
            log.debug("the client refused a progress token (%s); carrying on without progress", e)
            token = None
    if token is not None:
        ls.work_done_progress.begin(token, types.WorkDoneProgressBegin(title=title, cancellable=cancellable,
                                                                      percentage=0))
        if cancellable:
            _cancel_task_with(ls, token, asyncio.current_task())

    def report(message: str, percent: int | None = None) -> None:
        if token is not None:
            ls.work_done_progress.report(token, types.WorkDoneProgressReport(message=message, percentage=percent))

    try:
        yield report
    finally:
        if token is not None:
            ls.work_done_progress.tokens.pop(token, None)
            ls.work_done_progress.end(token, types.WorkDoneProgressEnd())


def _cancel_task_with(ls: SeamlineServer, token: str, task: asyncio.Task | None) -> None:
    future = ls.work_done_progress.tokens.get(token)
    if future is None or task is None:
        return
    loop = asyncio.get_running_loop()

    def on_done(f: object) -> None:
        if getattr(f, "cancelled", lambda: False)() and not task.done():
            log.info("cancelled by the user: %s", task.get_name())
            loop.call_soon_threadsafe(task.cancel)

    future.add_done_callback(on_done)
