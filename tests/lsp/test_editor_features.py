"""Out-of-date generated tests (diagnostic + regenerate quick fix), code lenses, test runs and their
cancellation, workspace trust, and urlconf code actions, over stdio with the real server."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from lsp_harness import (
    ITEMS,
    Client,
    actions_at,
    apply_to_disk,
    command,
    copy_example,
    execute,
    field,
    files_changed,
    line_of,
    minimal_capabilities,
    progress_token,
    start,
    stop,
)
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import client_capabilities
from seamline.core.analyze.scan import scan
from seamline.core.generate.writer import unstamp

pytestmark = pytest.mark.asyncio

TEST_FILE = "tests/integration/test_items_api.py"
CREATE = "POST /api/v1/items/"


def generate_into(root: Path) -> None:
    """`seamline gen tests` before the editor opens the workspace."""
    pytest.importorskip("seamline.core.generate.tests")
    from seamline.core.generate.tests import generate_tests
    from seamline.core.generate.tests.write import write_tests

    write_tests(generate_tests(scan(root), root=root), root=root)


def edit_items(root: Path, old: str, new: str) -> None:
    path = root / ITEMS
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new))


def diagnostics(client: Client, root: Path, rel: str, code: str) -> list[types.Diagnostic]:
    return [d for d in client.diagnostics.get((root / rel).as_uri(), []) if d.code == code]


async def lenses(client: Client, root: Path, rel: str) -> list[types.CodeLens]:
    return await client.text_document_code_lens_async(types.CodeLensParams(
        text_document=types.TextDocumentIdentifier(uri=(root / rel).as_uri()))) or []


def lens_titles_at(found: list[types.CodeLens], line: int) -> list[str]:
    return [lens.command.title for lens in found if lens.range.start.line == line and lens.command]


# --- out-of-date generated tests ----------------------------------------------------------------


async def test_signature_and_path_changes_mark_the_generated_test_stale_until_regenerated(
        workspace: Path, tmp_path: Path):
    generate_into(workspace)
    marker_line = line_of(workspace / TEST_FILE, f"# seamline: endpoint {CREATE} ")
    # After generation: a new query parameter on create, a new path for read.
    edit_items(workspace, "def create_item(data: ItemCreate, db: SessionDep, user: CurrentUser):",
               "def create_item(data: ItemCreate, db: SessionDep, user: CurrentUser, notify: bool = False):")
    edit_items(workspace, '@router.get("/{item_id}", response_model=ItemOut)',
               '@router.get("/by-id/{item_id}", response_model=ItemOut)')
    client = await start(workspace, tmp_path, client_capabilities("visual-studio-code"))
    try:
        stale = await client.wait_until(lambda: len(diagnostics(client, workspace, ITEMS, "stale-test")) == 2
                                        and diagnostics(client, workspace, ITEMS, "stale-test"), what="stale-test")
        create = next(d for d in stale if CREATE in d.message)
        assert create.severity == types.DiagnosticSeverity.Warning
        assert create.range.start.line == line_of(workspace / ITEMS, "def create_item")
        assert "signature changed" in create.message and TEST_FILE in create.message
        (related,) = create.related_information
        assert related.location.uri == (workspace / TEST_FILE).as_uri()
        assert related.location.range.start.line == marker_line
        moved = next(d for d in stale if "GET /api/v1/items/by-id/{item_id}" in d.message)
        assert "path changed" in moved.message and "GET /api/v1/items/{item_id}" in moved.message
        assert moved.range.start.line == line_of(workspace / ITEMS, "def read_item")
        # a moved endpoint is out of date, not untested
        assert not any("by-id" in d.message for d in diagnostics(client, workspace, ITEMS, "untested-endpoint"))
        status = {field(e, "key"): field(e, "testStatus") for e in field(client.models[-1], "endpoints")}
        assert status[CREATE] == "stale" and status["GET /api/v1/items/"] == "tested"

        # The quick fix: on the handler, tied to the diagnostic, its edit needing confirmation (the diff is
        # shown first) and nothing written behind the editor's back.
        line = line_of(workspace / ITEMS, "def create_item")
        action = next(a for a in await actions_at(client, workspace, ITEMS, line, context=[create])
                      if a.title == f"Regenerate test for {CREATE}")
        assert action.kind == types.CodeActionKind.QuickFix and action.is_preferred
        assert [d.message for d in action.diagnostics or []] == [create.message]
        before = (workspace / TEST_FILE).read_text()
        edit = (await client.code_action_resolve_async(action)).edit
        assert edit is not None and (workspace / TEST_FILE).read_text() == before
        (annotation,) = edit.change_annotations.values()
        assert annotation.needs_confirmation and annotation.label == f"Regenerate test for {CREATE}"
        target = next(c for c in edit.document_changes if isinstance(c, types.TextDocumentEdit)
                      and c.text_document.uri == (workspace / TEST_FILE).as_uri())
        assert all(isinstance(e, types.AnnotatedTextEdit) for e in target.edits)
        new_text = target.edits[0].new_text
        assert "/api/v1/items/by-id/" in new_text and "notify" in new_text

        # The user accepts: the file changes on disk, the warnings go.
        files_changed(client, apply_to_disk(edit))
        await client.wait_until(lambda: not diagnostics(client, workspace, ITEMS, "stale-test")
                                and (workspace / ITEMS).as_uri() in client.diagnostics, what="stale cleared")
        status = {field(e, "key"): field(e, "testStatus") for e in field(client.models[-1], "endpoints")}
        assert status[CREATE] == "tested"
    finally:
        await stop(client)


async def test_regenerate_in_an_edited_test_file_keeps_the_users_tests(workspace: Path, tmp_path: Path):
    generate_into(workspace)
    path = workspace / TEST_FILE
    mine = "\n\ndef test_my_own_create_check(client):\n    assert client.post(\"/api/v1/items/\").status_code == 401\n"
    path.write_text(path.read_text() + mine)  # the user's edit: the writer now keeps the file as it is
    old_hash = unstamp(path.read_text())[1]
    edit_items(workspace, "def create_item(data: ItemCreate, db: SessionDep, user: CurrentUser):",
               "def create_item(data: ItemCreate, db: SessionDep, user: CurrentUser, notify: bool = False):")
    client = await start(workspace, tmp_path, client_capabilities("visual-studio-code"))
    try:
        await client.wait_until(lambda: diagnostics(client, workspace, ITEMS, "stale-test"), what="stale-test")
        result = await execute(client, "seamline.generateTestsForEndpoint", (workspace / ITEMS).as_uri(), CREATE)
        assert result["applied"] and TEST_FILE in result["files"]
        (applied,) = client.applied_edits
        text = next(c.edits[0].new_text for c in applied.edit.document_changes
                    if isinstance(c, types.TextDocumentEdit) and c.text_document.uri == path.as_uri())
        assert mine.strip() in text  # the user's own test stays
        assert unstamp(text)[1] == old_hash  # still the user's file: the next generation merges again
        assert "def test_create_item_rejects_invalid_query" in text  # the new parameter's test is added
        marks = [ln for ln in text.splitlines() if ln.startswith(f"# seamline: endpoint {CREATE} ")]
        assert len(marks) == 1 and marks[0] not in path.read_text()  # its fingerprint is updated
        files_changed(client, apply_to_disk(applied.edit))
        await client.wait_until(lambda: not diagnostics(client, workspace, ITEMS, "stale-test"), what="cleared")
    finally:
        await stop(client)


# --- code lenses, test runs, cancellation -------------------------------------------------------

FAKE_TESTS = '''\
class Recorder:
    def post(self, path, **kwargs):
        return path

    def get(self, path, **kwargs):
        return path


def test_create_is_called():
    assert Recorder().post("/api/v1/items/") == "/api/v1/items/"


def test_create_again_fails():
    assert Recorder().post("/api/v1/items/") == "something else"


def test_list_is_called():
    assert Recorder().get("/api/v1/items/") == "/api/v1/items/"
'''


async def test_code_lenses_follow_the_setting_tests_and_last_run(workspace: Path, tmp_path: Path):
    tests = workspace / "tests" / "integration"
    tests.mkdir(parents=True)
    (tests / "test_items_api.py").write_text(FAKE_TESTS)  # plain tests that call endpoints; no services needed
    client = await start(workspace, tmp_path, client_capabilities("visual-studio-code"),
                         configuration={"codeLens": {"enabled": False}})
    try:
        await client.wait_until(lambda: client.models, what="model")
        assert await lenses(client, workspace, ITEMS) == []  # off by default

        client.set_configuration({"codeLens": {"enabled": True}}, section="seamline")
        before = client.code_lens_refreshes
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
        await client.wait_until(lambda: client.code_lens_refreshes > before, what="codeLens/refresh")
        found = await lenses(client, workspace, ITEMS)
        create, read = line_of(workspace / ITEMS, "def create_item"), line_of(workspace / ITEMS, "def read_item")
        assert lens_titles_at(found, create) == ["2 integration tests · not run yet", "Run"]
        run = next(lens for lens in found if lens.range.start.line == create and lens.command.title == "Run")
        assert run.command.command == "seamline.runTests" and list(run.command.arguments) == [CREATE]
        assert lens_titles_at(found, read)[0] == "no integration tests"
        generate = [lens.command for lens in found if lens.range.start.line == read][-1]
        if generate.title == "Generate":
            assert generate.command == "seamline.generateTestsForEndpoint"
            assert list(generate.arguments) == [(workspace / ITEMS).as_uri(), "GET /api/v1/items/{item_id}"]

        # Run the endpoint's tests (what the lens does): results, failing-test diagnostics, fresh lenses.
        before = client.code_lens_refreshes
        summary = await execute(client, run.command.command, *run.command.arguments)
        assert (summary["passed"], summary["failed"], summary["errors"]) == (2, 1, 0)
        (results,) = client.test_results
        outcomes = {(field(r, "endpoint"), field(r, "test").rsplit("::", 1)[-1]): field(r, "outcome")
                    for r in field(results, "results")}
        assert outcomes[(CREATE, "test_create_again_fails")] == "failed"
        assert outcomes[("GET /api/v1/items/", "test_list_is_called")] == "passed"
        failing = await client.wait_until(lambda: diagnostics(client, workspace, ITEMS, "failing-test"),
                                          what="failing-test diagnostic")
        assert [d.range.start.line for d in failing] == [create]
        assert failing[0].related_information[0].location.uri == (tests / "test_items_api.py").as_uri()
        await client.wait_until(lambda: client.code_lens_refreshes > before, what="refresh after the run")
        found = await lenses(client, workspace, ITEMS)
        assert lens_titles_at(found, create)[0] == "2 integration tests · 1 of 2 failed just now"
        listing = line_of(workspace / ITEMS, "def list_items")
        assert lens_titles_at(found, listing)[0] == "1 integration test · passed just now"
    finally:
        await stop(client)


SLOW_TEST = '''\
import os
import pathlib
import threading


def test_waits_for_ever():
    pathlib.Path(os.environ.get("PID_FILE", "pid.txt")).write_text(str(os.getpid()))
    threading.Event().wait(300)  # the workload being cancelled, not synchronisation
'''


@pytest.mark.parametrize("how", ["progress", "request"])
async def test_cancelling_a_test_run_kills_pytest(workspace: Path, tmp_path: Path, how: str):
    """The cancel button of the run's progress (window/workDoneProgress/cancel), or the client giving up
    on the request ($/cancelRequest): either way pytest is killed and the request answers RequestCancelled."""
    tests = workspace / "tests" / "integration"
    tests.mkdir(parents=True)
    (tests / "test_slow.py").write_text(SLOW_TEST)
    client = await start(workspace, tmp_path, client_capabilities("visual-studio-code"))
    pid_file = workspace / "pid.txt"
    try:
        await client.wait_until(lambda: client.models, what="model")
        running = asyncio.ensure_future(client.protocol.send_request_async(
            types.WORKSPACE_EXECUTE_COMMAND, command("seamline.runTests"), msg_id="the-run"))

        token = await client.wait_until(lambda: progress_token(client, "Seamline: running integration tests"),
                                        what="the run's progress")
        assert client.progress_reports[token][0].cancellable is True
        deadline = asyncio.get_running_loop().time() + 60
        while not pid_file.is_file() or not pid_file.read_text():  # pytest is up when its test writes this
            assert asyncio.get_running_loop().time() < deadline and not running.done(), "pytest never started"
            await asyncio.sleep(0.05)
        pid = int(pid_file.read_text())

        if how == "progress":
            client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
        else:
            client.protocol.notify("$/cancelRequest", types.CancelParams(id="the-run"))
        with pytest.raises(JsonRpcException, match="cancel"):
            await asyncio.wait_for(running, 30)
        await client.wait_until(lambda: client.progress_reports[token][-1].kind == "end", what="progress end")
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)  # killed and reaped before the progress ended
        assert client.test_results == []
        # the server carries on: the next request is answered
        assert await execute(client, "seamline.listEndpoints")
    finally:
        await stop(client)


# --- workspace trust ------------------------------------------------------------------------------


async def test_untrusted_workspace_refuses_docker_and_runs_until_the_client_grants_trust(
        workspace: Path, tmp_path: Path):
    client = await start(workspace, tmp_path, minimal_capabilities(), trusted=False,
                         settings={"codeLens": {"enabled": True}})
    try:
        await client.wait_until(lambda: client.models, what="model")
        for name, args in (("seamline.envUp", []), ("seamline.envDown", []), ("seamline.envStatus", []),
                           ("seamline.envLogs", ["postgres"]), ("seamline.runTests", [CREATE])):
            with pytest.raises(JsonRpcException, match="workspace is untrusted"):
                await execute(client, name, *args)
        create = line_of(workspace / ITEMS, "def create_item")
        (tests := workspace / "tests" / "integration").mkdir(parents=True)
        (tests / "test_items_api.py").write_text(FAKE_TESTS)
        files_changed(client, [tests / "test_items_api.py"])
        await client.wait_until(lambda: field(next(e for e in field(client.models[-1], "endpoints")
                                                   if field(e, "key") == CREATE), "testStatus") == "tested",
                                what="tests seen")
        assert "Run" not in lens_titles_at(await lenses(client, workspace, ITEMS), create)

        # The user trusts the workspace: the client tells the server, which says so in an envStatus.
        client.protocol.notify("seamline/trustChanged", {"trusted": True})
        await client.wait_until(lambda: any(field(s, "trusted") for s in client.env_statuses), what="trusted status")
        assert "Run" in lens_titles_at(await lenses(client, workspace, ITEMS), create)
        status = await execute(client, "seamline.envStatus")
        assert status["trusted"] is True and status["services"] == []  # allowed now; nothing is running

        client.protocol.notify("seamline/trustChanged", {"trusted": False})
        await client.wait_until(lambda: not field(client.env_statuses[-1], "trusted"), what="untrusted again")
        assert "untrusted" in field(client.env_statuses[-1], "message")
        with pytest.raises(JsonRpcException, match="workspace is untrusted"):
            await execute(client, "seamline.envStatus")
    finally:
        await stop(client)


# --- Django urlconf entries -------------------------------------------------------------------------


async def test_code_actions_on_urlconf_entries_and_router_registrations(tmp_path: Path):
    pytest.importorskip("seamline.core.generate.tests")
    root = copy_example("drf_tasks", tmp_path)
    client = await start(root, tmp_path, client_capabilities("visual-studio-code"))
    try:
        await client.wait_until(lambda: client.models, what="model")

        async def endpoint_titles(rel: str, needle: str) -> list[str]:
            titles = [a.title for a in await actions_at(client, root, rel, line_of(root / rel, needle))]
            return sorted(t.removeprefix("Generate integration test for ") for t in titles
                          if t.startswith("Generate integration test for "))

        assert await endpoint_titles("taskhub/urls.py", 'path("api/auth/register/"') == ["POST /api/auth/register/"]
        registered = await endpoint_titles("tasks/urls.py", 'router.register("tasks"')
        assert "GET /api/tasks/" in registered and "POST /api/tasks/{pk}/complete/" in registered
        assert not any("/api/projects/" in t for t in registered)
        assert await endpoint_titles("tasks/urls.py", "router = DefaultRouter()") == []
        # the view file still offers the action on the class itself
        assert "POST /api/auth/register/" in await endpoint_titles("tasks/views.py", "class RegisterView")
    finally:
        await stop(client)
