"""Events several features share (document opened/changed/saved, files changed on disk, settings
changed, a new index) go through one dispatcher, which calls each subscriber in turn inside its
own try/except: one feature's bug is logged and never stops the others or the server."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from lsprotocol import types

if TYPE_CHECKING:
    from .server import SeamlineServer

log = logging.getLogger(__name__)

Handler = Callable[..., Awaitable[None]]

# The events: name -> what the subscribers receive after the server.
EVENTS = {
    "initialized": "()",
    "opened": "(uri)", "changed": "(uri)", "saved": "(uri)", "closed": "(uri)",
    "files_changed": "(list[FileEvent])",
    "config_changed": "(old Settings, new Settings)",
    "trust_changed": "()",
    "indexed": "(Snapshot)",
    "tests_ran": "()",
}


class Dispatcher:
    def __init__(self) -> None:
        self._handlers: dict[str, list[Handler]] = defaultdict(list)

    def on(self, event: str, handler: Handler) -> None:
        if event not in EVENTS:
            raise ValueError(f"unknown event {event!r}; known: {', '.join(EVENTS)}")
        self._handlers[event].append(handler)

    async def emit(self, ls: SeamlineServer, event: str, *args: Any) -> None:
        for handler in list(self._handlers[event]):
            try:
                await handler(ls, *args)
            except asyncio.CancelledError:
                raise
            except Exception:  # a feature's bug: log it with its traceback and carry on with the others
                log.exception("%s handler %s failed", event, getattr(handler, "__qualname__", handler))


# Shared LSP notifications -> the event each becomes, and what its subscribers receive from the params.
FORWARDED: tuple[tuple[str, str, Callable[[Any], tuple[Any, ...]]], ...] = (
    (types.TEXT_DOCUMENT_DID_OPEN, "opened", lambda p: (p.text_document.uri,)),
    (types.TEXT_DOCUMENT_DID_CHANGE, "changed", lambda p: (p.text_document.uri,)),
    (types.TEXT_DOCUMENT_DID_SAVE, "saved", lambda p: (p.text_document.uri,)),
    (types.TEXT_DOCUMENT_DID_CLOSE, "closed", lambda p: (p.text_document.uri,)),
    (types.WORKSPACE_DID_CHANGE_WATCHED_FILES, "files_changed", lambda p: (list(p.changes),)),
)


def _forward(event: str, args: Callable[[Any], tuple[Any, ...]]) -> Handler:
    async def forward(ls: SeamlineServer, params: Any) -> None:  # `ls`: pygls passes the server first
        await ls.dispatcher.emit(ls, event, *args(params))

    forward.__qualname__ = f"forward {event}"
    return forward


def register(server: SeamlineServer) -> None:
    """One pygls handler per shared LSP notification, each forwarding to the dispatcher."""

    @server.feature(types.INITIALIZED)
    async def initialized(ls: SeamlineServer, params: types.InitializedParams) -> None:
        if ls.log_handler is not None:
            ls.log_handler.bind(asyncio.get_running_loop())
        await ls.dispatcher.emit(ls, "initialized")

    for method, event, args in FORWARDED:
        server.feature(method)(_forward(event, args))
