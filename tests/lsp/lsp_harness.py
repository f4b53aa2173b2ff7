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
TIMEOUT = 30.0  # generous: the machine running the suite may be busy; waits end as soon as the event arrives


class Client(LanguageClient):
    """Records what the server sends and lets a test wait for a condition without sleeping."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.models: list[Any] = []
        self.env_statuses: list[Any] = []
        self.test_results: list[Any] = []
        self.code_lens_refreshes = 0
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

    def test_results(client: Client, params: Any) -> None:
        client.test_results.append(params)
        client.changed()

    def code_lens_refresh(client: Client, params: None) -> None:
        client.code_lens_refreshes += 1
        client.changed()

    def configuration(client: Client, params: types.ConfigurationParams) -> list[Any]:
        client.configuration_requests += 1
        client.changed()
        return [client.get_configuration(section=i.section, scope_uri=i.scope_uri) for i in params.items]

    def log_message(client: Client, params: types.LogMessageParams) -> None:
        client.log_messages.append(params)
        client.changed()

    def register_capability(client: Client, params: types.RegistrationParams) -> None:
        client.registrations.extend(params.registrations)

    def apply_edit(client: Client, params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        client.applied_edits.append(params)
        client.changed()
        return types.ApplyWorkspaceEditResult(applied=True)

    return {**DEFAULT_CLIENT_FEATURES,
            types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS: publish_diagnostics,
            types.WORKSPACE_CONFIGURATION: configuration,
            types.WINDOW_LOG_MESSAGE: log_message,
            types.CLIENT_REGISTER_CAPABILITY: register_capability,
            types.WORKSPACE_APPLY_EDIT: apply_edit,
            types.WORKSPACE_CODE_LENS_REFRESH: code_lens_refresh,
            "seamline/testResults": test_results,
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


def copy_example(name: str, tmp_path: Path) -> Path:
    root = tmp_path / name
    shutil.copytree(REPO / "examples" / name, root,
                    ignore=shutil.ignore_patterns("__pycache__", ".seamline", "compose.*.yaml", "tests"))
    return root


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return copy_example(EXAMPLE.name, tmp_path)


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


async def actions_at(client: Client, root: Path, rel: str, line: int, character: int = 0,
                     context: list[types.Diagnostic] | None = None) -> list[types.CodeAction | types.Command]:
    pos = types.Position(line=line, character=character)
    result = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=(root / rel).as_uri()),
        range=types.Range(start=pos, end=pos), context=types.CodeActionContext(diagnostics=context or [])))
    return list(result or [])


def command(name: str, *args: Any) -> types.ExecuteCommandParams:
    return types.ExecuteCommandParams(command=name, arguments=list(args))


async def execute(client: Client, name: str, *args: Any) -> Any:
    return await client.workspace_execute_command_async(command(name, *args))


def progress_token(client: Client, title: str) -> str | None:
    """The token of the progress that began with `title`, once it has."""
    return next((token for token, reports in client.progress_reports.items()
                 if reports and getattr(reports[0], "title", "") == title), None)


def apply_to_disk(edit: types.WorkspaceEdit) -> list[Path]:
    """Do what the editor does when the user accepts `edit` (whole-file replacements and creations,
    which is what Seamline sends); the files written."""
    written: list[Path] = []
    if edit.document_changes:
        for change in edit.document_changes:
            if isinstance(change, types.TextDocumentEdit):
                written.append(_write(change.text_document.uri, change.edits[0].new_text))
    for uri, edits in (edit.changes or {}).items():
        written.append(_write(uri, edits[0].new_text))
    return written


def _write(uri: str, text: str) -> Path:
    path = Path(uri.removeprefix("file://"))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def files_changed(client: Client, paths: list[Path]) -> None:
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
        types.FileEvent(uri=p.as_uri(), type=types.FileChangeType.Changed) for p in paths]))


def line_of(path: Path, needle: str) -> int:
    """0-based line of the first line containing `needle`."""
    return next(n for n, text in enumerate(path.read_text().splitlines()) if needle in text)
