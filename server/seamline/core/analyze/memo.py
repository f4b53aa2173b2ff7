"""Analysis results that outlive a scan, reused while the modules they read are unchanged.

Re-linking an app after one file changed repeats the same per-endpoint work for every other
endpoint. `Memo.memoized(key, compute)` runs `compute()` while the Resolver records every module
it consults (see `Resolver.trackers`), and stores the result with each module's digest and the
findings it reported. A later scan of the same app returns the stored result when every recorded
module still has the same digest, and reports the same findings again.

The key must name everything the computation reads *not* through the Resolver (a route's path
and prefix, methods, values handed in by the caller); modules reached through it are tracked.
`iter_modules()` inside a computation records a dependency on every module, so per-endpoint
code should not iterate. Values derived from many modules (the ORM model index) are `shared`:
computed once per scan, they count as one dependency named "@<name>" whose digest is a
fingerprint of the value, so a handler edit that leaves every model alone keeps the entries that
read the index.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import TypeVar

from ..model import Finding
from .resolve import Resolver

log = logging.getLogger(__name__)

LASTING_KEY = "memo"  # where an app's Memo lives in AppContext.lasting

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class _Entry:
    value: object
    deps: tuple[tuple[str, str | None], ...]  # (module or "@derived" name, digest when computed)
    reports: tuple[tuple[Finding, bool], ...]  # findings reported while computing, and whether "once"
    # memoized computations it ran: their deps are among its own, so they are valid when it is
    children: tuple[Hashable, ...] = ()


@dataclass(slots=True)
class _Store:
    """What one app keeps between scans: the entries the last scan used, under the signature of
    the inputs every entry shares (config, app roots, project files)."""

    signature: str
    entries: dict[Hashable, _Entry] = field(default_factory=dict)
    computed: int = 0  # entries computed in the last scan that used the memo (for tests and benchmarks)
    reused: int = 0  # entries reused from earlier scans in it


class Memo:
    """One scan's view of an app's memo. Entries the scan does not use are dropped after it."""

    def __init__(self, resolver: Resolver, lasting: dict[str, object], signature: str,
                 report: Callable[[Finding, bool], None]) -> None:
        self.resolver = resolver
        old = lasting.get(LASTING_KEY)
        self.previous: dict[Hashable, _Entry] = (
            old.entries if isinstance(old, _Store) and old.signature == signature else {})
        self.store = _Store(signature)
        lasting[LASTING_KEY] = self.store
        self.report = report
        self.logs: list[list[tuple[Finding, bool]]] = []  # findings of running computations, innermost last
        self.children: list[list[Hashable]] = []  # memo keys each running computation used
        self.values: dict[str, object] = {}  # shared values of this scan, by "@name"

    def log(self, finding: Finding, once: bool) -> None:
        if self.logs:
            self.logs[-1].append((finding, once))

    def memoized(self, key: Hashable, compute: Callable[[], T], reads: tuple[str, ...] = ()) -> T:
        """`compute()`, or what it returned in an earlier scan if nothing it read has changed.
        `reads` names modules the computation reads from facts handed to it (not looked up)."""
        r = self.resolver
        for name in reads:
            r.use(name)
        if self.children:
            self.children[-1].append(key)
        entry = self.store.entries.get(key)
        if entry is None:
            entry = self.previous.pop(key, None)
            if entry is not None and all(r.digest_of(name) == digest for name, digest in entry.deps):
                self.store.entries[key] = entry
                self.store.reused += 1
                self._keep_children(entry)
            else:
                entry = None
        if entry is not None:
            if r.trackers:
                r.trackers[-1].update(name for name, _digest in entry.deps)
            for finding, once in entry.reports:
                self.report(finding, once)
            return entry.value  # type: ignore[return-value]
        consulted = r.begin()
        reports: list[tuple[Finding, bool]] = []
        children: list[Hashable] = []
        self.logs.append(reports)
        self.children.append(children)
        try:
            value = compute()
        finally:
            self.logs.pop()
            self.children.pop()
            if self.logs:
                self.logs[-1].extend(reports)
            deps = r.end(consulted)
        self.store.entries[key] = _Entry(value, tuple((name, r.digest_of(name)) for name in sorted(deps)),
                                         tuple(reports), tuple(dict.fromkeys(children)))
        self.store.computed += 1
        return value

    def _keep_children(self, entry: _Entry) -> None:
        """A reused result never runs its inner computations: keep their entries for the day it
        is invalidated while they are not (a route's handler edited, its helpers untouched)."""
        stack = list(entry.children)
        while stack:
            key = stack.pop()
            child = self.previous.pop(key, None)
            if child is not None and key not in self.store.entries:
                self.store.entries[key] = child
                stack.extend(child.children)

    def shared(self, name: str, compute: Callable[[], T], fingerprint: Callable[[T], str]) -> T:
        """A value derived from many modules, computed once per scan. Whoever reads it depends
        on its fingerprint, not on every module that went into it."""
        key = "@" + name
        r = self.resolver
        if key not in self.values:
            saved = r.trackers, self.logs, self.children
            r.trackers, self.logs, self.children = [], [], []  # its reads and findings belong to no entry
            try:
                value = compute()
            finally:
                r.trackers, self.logs, self.children = saved
            self.values[key] = value
            r.derived[key] = fingerprint(value)
        r.use(key)
        return self.values[key]  # type: ignore[return-value]
