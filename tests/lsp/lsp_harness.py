"""pytest-lsp fixtures: the real server over stdio (`python -m seamline.cli serve`) on a copy of
examples/fastapi_items, driven by a VS Code-like client and by a minimal one (no progress, no
workspace/configuration, no dynamic registration, no pull diagnostics)."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from lsprotocol import types
from pygls.protocol import default_converter
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "fastapi_items"
ITEMS = "app/api/routes/items.py"
TIMEOUT = 15.0


class Client(LanguageClient):
    """Records what the server sends and lets a test wait for a condition without sleeping."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.models: list[Any] = []
        self.env_statuses: list[Any] = []
        self.applied_edits: list[types.ApplyWorkspaceEditParams] = []
        self.configuration_requests = 0
        self.registrations: list[types.Registration] = []
        self._changed = asyncio.Event()

    def changed(self) -> None:
        self._changed.set()

    async def wait_until(self, predicate: Callable[[], Any], timeout: float = TIMEOUT, what: str = "") -> Any:
        """Wait until predicate() is truthy; fails after `timeout` seconds (no fixed sleeps)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while not (value := predicate()):
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise AssertionError(f"timed out waiting for {what or predicate}")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except asyncio.TimeoutError:
                continue
        return value


def _features() -> dict[str, Any]:
    def publish_diagnostics(client: Client, params: types.PublishDiagnosticsParams) -> None:
        client.diagnostics[params.uri] = params.diagnostics
        client.changed()

    def project_model(client: Client, params: Any) -> None:
        client.models.append(params)
        client.changed()

    def env_status(client: Client, params: Any) -> None:
        client.env_statuses.append(params)
        client.changed()

    def configuration(client: Client, params: types.ConfigurationParams) -> list[Any]:
        client.configuration_requests += 1
        client.changed()
        return [client.get_configuration(section=i.section, scope_uri=i.scope_uri) for i in params.items]

    def register_capability(client: Client, params: types.RegistrationParams) -> None:
        client.registrations.extend(params.registrations)

    def apply_edit(client: Client, params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        client.applied_edits.append(params)
        client.changed()
        return types.ApplyWorkspaceEditResult(applied=True)

    return {**DEFAULT_CLIENT_FEATURES,
            types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS: publish_diagnostics,
            types.WORKSPACE_CONFIGURATION: configuration,
            types.CLIENT_REGISTER_CAPABILITY: register_capability,
            types.WORKSPACE_APPLY_EDIT: apply_edit,
            "seamline/projectModel": project_model,
            "seamline/envStatus": env_status}


def make_client() -> Client:
    client = Client(converter_factory=default_converter)
    register_lsp_features(client, _features())
    return client


def minimal_capabilities() -> types.ClientCapabilities:
    return types.ClientCapabilities(
        text_document=types.TextDocumentClientCapabilities(
            synchronization=types.TextDocumentSyncClientCapabilities(did_save=True),
            code_action=types.CodeActionClientCapabilities(code_action_literal_support=types.ClientCodeActionLiteralOptions(
                code_action_kind=types.ClientCodeActionKindOptions(value_set=["", "refactor", "source"])))),
        workspace=types.WorkspaceClientCapabilities(apply_edit=True),
    )


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "fastapi_items"
    shutil.copytree(EXAMPLE, root)
    return root


async def start(workspace: Path, tmp_path: Path, capabilities: types.ClientCapabilities, *,
                trusted: bool = True, settings: dict[str, Any] | None = None,
                configuration: dict[str, Any] | None = None) -> Client:
    config = ClientServerConfig(server_command=[sys.executable, "-m", "seamline.cli", "serve", "--stdio"],
                                client_factory=make_client,
                                server_env={**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")})
    client = await config.start()
    assert isinstance(client, Client)
    if configuration is not None:
        client.set_configuration(configuration, section="seamline")
    await client.initialize_session(types.InitializeParams(
        capabilities=capabilities, root_uri=workspace.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=workspace.as_uri(), name=workspace.name)],
        initialization_options={"trusted": trusted, "settings": settings or {}}))
    return client


async def stop(client: Client) -> None:
    try:
        await asyncio.wait_for(client.shutdown_session(), 10)
    finally:
        await client.stop()


@pytest_asyncio.fixture
async def vscode(workspace: Path, tmp_path: Path) -> AsyncIterator[Client]:
    client = await start(workspace, tmp_path, client_capabilities("visual-studio-code"),
                         configuration={"testsOutput": "tests/integration"})
    yield client
    await stop(client)


@pytest_asyncio.fixture
async def minimal(workspace: Path, tmp_path: Path) -> AsyncIterator[Client]:
    """A minimal client in an untrusted workspace: analysis only."""
    client = await start(workspace, tmp_path, minimal_capabilities(), trusted=False)
    yield client
    await stop(client)


def field(params: Any, name: str) -> Any:
    return params[name] if isinstance(params, dict) else getattr(params, name)


def line_of(path: Path, needle: str) -> int:
    """0-based line of the first line containing `needle`."""
    return next(n for n, text in enumerate(path.read_text().splitlines()) if needle in text)
