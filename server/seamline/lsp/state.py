"""What the server knows after an index: the scan, the endpoints per file, which generated tests
mention which endpoint, and where the compose test environment stands. Built off the event loop
in one go (`build_snapshot`), then only read, so every request answers from memory."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..core.analyze.index import Index
from ..core.analyze.scan import scan
from ..core.generate.compose_merge import drift
from ..core.generate.fingerprint import PREFIX, fingerprints, read_marks
from ..core.generate.workspace_compose import ComposePlan, find_compose_files, plan_compose
from ..core.model import Endpoint, Finding, Project
from .settings import Settings

log = logging.getLogger(__name__)

MAX_TEST_FILE_BYTES = 2_000_000


@dataclass(frozen=True, slots=True, kw_only=True)
class Snapshot:
    root: Path
    project: Project
    by_file: dict[str, tuple[Endpoint, ...]] = field(hash=False)
    tests: dict[str, tuple[str, ...]] = field(hash=False)  # endpoint key -> test files (relative) mentioning it
    compose: ComposePlan | None = None  # None: the code uses no service that needs a container
    compose_file: str | None = None  # the existing env's compose file, relative
    drift: tuple[Finding, ...] = ()  # services the code uses that the existing env lacks (compose_merge.drift)
    test_counts: dict[str, int] = field(default_factory=dict, hash=False)  # endpoint key -> test functions
    stale: dict[str, tuple[StaleTest, ...]] = field(default_factory=dict, hash=False)  # endpoint key -> outdated


@dataclass(frozen=True, slots=True, kw_only=True)
class StaleTest:
    """A generated test file whose marker records another signature (or path) of an endpoint."""

    file: str  # the test file, relative
    line: int  # 1-based line of its `# seamline: endpoint` marker
    recorded: str  # the endpoint key the test was generated for
    path_changed: bool  # the key differs (same handler and method): the path changed


def mentions(text: str, key: str) -> bool:
    """A test names an endpoint by its key ("POST /api/v1/items/"), e.g. in a
    `# seamline: endpoint POST /api/v1/items/` marker. The key must end there:
    "GET /items/" is not mentioned by "GET /items/{item_id}"."""
    return re.search(re.escape(key) + r"(?![\w/{}.:<>-])", text) is not None


_CALL = re.compile(r"\.(get|post|put|patch|delete|head|options)\(\s*f?([\"'])(/[^\"'?]*)", re.IGNORECASE)
_PARAM = re.compile(r"\{[^}]*\}")


def called_endpoints(text: str, endpoints: tuple[Endpoint, ...]) -> set[str]:
    """Keys of the endpoints a test calls through a test client: `client.post("/api/v1/items/")`,
    `client.get(f"/api/v1/items/{item.id}")`. A literal path wins over a template that also fits
    ("/items/search" is the search endpoint, not `/items/{item_id}`)."""
    keys: set[str] = set()
    for m in _CALL.finditer(text):
        method, path = m.group(1).upper(), m.group(3)
        fitting = [e for e in endpoints if e.method == method and _fits(e.path, path)]
        if fitting:
            keys.add(min(fitting, key=lambda e: len(_PARAM.findall(e.path))).key)
    return keys


def _fits(template: str, path: str) -> bool:
    pattern = "".join("[^/]+" if _PARAM.fullmatch(part) else re.escape(part)
                      for part in re.split(r"(\{[^}]*\})", template))
    return re.fullmatch(pattern, path) is not None


_DEF = re.compile(r"^\s*(async\s+)?def\s+test|^\s*class\s+Test")
_TEST_DEF = re.compile(r"^\s*(async\s+)?def\s+test")


def keys_for_test(lines: list[str], line0: int, endpoints: tuple[Endpoint, ...]) -> list[str]:
    """Endpoint keys a test function names: in its body or the comments/decorators just above it;
    else, when the whole file names one endpoint only, that one."""
    return _keys_in_test(lines, line0, endpoints) or _only_one(_named("".join(lines), endpoints))


def _keys_in_test(lines: list[str], line0: int, endpoints: tuple[Endpoint, ...]) -> list[str]:
    start = line0
    while start > 0 and lines[start - 1].lstrip().startswith(("#", "@")):
        start -= 1
    end = line0 + 1
    while end < len(lines) and not _DEF.match(lines[end]):
        end += 1
    return _named("".join(lines[start:end]), endpoints)


def _only_one(keys: list[str]) -> list[str]:
    return keys if len(keys) == 1 else []


def _named(text: str, endpoints: tuple[Endpoint, ...]) -> list[str]:
    called = called_endpoints(text, endpoints)
    return [e.key for e in endpoints if e.key in called or mentions(text, e.key)]


def count_tests(texts: dict[str, str], named: dict[str, tuple[Endpoint, ...]]) -> dict[str, int]:
    """Test functions per endpoint key (a parametrized test counts once). `named`: the endpoints each
    file names at all, so a test is only matched against those (a few, not the whole project)."""
    counts: dict[str, int] = {}
    for rel, text in texts.items():
        endpoints = named.get(rel, ())
        if not endpoints:
            continue
        lines = text.splitlines(keepends=True)
        whole = _only_one([e.key for e in endpoints])
        for line0, line in enumerate(lines):
            if _TEST_DEF.match(line):
                for key in _keys_in_test(lines, line0, endpoints) or whole:
                    counts[key] = counts.get(key, 0) + 1
    return counts


def stale_tests(project: Project, texts: dict[str, str]) -> dict[str, tuple[StaleTest, ...]]:
    """Generated test files whose `# seamline: endpoint` marker no longer fits the endpoint: its
    signature fingerprint changed, or its path did (found again by handler and method)."""
    sigs = fingerprints(project)
    by_key: dict[str, list[Endpoint]] = {}
    by_handler: dict[tuple[str, str], list[Endpoint]] = {}
    for e in project.endpoints:
        by_key.setdefault(e.key, []).append(e)
        by_handler.setdefault((e.handler, e.method), []).append(e)
    out: dict[str, list[StaleTest]] = {}
    for rel, text in texts.items():
        if PREFIX not in text:
            continue
        for mark in read_marks(text):
            same_key = by_key.get(mark.key, [])
            found = [e for e in same_key if e.handler == mark.handler] or same_key
            path_changed = not found
            if path_changed:
                found = by_handler.get((mark.handler, mark.method), [])
            if len(found) != 1:
                continue  # gone, or ambiguous: nothing to point at
            endpoint = found[0]
            if path_changed or sigs[endpoint] != mark.sig:
                out.setdefault(endpoint.key, []).append(StaleTest(file=rel, line=mark.line, recorded=mark.key,
                                                                  path_changed=path_changed))
    return {k: tuple(v) for k, v in out.items()}


def test_files(root: Path, output: str) -> dict[str, str]:
    """Text of each .py file under the tests output folder, by relative path."""
    folder = root / output
    out: dict[str, str] = {}
    if not folder.is_dir():
        return out
    for path in sorted(folder.rglob("*.py")):
        try:
            if path.stat().st_size > MAX_TEST_FILE_BYTES:
                continue
            out[path.relative_to(root).as_posix()] = path.read_text(encoding="utf-8", errors="replace")
        except OSError as e:
            log.info("cannot read %s (%s); treated as absent", path, e)
    return out


def build_snapshot(root: Path, index: Index, settings: Settings, changed: list[str] | None = None) -> Snapshot:
    """`changed`: the files edited since the last snapshot, when known (the scan then re-reads
    only those); None scans the workspace afresh."""
    project = scan(root, index=index, changed=changed)
    by_file: dict[str, list[Endpoint]] = {}
    for e in project.endpoints:
        by_file.setdefault(e.file, []).append(e)
    texts = test_files(root, settings.tests_output)
    called = {rel: called_endpoints(text, project.endpoints) for rel, text in texts.items()}
    tests = {e.key: tuple(rel for rel, text in texts.items() if e.key in called[rel] or mentions(text, e.key))
             for e in project.endpoints}
    named = {rel: tuple(e for e in project.endpoints if rel in tests[e.key]) for rel in texts}
    plan = plan_compose(project, root, images=settings.images, regenerate="the Seamline editor action "
                        "\"Update compose test environment\", or `seamline gen compose`")
    compose = plan if plan.text is not None else None
    existing = find_compose_files(root)
    drift_findings: tuple[Finding, ...] = ()
    if existing:
        try:
            doc = yaml.safe_load(existing[0].read_text(encoding="utf-8", errors="replace"))
        except yaml.YAMLError as e:
            log.info("%s is not valid YAML (%s); no drift check", existing[0], e)
        else:
            drift_findings = tuple(drift(project.services, doc,
                                         compose_file=existing[0].relative_to(root).as_posix()))
    return Snapshot(root=root, project=project, by_file={k: tuple(v) for k, v in by_file.items()}, tests=tests,
                    compose=compose, compose_file=existing[0].relative_to(root).as_posix() if existing else None,
                    drift=drift_findings, test_counts=count_tests(texts, named),
                    stale=stale_tests(project, texts))


def test_status(snapshot: Snapshot, key: str, results: dict[str, list[dict]]) -> str:
    """"failed" (in the last run) | "stale" (its generated test was made for another signature) |
    "passed" (in the last run) | "tested" (a test mentions it, not run yet) | "untested"; the
    values of the client's `TestStatus` (extension/src/protocol.ts)."""
    ran = results.get(key)
    if ran and any(r["outcome"] in ("failed", "error") for r in ran):
        return "failed"
    if snapshot.stale.get(key):
        return "stale"
    if ran:
        return "passed"
    return "tested" if snapshot.tests.get(key) else "untested"
