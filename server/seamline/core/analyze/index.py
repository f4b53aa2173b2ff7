"""The file index: source -> ModuleFacts, cached by content hash in memory and on disk.

The Index is owned by its caller (the CLI run, the language server's workspace); there are
no module-level caches. A warm scan reads each file and hashes it, but parses only files
whose hash is new; one edited buffer re-extracts one module.
"""

from __future__ import annotations

import ast
import hashlib
import logging
import marshal
import os
import pickle
import stat
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from ..model import Finding
from .discover import MAX_FILE_BYTES, SourceFile
from .facts import FACTS_VERSION, ModuleFacts, extract

log = logging.getLogger(__name__)

# Bump when linker output changes for the same facts, so cached links are not reused.
LINK_VERSION = 1


class FileResult:
    """One file's analysis. Facts from the disk cache stay marshalled until someone reads
    them: a warm scan whose apps all hit the link cache never needs them."""

    __slots__ = ("_facts", "_raw", "findings", "digest", "lines")

    def __init__(self, facts: ModuleFacts | None, findings: tuple[Finding, ...] = (), digest: str = "",
                 *, raw: bytes | None = None, lines: int = 0) -> None:
        self._facts = facts
        self._raw = raw
        self.findings = findings
        self.digest = digest  # sha1 of the bytes analysed (disk or unsaved buffer)
        self.lines = facts.lines if facts is not None else lines

    @property
    def facts(self) -> ModuleFacts | None:
        if self._raw is not None:
            self._facts = ModuleFacts.from_tuple(marshal.loads(self._raw))
            self._raw = None
        return self._facts

    def cache_entry(self) -> tuple:
        raw = self._raw if self._raw is not None else (
            marshal.dumps(self._facts.to_tuple()) if self._facts is not None else None)
        return (raw, tuple(_finding_dict(x) for x in self.findings), self.lines)


def default_cache_dir(root: Path) -> Path:
    """Per-workspace cache outside the user's tree, so a scan never writes into the project."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    digest = hashlib.sha1(str(root.resolve()).encode()).hexdigest()[:16]
    return base / "seamline" / digest


@dataclass
class Index:
    cache_dir: Path | None = None
    _memory: dict[tuple[str, str, str], FileResult] = field(default_factory=dict)
    _overlay: dict[str, str] = field(default_factory=dict)  # abs path -> unsaved buffer text
    parsed: int = 0  # files parsed in the last `load` (for tests and benchmarks)
    _disk_keys: set = field(default_factory=set)
    _disk_stale: bool = False  # editor rescans changed files the disk cache does not have yet
    # the last load's answer per relative path: (module, cache key, result), for `only=` loads
    _last_out: dict = field(default_factory=dict)
    # digest of the last read of the requirements/.env/compose files, per workspace root
    other_files_digest: dict = field(default_factory=dict)
    # the last discovery per workspace root, reused when the caller names the changed files
    last_discovery: dict = field(default_factory=dict)
    # workspace root -> app -> digest of what its analysis read, for the apps an editor rescan
    # leaves alone
    app_digests: dict = field(default_factory=dict)
    linked: int = 0  # apps linked (not served from the link cache) in the last scan
    from_cache: int = 0  # apps served from the link cache in the last scan (their memos may be empty)
    # app root -> (digest of everything the app's analysis read, pickled AppAnalysis)
    _links: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    _links_loaded: bool = False
    _link_values: dict[str, tuple[str, object]] = field(default_factory=dict)
    _links_dirty: bool = False
    # per-app helpers that outlive one scan (e.g. jedi's answers), keyed by app folder
    app_state: dict[str, dict] = field(default_factory=dict)

    # unsaved editor buffers win over the disk ------------------------------------------------
    def set_overlay(self, path: Path, text: str) -> None:
        self._overlay[str(path.resolve())] = text

    def clear_overlay(self, path: Path) -> None:
        self._overlay.pop(str(path.resolve()), None)

    def load(self, files: list[SourceFile], *, only: set[str] | None = None) -> dict[str, FileResult]:
        """FileResult per relative path. With `only` (relative paths the caller knows changed),
        every other file keeps the result of the previous `load` without being read again."""
        self.parsed = 0
        disk = self._read_disk_cache()
        out: dict[str, FileResult] = {}
        live: dict[tuple[str, str, str], FileResult] = {}
        dirty = False
        previous = self._last_out if only is not None else {}
        for f in files:
            kept = previous.get(f.rel) if f.rel not in (only or ()) else None
            if kept is not None and kept[0] == f.module:
                live[kept[1]] = kept[2]
                out[f.rel] = kept[2]
                continue
            data, finding = self._read(f)
            if data is None:
                out[f.rel] = FileResult(None, (finding,) if finding else ())
                continue
            digest = hashlib.sha1(data).hexdigest()
            key = (f.rel, f.module, digest)
            res = self._memory.get(key)
            if res is None and disk is not None:
                cached = disk.get(key)
                if cached is not None:
                    raw, findings, lines = cached
                    res = FileResult(None, tuple(Finding(**d) for d in findings), digest, raw=raw, lines=lines)
            if res is None:
                res = analyse_source(data, f)
                res.digest = digest
                self.parsed += 1
                dirty = True
            live[key] = res
            out[f.rel] = res
        known = self._disk_keys if disk is not None else set(self._memory)
        # An editor rescan (`only`) leaves the disk alone: marshalling every file's facts costs
        # far more than re-reading one file. The next full scan writes what it put off.
        if only is not None:
            self._disk_stale |= dirty or set(live) != known
        elif dirty or set(live) != known or self._disk_stale:
            self._write_disk_cache(live)
            self._disk_stale = False
        self._memory = live  # evicts entries of deleted/changed files
        by_result = {id(r): k for k, r in live.items()}
        self._last_out = {rel: (k[1], k, r) for rel, r in out.items()
                          if (k := by_result.get(id(r))) is not None}
        return out

    def _read(self, f: SourceFile) -> tuple[bytes | None, Finding | None]:
        overlay = self._overlay.get(str(f.path))
        if overlay is not None:
            return overlay.encode("utf-8", errors="surrogatepass"), None
        try:
            st = f.path.stat()
            if not stat.S_ISREG(st.st_mode):  # a FIFO or device named *.py would block or lie
                return None, Finding(code="not-a-file", severity="info", file=f.rel,
                                     message=f"{f.rel} is not a regular file; skipped.")
            size = st.st_size
            if size > MAX_FILE_BYTES:
                return None, Finding(code="file-too-large", severity="info", file=f.rel,
                                     message=f"{f.rel} is {size // 1024} KiB; files over "
                                             f"{MAX_FILE_BYTES // 1_000_000} MB are treated as generated and skipped.")
            return f.path.read_bytes(), None
        except OSError as e:
            return None, Finding(code="unreadable", severity="warning", file=f.rel,
                                 message=f"Cannot read {f.rel}: {e.strerror or e}; skipped.")

    # linked results per app: a scan where nothing an app reads changed skips linking it ----------
    def cached_link(self, app: str, digest: str) -> object | None:
        if not self._links_loaded:
            self._links_loaded = True
            path = self._links_file()
            if path is not None and path.exists() and not self._links:
                try:
                    self._links = pickle.loads(path.read_bytes())
                except (OSError, pickle.UnpicklingError, EOFError, AttributeError, TypeError, ValueError) as e:
                    log.warning("ignoring unreadable link cache %s: %s", path, e)
        live = self._link_values.get(app)
        if live is not None and live[0] == digest:
            return live[1]  # this Index linked or loaded it already: no unpickling
        hit = self._links.get(app)
        if hit is None or hit[0] != digest or hit[1] is None:
            return None
        try:
            value = pickle.loads(hit[1])
        except (pickle.UnpicklingError, EOFError, AttributeError, TypeError, ValueError):
            return None
        self._link_values[app] = (digest, value)
        return value

    def store_link(self, app: str, digest: str, value: object) -> None:
        """Keep the value for this Index; it is pickled for the disk only when `save_links` runs."""
        self._link_values[app] = (digest, value)
        self._links[app] = (digest, None)  # pickled lazily
        self._links_dirty = True

    def save_links(self, apps: list[str], *, persist: bool = True) -> None:
        """Drop apps that no longer exist and, with `persist`, write the link cache to disk.
        The editor's rescans of one file pass persist=False: pickling a big app costs more than
        the rescan itself, and a stale disk entry is only a cache miss later."""
        self._link_values = {a: v for a, v in self._link_values.items() if a in apps}
        kept = {a: v for a, v in self._links.items() if a in apps}
        self._links_dirty |= len(kept) != len(self._links)
        self._links = kept
        if not persist or not self._links_dirty:
            return
        for app, (digest, blob) in list(self._links.items()):
            if blob is None and app in self._link_values:
                self._links[app] = (digest, pickle.dumps(self._link_values[app][1],
                                                         protocol=pickle.HIGHEST_PROTOCOL))
        self._write_links()
        self._links_dirty = False

    def _write_links(self) -> None:
        path = self._links_file()
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".tmp{os.getpid()}")
            tmp.write_bytes(pickle.dumps(self._links, protocol=pickle.HIGHEST_PROTOCOL))
            os.replace(tmp, path)
        except OSError as e:
            log.warning("could not write link cache %s: %s", path, e)

    def _links_file(self) -> Path | None:
        return self.cache_dir / f"links-v{FACTS_VERSION}-{LINK_VERSION}.pickle" if self.cache_dir else None

    # on-disk cache: one marshal file; written atomically ---------------------------------------
    def _cache_file(self) -> Path | None:
        return self.cache_dir / f"facts-v{FACTS_VERSION}-lazy.marshal" if self.cache_dir else None

    def _read_disk_cache(self) -> dict | None:
        path = self._cache_file()
        if path is None or self._memory or not path.exists():
            return None
        try:
            disk = marshal.loads(path.read_bytes())
        except (OSError, ValueError, EOFError, TypeError) as e:
            log.warning("ignoring unreadable scan cache %s: %s", path, e)
            return None
        if not isinstance(disk, dict):
            return None
        self._disk_keys = set(disk)
        return disk

    def _write_disk_cache(self, live: dict) -> None:
        path = self._cache_file()
        if path is None:
            return
        payload = {k: r.cache_entry() for k, r in live.items()}
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".tmp{os.getpid()}")
            tmp.write_bytes(marshal.dumps(payload))
            os.replace(tmp, path)
        except OSError as e:
            log.warning("could not write scan cache %s: %s", path, e)


def _finding_dict(f: Finding) -> dict:
    return {"code": f.code, "message": f.message, "severity": f.severity, "file": f.file, "line": f.line,
            "app": f.app}


def analyse_source(data: bytes, f: SourceFile) -> FileResult:
    """Decode and parse one file. Bad input becomes a finding, never an exception."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        return FileResult(None, (Finding(code="non-utf8", severity="warning", file=f.rel, line=line, app=f.app,
                                         message=f"{f.rel} is not valid UTF-8 (byte {e.start}); skipped."),))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escape sequences etc. in user code
            tree = ast.parse(text, filename=f.rel)
    except SyntaxError as e:
        return FileResult(None, (Finding(code="syntax-error", severity="warning", file=f.rel, line=e.lineno or 0,
                                         app=f.app,
                                         message=f"{f.rel}:{e.lineno}: syntax error ({e.msg}); "
                                                 "this file was skipped, the rest was analysed."),))
    except (ValueError, RecursionError, MemoryError) as e:
        return FileResult(None, (Finding(code="parse-error", severity="warning", file=f.rel, app=f.app,
                                         message=f"{f.rel} could not be parsed ({type(e).__name__}); skipped."),))
    try:
        facts = extract(tree, module=f.module, path=f.rel, is_package=f.is_package, source=text)
    except RecursionError:
        return FileResult(None, (Finding(code="parse-error", severity="warning", file=f.rel, app=f.app,
                                         message=f"{f.rel} is nested too deeply to analyse; skipped."),))
    return FileResult(facts)
