"""The test environment and test runs from the editor, over stdio with a real docker engine: create the
compose file and the tests through the server's edits, env up -> seamline/envStatus healthy -> run the
tests -> seamline/testResults and failing-test diagnostics at the example's deliberate bugs -> logs ->
env down -> nothing left."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from docker_engine import RECIPE_IMAGES, require_engine
from lsp_harness import (
    ITEMS,
    Client,
    apply_to_disk,
    execute,
    field,
    files_changed,
    line_of,
    progress_token,
    start,
    stop,
)
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import client_capabilities
from seamline.core.generate.compose import project_name
from seamline.env import leftovers, prune

pytestmark = [pytest.mark.asyncio, pytest.mark.docker]

IMAGES = {kind: RECIPE_IMAGES[kind] for kind in ("postgres", "redis")}
DELETE = "DELETE /api/v1/items/{item_id}"


async def accept_edit(client: Client, name: str) -> list[Path]:
    """Run a generating command and do what the editor does with its workspace/applyEdit."""
    count = len(client.applied_edits)
    result = await execute(client, name)
    assert result["applied"], result
    written = apply_to_disk(client.applied_edits[count].edit)
    files_changed(client, written)
    return written


def progress_titles(client: Client) -> dict[str, list[str]]:
    return {getattr(r[0], "title", ""): [x.kind for x in r] for r in client.progress_reports.values() if r}


async def test_env_up_run_tests_logs_and_down_over_lsp(workspace: Path, tmp_path: Path):
    docker_client = require_engine(IMAGES.values())
    pytest.importorskip("seamline.core.generate.tests")
    project = project_name(workspace)
    settings = {"images": IMAGES, "testsOutput": "tests/integration"}
    client = await start(workspace, tmp_path, client_capabilities("visual-studio-code"), settings=settings,
                         configuration=settings)
    try:
        await client.wait_until(lambda: client.models, what="model")
        assert [p.name for p in await accept_edit(client, "seamline.createComposeEnv")] == ["compose.test.yaml"]
        assert "postgres:15" in (workspace / "compose.test.yaml").read_text()
        assert "tests/integration/test_items_api.py" in [p.relative_to(workspace).as_posix()
                                                         for p in await accept_edit(client,
                                                                                    "seamline.generateTestsForProject")]

        def tested() -> bool:
            return any(field(e, "key") == DELETE and field(e, "testStatus") == "tested"
                       for e in field(client.models[-1], "endpoints"))

        await client.wait_until(tested, what="the generated tests indexed")

        up = await execute(client, "seamline.envUp")
        assert up["project"] == project and up["trusted"] is True
        status = await client.wait_until(lambda: client.env_statuses and client.env_statuses[-1], what="envStatus")
        services = {field(s, "name"): field(s, "health") for s in field(status, "services")}
        assert services == {"postgres": "healthy", "redis": "healthy"}, services
        assert (workspace / ".seamline" / "env").is_file()  # the generated tests read their services from it
        assert progress_titles(client)["Seamline: starting the test environment"][-1] == "end"

        summary = await execute(client, "seamline.runTests", DELETE)  # the endpoint's test file
        assert summary["failed"] >= 3 and summary["passed"] >= 10, summary
        (results,) = client.test_results
        failed = {field(r, "endpoint") for r in field(results, "results") if field(r, "outcome") == "failed"}
        # the example's deliberate bugs: no ownership check on delete, no commit on update, 500 on empty search
        assert {DELETE, "PUT /api/v1/items/{item_id}", "GET /api/v1/items/search"} <= failed, failed
        assert field(results, "finished_at")
        uri = (workspace / ITEMS).as_uri()

        def failing_lines() -> set[int]:
            return {d.range.start.line for d in client.diagnostics.get(uri, []) if d.code == "failing-test"}

        bugs = {line_of(workspace / ITEMS, f"def {name}") for name in ("delete_item", "update_item", "search_items")}
        await client.wait_until(lambda: bugs <= failing_lines(), what="failing-test diagnostics at the handlers")
        assert line_of(workspace / ITEMS, "def create_item") not in failing_lines()
        assert progress_titles(client)["Seamline: running integration tests"][-1] == "end"

        logs = await execute(client, "seamline.envLogs", "postgres")
        assert "ready to accept connections" in logs

        down = await execute(client, "seamline.envDown")
        assert down["services"] == [] and field(client.env_statuses[-1], "services") == []
        assert (await execute(client, "seamline.envStatus"))["services"] == []
        assert leftovers(project, client=docker_client) == []
    finally:
        await stop(client)
        prune(client=docker_client, project=project)


async def test_cancelling_env_up_removes_what_it_started(workspace: Path, tmp_path: Path):
    """compose runs in a worker thread that cannot be interrupted: the request answers at once, and once
    compose is done the server takes the environment down again and says so in seamline/envStatus."""
    docker_client = require_engine(IMAGES.values())
    project = project_name(workspace)
    settings = {"images": IMAGES}
    client = await start(workspace, tmp_path, client_capabilities("visual-studio-code"), settings=settings,
                         configuration=settings)
    try:
        await client.wait_until(lambda: client.models, what="model")
        await accept_edit(client, "seamline.createComposeEnv")
        starting = asyncio.ensure_future(execute(client, "seamline.envUp"))
        token = await client.wait_until(lambda: progress_token(client, "Seamline: starting the test environment"),
                                        what="the env up progress")
        client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
        with pytest.raises(JsonRpcException, match="cancel"):
            await asyncio.wait_for(starting, 30)
        status = await client.wait_until(
            lambda: next((s for s in client.env_statuses if "cancelled" in (field(s, "message") or "")), None),
            timeout=180, what="the environment removed after the cancel")
        assert field(status, "services") == []
        assert leftovers(project, client=docker_client) == []
    finally:
        await stop(client)
        prune(client=docker_client, project=project)
