"""The project model for the client: `seamline/projectModel` after every index, and the
`seamline.listEndpoints` / `seamline.showModel` commands."""

from __future__ import annotations

import logging
from typing import Any

from .. import convert
from ..server import SeamlineServer, command
from ..state import Snapshot, test_status

log = logging.getLogger(__name__)

PROJECT_MODEL = "seamline/projectModel"


def endpoint_items(ls: SeamlineServer, snapshot: Snapshot) -> list[dict[str, Any]]:
    return [convert.endpoint_item(snapshot.root, e, test_status(snapshot, e.key, ls.test_results))
            for e in snapshot.project.endpoints]


def model_payload(ls: SeamlineServer, snapshot: Snapshot) -> dict[str, Any]:
    services = [{"kind": s.kind, "app": s.app, "settings": list(s.settings)} for s in snapshot.project.services]
    return {"endpoints": endpoint_items(ls, snapshot), "services": services}


def register(server: SeamlineServer) -> None:
    async def publish(ls: SeamlineServer, *_: Any) -> None:
        if ls.snapshot is not None:
            ls.notify(PROJECT_MODEL, model_payload(ls, ls.snapshot))

    server.dispatcher.on("indexed", publish)
    server.dispatcher.on("tests_ran", publish)

    @command(server, "seamline.listEndpoints")
    async def list_endpoints(ls: SeamlineServer, *args: Any) -> list[dict[str, Any]]:
        return endpoint_items(ls, await ls.wait_indexed())

    @command(server, "seamline.showModel")
    async def show_model(ls: SeamlineServer, *args: Any) -> dict[str, Any]:
        return (await ls.wait_indexed()).project.to_json()
