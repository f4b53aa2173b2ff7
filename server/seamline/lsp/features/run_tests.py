"""seamline.runTests: run the generated integration tests with the workspace's interpreter
(`seamline.interpreter`, else the server's), as a subprocess that cancellation kills; results go to
the client as seamline/testResults and as failing-test diagnostics at the handlers."""

from __future__ import annotations

import asyncio
import logging
import sys
import tempfile
import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ...core.errors import SeamlineError
from .. import convert
from ..progress import progress
from ..server import SeamlineServer, command
from ..state import Snapshot, keys_for_test

log = logging.getLogger(__name__)

TEST_RESULTS = "seamline/testResults"


def parse_junit(xml_text: str, root: Path, snapshot: Snapshot) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    texts: dict[str, list[str]] = {}
    for case in ET.fromstring(xml_text).iter("testcase"):
        file = case.get("file") or ""
        line0 = int(case.get("line") or 0)
        outcome, message = "passed", None
        for tag in ("failure", "error", "skipped"):
            child = case.find(tag)
            if child is not None:
                outcome = {"failure": "failed", "error": "error", "skipped": "skipped"}[tag]
                message = (child.get("message") or "").strip()[:500] or None
                break
        if file not in texts:
            path = root / file
            texts[file] = path.read_text(encoding="utf-8", errors="replace").splitlines(keepends=True) \
                if file and path.is_file() else []
        nodeid = f"{file}::{case.get('name')}"
        for key in keys_for_test(texts[file], line0, snapshot.project.endpoints) or [None]:
            results.append({"endpoint": key, "test": nodeid, "outcome": outcome, "message": message,
                            "file": convert.uri_for(root, file) if file else "", "line": line0 + 1})
    return results


async def run_pytest(ls: SeamlineServer, snapshot: Snapshot, targets: list[str]) -> str:
    interpreter = ls.settings.interpreter or sys.executable
    with tempfile.TemporaryDirectory(prefix="seamline-run-") as tmp:
        report = Path(tmp) / "junit.xml"
        argv = [interpreter, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "junit_family=xunit1",
                f"--junitxml={report}", *targets]
        log.info("running %s", " ".join(argv))
        proc = await asyncio.create_subprocess_exec(*argv, cwd=snapshot.root, stdout=asyncio.subprocess.PIPE,
                                                    stderr=asyncio.subprocess.STDOUT)
        try:
            output, _ = await proc.communicate()
        except asyncio.CancelledError:
            proc.kill()  # the user cancelled: stop the run now, then let the cancellation through
            await proc.wait()
            raise
        log.debug("pytest output:\n%s", output.decode("utf-8", "replace"))
        if not report.is_file():
            tail = output.decode("utf-8", "replace").strip().splitlines()[-5:]
            raise SeamlineError(f"pytest did not run (exit {proc.returncode}): " + " | ".join(tail))
        return report.read_text(encoding="utf-8")


def register(server: SeamlineServer) -> None:
    @command(server, "seamline.runTests")
    async def run_tests(ls: SeamlineServer, *args: Any) -> dict[str, Any]:
        ls.require_trust("run tests")
        snapshot = await ls.wait_indexed()
        key = str(args[0]) if args and args[0] else None
        if key is not None:
            targets = list(snapshot.tests.get(key) or ())
            if not targets:
                raise SeamlineError(f"no test mentions {key} yet; generate one first.")
        else:
            targets = [ls.settings.tests_output]
            if not (snapshot.root / targets[0]).is_dir():
                raise SeamlineError(f"there are no tests in {targets[0]} yet; generate some first.")
        async with progress(ls, "Seamline: running integration tests", cancellable=True) as report:
            report(" ".join(targets))
            results = parse_junit(await run_pytest(ls, snapshot, targets), snapshot.root, snapshot)
        by_key: dict[str, list[dict[str, Any]]] = {}
        for r in results:
            if r["endpoint"]:
                by_key.setdefault(r["endpoint"], []).append(r)
        finished = datetime.now(timezone.utc)
        ls.test_results = by_key if key is None else {**ls.test_results, **by_key}
        ls.tests_ran_at = {**({} if key is None else ls.tests_ran_at), **{k: finished for k in by_key}}
        payload = {"results": results, "finished_at": finished.isoformat()}
        ls.notify(TEST_RESULTS, payload)
        await ls.dispatcher.emit(ls, "tests_ran")
        counts = {o: sum(r["outcome"] == o for r in results) for o in ("passed", "failed", "error")}
        return {**counts, "errors": counts.pop("error"), "results": results}
