"""What a framework linker gets to see of one app, and what it gives back."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from ..config import AppConfig
from ..model import Endpoint, Finding, OrmModel, Schema, TokenSource
from .facts import ModuleFacts
from .jedi_infer import JediInfer
from .memo import Memo
from .resolve import ALL_MODULES, Resolver

T = TypeVar("T")
Item = TypeVar("Item")


@dataclass
class AppContext:
    root: Path  # workspace root (absolute)
    app: str  # app folder relative to the root, "." for the root
    resolver: Resolver
    config: AppConfig
    findings: list[Finding] = field(default_factory=list)
    # every app root of the workspace, and each app's non-Python project files (requirements,
    # lock, .env, compose; see project_files.file_role), for analyses that read beyond .py files
    app_roots: tuple[str, ...] = ()
    other_files: dict[str, list[str]] = field(default_factory=dict)
    # a digest of those files' contents ("" when unknown), for reusing what was read from them
    other_digest: str = ""
    # per-app results analyses share (e.g. the ORM models effects_of looks up), keyed by
    # "<module>.<what>"; lives and dies with this context, so no module-level caches
    memo: dict[str, object] = field(default_factory=dict, repr=False)
    # state that outlives one scan, owned by the Index (jedi's answers, keyed by file content;
    # the memo of per-endpoint results, see memo.py)
    lasting: dict[str, object] = field(default_factory=dict, repr=False)
    # module name -> digest of its file's bytes, for reusing memoized results across scans
    # (the resolver hashes the facts of modules missing here)
    digests: dict[str, str] = field(default_factory=dict, repr=False)
    _memo: Memo | None = field(default=None, repr=False)
    _once: set[tuple[str, str, int]] = field(default_factory=set, repr=False)

    def __post_init__(self) -> None:
        if self.digests:
            self.resolver.digests.update(self.digests)
        # digests the resolver can keep from scan to scan (see Resolver.prime_digests)
        self.resolver.bindings = self.lasting_dict("bindings")
        self.resolver.absent = self.lasting_dict("absent-names")
        self.resolver.shapes = self.lasting_dict("binding-shapes")

    def lasting_dict(self, name: str) -> dict:
        """The dict kept under `name` from scan to scan (made empty the first time)."""
        found = self.lasting.get(name)
        if not isinstance(found, dict):
            found = self.lasting[name] = {}
        return found

    def per_module(self, name: str, derive: Callable[[ModuleFacts], T]) -> list[tuple[ModuleFacts, T]]:
        """`derive(m)` for every module, worked out again only for modules whose facts changed
        since the last scan (facts are immutable: the same object, the same answer). For what an
        editor rescan would otherwise ask of every module."""
        before = self.lasting_dict(name)
        now: dict[str, tuple[ModuleFacts, T]] = {}
        for m in self.resolver.iter_modules():
            hit = before.get(m.module)
            if hit is None or hit[0] is not m:
                hit = (m, derive(m))
            now[m.module] = hit
        self.lasting[name] = now
        return list(now.values())

    def jedi(self) -> JediInfer:
        """The app's jedi helper, created on first use (most scans never need it)."""
        # jedi reads whatever files it likes: a result that used it depends on all of them
        self.resolver.use(ALL_MODULES)
        found = self.lasting.get("jedi")
        if not isinstance(found, JediInfer):
            found = JediInfer(self.app_dir)
            self.lasting["jedi"] = found
        if not self.memo.get("jedi-round"):
            found.begin_round()
            self.memo["jedi-round"] = True
        return found

    @property
    def app_dir(self) -> Path:
        return self.root if self.app == "." else self.root / self.app

    def modules(self) -> list[ModuleFacts]:
        return list(self.resolver.iter_modules())

    def imports_any(self, prefixes: tuple[str, ...]) -> bool:
        """True when some module imports a package starting with one of `prefixes`."""
        return any(target.startswith(prefixes) for target in self._import_targets())

    def _import_targets(self) -> set[str]:
        """Everything the app's modules import."""
        found = self.memo.get("import-targets")
        if isinstance(found, set):
            return found
        targets: set[str] = set()
        for _m, imported in self.per_module("import-targets", lambda m: frozenset(
                [t for _a, t in m.imports] + [t for f in m.functions for _a, t in f.imports])):
            targets |= imported
        self.memo["import-targets"] = targets
        return targets

    def finding(self, code: str, message: str, *, file: str = "", line: int = 0, severity: str = "warning",
                once: bool = False) -> None:
        """Report a finding; with `once`, only the first report of `code` at a place counts
        (however many routes share the handler or helper it is about)."""
        self.report(Finding(code=code, message=message, severity=severity, file=file, line=line, app=self.app),
                    once)

    def report(self, finding: Finding, once: bool = False) -> None:
        if self._memo is not None:
            self._memo.log(finding, once)  # even when suppressed: a replay must suppress it again
        if once:
            key = (finding.code, finding.file, finding.line)
            if key in self._once:
                return
            self._once.add(key)
        self.findings.append(finding)

    # results reused across scans (memo.py) -----------------------------------------------------
    def memoized(self, key: Hashable, compute: Callable[[], T], reads: tuple[str, ...] = (),
                 keep: Callable[[T], bool] | None = None) -> T:
        """`compute()`, or its result from an earlier scan when no module it read has changed.
        The key names every input not read through the resolver; `reads` names modules whose
        facts the caller hands to `compute` directly; `keep(value)` False leaves it unkept."""
        return (self._memo or self._memos()).memoized(key, compute, reads, keep)

    def memoized_at(self, key: Hashable, file: str, line: int, extent: int, compute: Callable[[], T]) -> T:
        """`memoized` for a statement whose key holds no line of its own; lines inserted above
        it shift the result instead of computing it again (see Memo.memoized_at)."""
        return self._memos().memoized_at(key, file, line, extent, compute)

    def memoized_each(self, name: str, items: list[Item], *, key: Callable[[Item], Hashable],
                      bucket: Callable[[Item], str], compute: Callable[[Item], T],
                      reads: Callable[[Item], tuple[str, ...]] = lambda _item: ()) -> list[T]:
        """`memoized` per item, checked a bucket of items at a time (see Memo.memoized_each)."""
        return self._memos().memoized_each(name, items, key=key, bucket=bucket, compute=compute, reads=reads)

    def shared(self, name: str, compute: Callable[[], T], fingerprint: Callable[[T], str]) -> T:
        """A per-scan value derived from many modules; readers depend on its fingerprint."""
        return self._memos().shared(name, compute, fingerprint)

    def memo_counts(self) -> tuple[int, int]:
        """(computed, reused) memo entries so far in this scan."""
        memo = self._memos()
        return memo.store.computed, memo.store.reused

    def _memos(self) -> Memo:
        if self._memo is None:
            signature = repr((self.app, self.config, self.app_roots, sorted(self.other_files.items())))
            self._memo = Memo(self.resolver, self.lasting, signature, self.report)
        return self._memo


@dataclass
class LinkResult:
    endpoints: list[Endpoint] = field(default_factory=list)
    schemas: list[Schema] = field(default_factory=list)
    models: list[OrmModel] = field(default_factory=list)
    token_sources: list[TokenSource] = field(default_factory=list)
    entry: str | None = None  # "module:attr" of the app object / factory, or the Django settings module
