"""The language server end to end over stdio, with a VS Code-like and a minimal client."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsp_harness import ITEMS, Client, actions_at, field, line_of
from lsprotocol import types
from pygls.exceptions import JsonRpcException

pytestmark = pytest.mark.asyncio


async def first_model(client: Client) -> list:
    await client.wait_until(lambda: client.models, what="seamline/projectModel")
    return field(client.models[-1], "endpoints")


def titles(actions: list) -> list[str]:
    return [a.title for a in actions]


async def test_vscode_indexes_with_progress_and_publishes_the_model(vscode: Client, workspace: Path):
    endpoints = await first_model(vscode)
    assert len(endpoints) == 12
    create = next(e for e in endpoints if field(e, "key") == "POST /api/v1/items/")
    assert field(create, "handler") == "app.api.routes.items.create_item"
    assert field(create, "file") == (workspace / ITEMS).as_uri()
    assert field(create, "line") == line_of(workspace / ITEMS, "def create_item") + 1
    assert field(create, "testStatus") == "untested"
    kinds = [[r.kind for r in reports] for reports in vscode.progress_reports.values()]
    assert ["begin", "report", "report", "end"] in kinds
    assert vscode.configuration_requests >= 1
    methods = {r.method for r in vscode.registrations}
    assert types.WORKSPACE_DID_CHANGE_WATCHED_FILES in methods

    model = await vscode.workspace_execute_command_async(types.ExecuteCommandParams(command="seamline.showModel"))
    assert model["root"] == str(workspace.resolve())
    assert len(model["endpoints"]) == 12 and {s["kind"] for s in model["services"]} == {"postgres", "redis", "http"}
    listed = await vscode.workspace_execute_command_async(types.ExecuteCommandParams(
        command="seamline.listEndpoints", arguments=[]))
    assert sorted(e["key"] for e in listed) == sorted(e["key"] for e in model["endpoints"])


async def test_minimal_untrusted_client_analyses_only(minimal: Client):
    assert len(await first_model(minimal)) == 12  # analysis works untrusted
    assert minimal.progress_reports == {}
    assert minimal.configuration_requests == 0
    assert minimal.registrations == []
    for command in ("seamline.envUp", "seamline.envStatus", "seamline.runTests"):
        with pytest.raises(JsonRpcException, match="workspace is untrusted"):
            await minimal.workspace_execute_command_async(types.ExecuteCommandParams(command=command))


async def test_code_actions_on_decorator_def_and_body_not_on_blank_line(vscode: Client, workspace: Path):
    pytest.importorskip("seamline.core.generate.tests")
    await first_model(vscode)
    path = workspace / ITEMS
    wanted = "Generate integration test for POST /api/v1/items/"
    deco, defn = line_of(path, '@router.post("/"'), line_of(path, "def create_item")
    for line in (deco, defn, defn + 1):
        assert wanted in titles(await actions_at(vscode, workspace, ITEMS, line)), line
    blank = line_of(path, "router = APIRouter") + 1
    assert not any(t.startswith("Generate integration test") for t in titles(await actions_at(
        vscode, workspace, ITEMS, blank)))


async def test_generate_test_action_creates_the_router_test_file(vscode: Client, workspace: Path):
    pytest.importorskip("seamline.core.generate.tests")
    await first_model(vscode)
    line = line_of(workspace / ITEMS, "def create_item")
    action = next(a for a in await actions_at(vscode, workspace, ITEMS, line)
                  if a.title == "Generate integration test for POST /api/v1/items/")
    assert action.kind == types.CodeActionKind.Refactor
    changes = (await vscode.code_action_resolve_async(action)).edit.document_changes
    created = {c.uri for c in changes if isinstance(c, types.CreateFile)}
    target = (workspace / "tests/integration/test_items_api.py").as_uri()
    assert target in created
    text = next(c.edits[0].new_text for c in changes if isinstance(c, types.TextDocumentEdit)
                and c.text_document.uri == target)
    assert 'client.post("/api/v1/items/"' in text and "# seamline-hash: " in text
    assert not (workspace / "tests").exists()

    # The same through the command: the edit goes to the client with workspace/applyEdit.
    result = await vscode.workspace_execute_command_async(types.ExecuteCommandParams(
        command="seamline.generateTestsForEndpoint", arguments=[(workspace / ITEMS).as_uri(), "POST /api/v1/items/"]))
    assert result["applied"] and "tests/integration/test_items_api.py" in result["files"]
    assert len(vscode.applied_edits) == 1

    # Once the file exists, its endpoints count as tested and their diagnostics go away.
    for c in changes:
        if isinstance(c, types.TextDocumentEdit):
            path = Path(c.text_document.uri.removeprefix("file://"))
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(c.edits[0].new_text)
    vscode.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[types.FileEvent(
        uri=target, type=types.FileChangeType.Created)]))
    uri = (workspace / ITEMS).as_uri()
    await vscode.wait_until(lambda: uri in vscode.diagnostics and not any(
        d.code == "untested-endpoint" for d in vscode.diagnostics[uri]), what="items endpoints tested")


async def test_endpoint_actions_are_placed_by_the_handler_span(vscode: Client, workspace: Path):
    """Independent of test generation: "Open tests" follows the same placement rules."""
    tests = workspace / "tests" / "integration"
    tests.mkdir(parents=True)
    (tests / "test_items_api.py").write_text("# seamline: endpoint POST /api/v1/items/\ndef test_create():\n"
                                             "    pass\n\n\ndef test_read(client):\n"
                                             "    client.get(f\"/api/v1/items/{1}\")\n")
    endpoints = await first_model(vscode)
    status = {field(e, "key"): field(e, "testStatus") for e in endpoints}
    assert status["POST /api/v1/items/"] == status["GET /api/v1/items/{item_id}"] == "tested"
    assert status["GET /api/v1/items/"] == status["GET /api/v1/items/search"] == "untested"
    path = workspace / ITEMS
    wanted = "Open tests for this endpoint (POST /api/v1/items/)"
    deco, defn = line_of(path, '@router.post("/"'), line_of(path, "def create_item")
    for line in (deco, defn, defn + 1):
        assert wanted in titles(await actions_at(vscode, workspace, ITEMS, line)), line
    blank = line_of(path, "router = APIRouter") + 1
    here = titles(await actions_at(vscode, workspace, ITEMS, blank))
    assert not any("endpoint" in t for t in here)
    assert "Create compose test environment" in here  # offered on any file of the project


async def test_compose_action_edit_creates_compose_file(vscode: Client, workspace: Path):
    await first_model(vscode)
    actions = await actions_at(vscode, workspace, ITEMS, 0)
    action = next(a for a in actions if a.title == "Create compose test environment")
    assert action.edit is None  # VS Code resolves edits lazily
    resolved = await vscode.code_action_resolve_async(action)
    changes = resolved.edit.document_changes
    target = (workspace / "compose.test.yaml").as_uri()
    assert isinstance(changes[0], types.CreateFile) and changes[0].uri == target
    text = changes[1].edits[0].new_text
    assert changes[1].text_document.uri == target
    import yaml
    doc = yaml.safe_load(text)
    assert set(doc["services"]) == {"postgres", "redis"}
    assert "DATABASE_URL" in doc["x-seamline"]["env"] and "REDIS_URL" in doc["x-seamline"]["env"]
    assert text.startswith("# Generated by Seamline") and "# seamline-hash: " in text
    assert not (workspace / "compose.test.yaml").exists()  # nothing written behind the editor's back

    # Applying the edit (as the editor would) makes the file; the server then offers no create action.
    (workspace / "compose.test.yaml").write_text(text)
    vscode.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[types.FileEvent(
        uri=target, type=types.FileChangeType.Created)]))
    count = len(vscode.models)
    await vscode.wait_until(lambda: len(vscode.models) > count, what="re-index after the file was created")
    assert not any("compose" in t for t in titles(await actions_at(vscode, workspace, ITEMS, 0)))


async def test_syntax_error_mid_edit_is_reported_then_cleared(vscode: Client, workspace: Path):
    await first_model(vscode)
    uri = (workspace / ITEMS).as_uri()
    source = (workspace / ITEMS).read_text()
    vscode.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
        uri=uri, language_id="python", version=1, text=source)))
    broken_line = line_of(workspace / ITEMS, "def create_item")
    start = types.Position(line=broken_line, character=0)
    vscode.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[types.TextDocumentContentChangePartial(range=types.Range(start=start, end=start),
                                                                text="def broken(:\n")]))

    def syntax_errors() -> list:
        return [d for d in vscode.diagnostics.get(uri, []) if d.code == "syntax-error"]

    errors = await vscode.wait_until(syntax_errors, what="syntax-error diagnostic")
    assert errors[0].range.start.line == broken_line and errors[0].source == "seamline"
    # the server is alive and still answers
    assert await vscode.workspace_execute_command_async(types.ExecuteCommandParams(command="seamline.showModel"))

    vscode.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=3),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=source)]))
    await vscode.wait_until(lambda: not syntax_errors() and uri in vscode.diagnostics, what="syntax error cleared")
    assert len(field(vscode.models[-1], "endpoints")) == 12


async def test_untested_endpoint_diagnostics_at_handlers_and_config_change_turns_them_off(
        vscode: Client, workspace: Path):
    await first_model(vscode)
    uri = (workspace / ITEMS).as_uri()

    def untested() -> list:
        return [d for d in vscode.diagnostics.get(uri, []) if d.code == "untested-endpoint"]

    found = await vscode.wait_until(lambda: len(untested()) == 6 and untested(), what="untested diagnostics")
    create = next(d for d in found if "POST /api/v1/items/" in d.message)
    assert create.range.start.line == line_of(workspace / ITEMS, "def create_item")
    assert create.severity == types.DiagnosticSeverity.Information

    before = vscode.configuration_requests
    vscode.set_configuration({"diagnostics": {"untestedEndpoints": False}}, section="seamline")
    vscode.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    await vscode.wait_until(lambda: vscode.configuration_requests > before, what="configuration re-pulled")
    await vscode.wait_until(lambda: not untested(), what="untested diagnostics cleared")


async def test_minimal_client_gets_eager_edits_and_no_create_it_cannot_apply(minimal: Client, workspace: Path):
    tests = workspace / "tests" / "integration"
    tests.mkdir(parents=True)
    (tests / "test_items_api.py").write_text("# seamline: endpoint POST /api/v1/items/\n")
    await first_model(minimal)
    line = line_of(workspace / ITEMS, "def create_item")
    here = titles(await actions_at(minimal, workspace, ITEMS, line))
    assert "Open tests for this endpoint (POST /api/v1/items/)" in here
    assert "Create compose test environment" not in here  # this client cannot create files through an edit
    result = await minimal.workspace_execute_command_async(types.ExecuteCommandParams(
        command="seamline.createComposeEnv"))
    assert result["applied"] is False and "cannot create files" in result["message"]


async def test_service_the_environment_lacks_is_a_warning_where_the_code_uses_it(vscode: Client, workspace: Path):
    await first_model(vscode)
    # a user's compose file with Postgres only: the example also uses Redis
    (workspace / "compose.test.yaml").write_text(
        "services:\n  db:\n    image: postgres:15\n    environment:\n      POSTGRES_PASSWORD: x\n")
    vscode.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[types.FileEvent(
        uri=(workspace / "compose.test.yaml").as_uri(), type=types.FileChangeType.Created)]))

    def missing() -> list:
        return [(uri, d) for uri, ds in vscode.diagnostics.items() for d in ds
                if d.code == "service-missing-from-env"]

    found = await vscode.wait_until(missing, what="service-missing-from-env diagnostic")
    messages = [d.message for _, d in found]
    assert len(found) == 1 and "redis" in messages[0] and "compose.test.yaml" in messages[0], messages
    # `db: image: postgres` provides postgres even though the service is not named after it
    assert not any("has no postgres" in m for m in messages)


async def test_a_warm_start_primes_the_memos_in_the_background(workspace: Path, tmp_path: Path):
    """The first start indexes cold (every app linked, its memo filled): nothing to prime. A second
    start on the same cache takes the app from the link cache, shows the model at once, and then
    links it again in the background so that the first edit is incremental."""
    from lsp_harness import start, stop
    from pytest_lsp import client_capabilities

    def primed(client: Client) -> list[str]:
        return [m.message for m in client.log_messages if "memos primed" in m.message]

    cold = await start(workspace, tmp_path, client_capabilities("visual-studio-code"))
    try:
        await first_model(cold)
    finally:
        await stop(cold)
    assert primed(cold) == []
    warm = await start(workspace, tmp_path, client_capabilities("visual-studio-code"))
    try:
        assert len(await first_model(warm)) == 12
        await warm.wait_until(lambda: primed(warm), what="the memos primed")
        assert "1 app(s) linked" in primed(warm)[0]
    finally:
        await stop(warm)
