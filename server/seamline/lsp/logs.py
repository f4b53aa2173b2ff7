"""Logging for `seamline serve`: stderr for everything, and Seamline's own records forwarded to the
client as window/logMessage at the `seamline.logLevel` setting. pygls' loggers are not forwarded
(sending a message logs, which would loop). Nothing here writes to stdout: it is the protocol."""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import TYPE_CHECKING

from lsprotocol import types

if TYPE_CHECKING:
    from .server import SeamlineServer

LEVELS = {"error": logging.ERROR, "warning": logging.WARNING, "info": logging.INFO, "debug": logging.DEBUG}
_MESSAGE_TYPE = ((logging.ERROR, types.MessageType.Error), (logging.WARNING, types.MessageType.Warning),
                 (logging.INFO, types.MessageType.Info))


class ClientLogHandler(logging.Handler):
    """Forwards records to window/logMessage; safe to call from worker threads (scans run there)."""

    def __init__(self, ls: SeamlineServer) -> None:
        super().__init__()
        self.ls = ls
        self.loop: asyncio.AbstractEventLoop | None = None
        self.loop_thread: int | None = None

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop, self.loop_thread = loop, threading.get_ident()

    def emit(self, record: logging.LogRecord) -> None:
        if self.loop is None or self.loop.is_closed():
            return  # not connected yet (or any more): stderr has it
        try:
            message = self.format(record)
        except (TypeError, ValueError):  # a bad format string in a record must not raise
            self.handleError(record)
            return
        kind = next((t for level, t in _MESSAGE_TYPE if record.levelno >= level), types.MessageType.Log)
        params = types.LogMessageParams(type=kind, message=message)
        if threading.get_ident() == self.loop_thread:
            self.ls.window_log_message(params)
        else:
            self.loop.call_soon_threadsafe(self.ls.window_log_message, params)


def configure(ls: SeamlineServer) -> ClientLogHandler:
    """Route `seamline.*` logs to stderr and the client; pygls only warns on stderr."""
    import sys

    stderr = logging.StreamHandler(sys.stderr)
    stderr.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for h in list(root.handlers):  # the CLI's basicConfig handler would print everything twice
        root.removeHandler(h)
    root.addHandler(stderr)
    root.setLevel(logging.WARNING)
    client = ClientLogHandler(ls)
    client.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    ours = logging.getLogger("seamline")
    ours.addHandler(client)
    set_level(client, "info")
    return client


def set_level(handler: ClientLogHandler, level: str) -> None:
    value = LEVELS.get(level, logging.INFO)
    logging.getLogger("seamline").setLevel(value)
    handler.setLevel(value)
