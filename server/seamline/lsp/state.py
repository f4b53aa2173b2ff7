"""What the server knows after an index: the scan, the endpoints per file, which generated tests
mention which endpoint, and where the compose test environment stands. Built off the event loop
in one go (`build_snapshot`), then only read, so every request answers from memory."""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..core.analyze.index import Index
from ..core.analyze.scan import scan
from ..core.generate.compose_merge import drift
from ..core.generate.fingerprint import RecordedFingerprint, fingerprint, read_fingerprints
from ..core.generate.workspace_compose import ComposePlan, find_compose_files, plan_compose
from ..core.model import Endpoint, Finding, Project, Service
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

Call = tuple[str, str]  # (METHOD, path) of one test-client call


def _calls(text: str) -> tuple[Call, ...]:
    """The test-client calls of a text: `client.post("/api/v1/items/")`, `client.get(f"/items/{item.id}")`."""
    return tuple((m.group(1).upper(), m.group(3)) for m in _CALL.finditer(text))


def _called(calls: Sequence[Call], endpoints: Sequence[Endpoint]) -> set[str]:
    """Keys of the endpoints `calls` reach. A literal path wins over a template that also fits
    ("/items/search" is the search endpoint, not `/items/{item_id}`)."""
    keys: set[str] = set()
    for method, path in calls:
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
    end = next((i for i in range(line0 + 1, len(lines)) if _DEF.match(lines[i])), len(lines))
    block = "".join(lines[_block_start(lines, line0):end])
    if found := _named(block, _calls(block), endpoints):
        return found
    whole = "".join(lines)
    return _only_one(_named(whole, _calls(whole), endpoints))


def _block_start(lines: Sequence[str], line0: int) -> int:
    """Where the test at `line0` starts: the comments and decorators just above it count."""
    start = line0
    while start > 0 and lines[start - 1].lstrip().startswith(("#", "@")):
        start -= 1
    return start


def _only_one(keys: list[str]) -> list[str]:
    return keys if len(keys) == 1 else []


def _named(text: str, calls: Sequence[Call], endpoints: Sequence[Endpoint]) -> list[str]:
    called = _called(calls, endpoints)
    return [e.key for e in endpoints if e.key in called or mentions(text, e.key)]


@dataclass(frozen=True, slots=True, kw_only=True)
class TestBlock:
    """One test function of a test file, with the comments and decorators just above it."""

    __test__ = False  # not a pytest class, whatever its name

    text: str
    calls: tuple[Call, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class TestFileFacts:
    """What a test file says whatever the project looks like; read and parsed once per version of
    the file (SnapshotCache), then matched against each snapshot's endpoints."""

    __test__ = False

    rel: str  # relative to the workspace root
    text: str
    calls: tuple[Call, ...]
    tests: tuple[TestBlock, ...]
    recorded: tuple[RecordedFingerprint, ...]  # its `# seamline: endpoint` lines


def test_file_facts(rel: str, text: str) -> TestFileFacts:
    lines = text.splitlines(keepends=True)
    defs = [i for i, line in enumerate(lines) if _DEF.match(line)]  # each line matched once
    blocks = []
    for n, line0 in enumerate(defs):
        if _TEST_DEF.match(lines[line0]):
            end = defs[n + 1] if n + 1 < len(defs) else len(lines)
            block = "".join(lines[_block_start(lines, line0):end])
            blocks.append(TestBlock(text=block, calls=_calls(block)))
    return TestFileFacts(rel=rel, text=text, calls=_calls(text), tests=tuple(blocks),
                         recorded=tuple(read_fingerprints(text)))


@dataclass(frozen=True, slots=True, kw_only=True)
class TestFileMatch:
    """A test file matched against the project's endpoints (which depends on their keys only)."""

    __test__ = False

    named: frozenset[str]  # keys of the endpoints the file names at all (calls or mentions)
    counts: dict[str, int] = field(hash=False)  # endpoint key -> test functions (a parametrized one counts once)


def match_test_file(facts: TestFileFacts, endpoints: Sequence[Endpoint]) -> TestFileMatch:
    """A test is only matched against the endpoints its file names (a few, not the whole project);
    one that names none of those counts for the file's only endpoint, if it has one."""
    called = _called(facts.calls, endpoints)
    named = [e for e in endpoints if e.key in called or mentions(facts.text, e.key)]
    counts: dict[str, int] = {}
    if named:
        whole = _only_one([e.key for e in named])
        for test in facts.tests:
            for key in _named(test.text, test.calls, named) or whole:
                counts[key] = counts.get(key, 0) + 1
    return TestFileMatch(named=frozenset(e.key for e in named), counts=counts)


def stale_tests(project: Project, files: Sequence[TestFileFacts]) -> dict[str, tuple[StaleTest, ...]]:
    """Generated test files whose `# seamline: endpoint` marker no longer fits the endpoint: its
    signature fingerprint changed, or its path did (found again by handler and method). Only the
    endpoints a marker points at are fingerprinted."""
    schemas = {s.name: s for s in project.schemas}
    by_key: dict[str, list[Endpoint]] = {}
    by_handler: dict[tuple[str, str], list[Endpoint]] = {}
    for e in project.endpoints:
        by_key.setdefault(e.key, []).append(e)
        by_handler.setdefault((e.handler, e.method), []).append(e)
    sigs: dict[Endpoint, str] = {}
    out: dict[str, list[StaleTest]] = {}
    for facts in files:
        for mark in facts.recorded:
            same_key = by_key.get(mark.key, [])
            found = [e for e in same_key if e.handler == mark.handler] or same_key
            path_changed = not found
            if path_changed:
                found = by_handler.get((mark.handler, mark.method), [])
            if len(found) != 1:
                continue  # gone, or ambiguous: nothing to point at
            endpoint = found[0]
            if endpoint not in sigs:
                sigs[endpoint] = fingerprint(endpoint, schemas)
            if path_changed or sigs[endpoint] != mark.sig:
                out.setdefault(endpoint.key, []).append(StaleTest(file=facts.rel, line=mark.line, recorded=mark.key,
                                                                  path_changed=path_changed))
    return {k: tuple(v) for k, v in out.items()}


def _read_text(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")


# A file whose mtime is this close to the moment it was looked at may change again within the same
# timestamp tick (coarse on some file systems) without its stat changing: it is not trusted to the
# cache until it is older.
RACY_NS = 1_000_000_000

Stamp = tuple[int, int, int, int]  # (mtime_ns, size, inode, ctime_ns)


def _stamp(st: os.stat_result) -> Stamp:
    return (st.st_mtime_ns, st.st_size, st.st_ino, st.st_ctime_ns)


class SnapshotCache:
    """What one snapshot can hand the next: each test file's facts by (path, stat), its match by
    the endpoint keys it was matched against, and the compose drift by (compose file stat,
    services). Owned by the server (one per workspace) and used by one `build_snapshot` at a time;
    `read` is the seam every file read goes through."""

    def __init__(self, read: Callable[[Path], str] = _read_text) -> None:
        self.read = read
        self._facts: dict[Path, tuple[Stamp, TestFileFacts]] = {}
        self._matches: dict[str, tuple[TestFileFacts, tuple[str, ...], TestFileMatch]] = {}
        self._drift: tuple[tuple[str, Stamp, tuple[Service, ...]], tuple[Finding, ...]] | None = None

    def test_files(self, root: Path, output: str) -> list[TestFileFacts]:
        """Each .py file under the tests output folder, by relative path; unchanged files are not read again."""
        folder = root / output
        facts: dict[Path, tuple[Stamp, TestFileFacts]] = {}
        if folder.is_dir():
            now = time.time_ns()
            for path in sorted(folder.rglob("*.py")):
                try:
                    st = path.stat()
                    if st.st_size > MAX_TEST_FILE_BYTES:
                        continue
                    cached = self._facts.get(path)
                    if cached is not None and cached[0] == _stamp(st) and now - st.st_mtime_ns > RACY_NS:
                        facts[path] = cached
                        continue
                    text = self.read(path)
                except OSError as e:
                    log.info("cannot read %s (%s); treated as absent", path, e)
                    continue
                if cached is not None and cached[1].text == text:  # touched, not changed: no new parse
                    facts[path] = (_stamp(st), cached[1])
                else:
                    facts[path] = (_stamp(st), test_file_facts(path.relative_to(root).as_posix(), text))
        self._facts = facts  # files gone from the folder leave the cache with this
        return [f for _, f in facts.values()]

    def matches(self, files: Sequence[TestFileFacts], endpoints: Sequence[Endpoint]) -> dict[str, TestFileMatch]:
        """`match_test_file` of each file (by relative path), again only for a file that changed or
        when the endpoint keys did."""
        keys = tuple(e.key for e in endpoints)
        kept: dict[str, tuple[TestFileFacts, tuple[str, ...], TestFileMatch]] = {}
        for f in files:
            cached = self._matches.get(f.rel)
            same = cached is not None and cached[0] is f and cached[1] == keys
            kept[f.rel] = cached if same and cached is not None else (f, keys, match_test_file(f, endpoints))
        self._matches = kept
        return {rel: m for rel, (_, _, m) in kept.items()}

    def drift(self, root: Path, compose_file: Path, services: tuple[Service, ...]) -> tuple[Finding, ...]:
        """Services the code uses that the existing compose file lacks (compose_merge.drift), read and
        parsed again only when the file or the services changed."""
        rel = compose_file.relative_to(root).as_posix()
        try:
            st = compose_file.stat()
        except OSError as e:
            log.info("cannot read %s (%s); no drift check", compose_file, e)
            return ()
        key = (rel, _stamp(st), services)
        if self._drift is not None and self._drift[0] == key:
            return self._drift[1]
        trusted = time.time_ns() - st.st_mtime_ns > RACY_NS
        try:
            doc = yaml.safe_load(self.read(compose_file))
        except yaml.YAMLError as e:
            log.info("%s is not valid YAML (%s); no drift check", compose_file, e)
            findings: tuple[Finding, ...] = ()
        else:
            findings = tuple(drift(services, doc, compose_file=rel))
        self._drift = (key, findings) if trusted else None
        return findings


def build_snapshot(root: Path, index: Index, settings: Settings, changed: list[str] | None = None,
                   cache: SnapshotCache | None = None) -> Snapshot:
    """`changed`: the files edited since the last snapshot, when known (the scan then re-reads
    only those); None scans the workspace afresh. `cache`: the previous snapshots' per-file work
    (None: a fresh one, so everything is read)."""
    cache = cache if cache is not None else SnapshotCache()
    project = scan(root, index=index, changed=changed)
    by_file: dict[str, list[Endpoint]] = {}
    for e in project.endpoints:
        by_file.setdefault(e.file, []).append(e)
    files = cache.test_files(root, settings.tests_output)
    matches = cache.matches(files, project.endpoints)
    tests = {e.key: tuple(rel for rel, m in matches.items() if e.key in m.named) for e in project.endpoints}
    counts: dict[str, int] = {}
    for m in matches.values():
        for key, n in m.counts.items():
            counts[key] = counts.get(key, 0) + n
    plan = plan_compose(project, root, images=settings.images, regenerate="the Seamline editor action "
                        "\"Update compose test environment\", or `seamline gen compose`")
    compose = plan if plan.text is not None else None
    existing = find_compose_files(root)
    drift_findings = cache.drift(root, existing[0], project.services) if existing else ()
    return Snapshot(root=root, project=project, by_file={k: tuple(v) for k, v in by_file.items()}, tests=tests,
                    compose=compose, compose_file=existing[0].relative_to(root).as_posix() if existing else None,
                    drift=drift_findings, test_counts=counts, stale=stale_tests(project, files))


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
