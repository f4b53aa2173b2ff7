"""Analysis results that outlive a scan, reused while the modules they read are unchanged.

Re-linking an app after one file changed repeats the same per-endpoint work for every other
endpoint. `Memo.memoized(key, compute)` runs `compute()` while the Resolver records everything
it consults (see `Resolver.trackers`: whole modules, or just what a module binds a name to), and
stores the result with each one's digest and the findings it reported. A later scan of the same
app returns the stored result when everything recorded still has the same digest, and reports the
same findings again.

The key must name everything the computation reads *not* through the Resolver (a route's path
and prefix, methods, values handed in by the caller); modules reached through it are tracked.
`iter_modules()` inside a computation records a dependency on every module, so per-endpoint
code should not iterate. Values derived from many modules (the ORM model index) are `shared`:
computed once per scan, they count as one dependency named "@<name>" whose digest is a
fingerprint of the value, so a handler edit that leaves every model alone keeps the entries that
read the index. A linker may set such a derived digest itself (`Resolver.derived`) for a value it
builds from memoized parts, before anything that reads it is checked.

A reused entry stands for every entry it used while it was computed (its `children`): they stay
in the store untouched, so reusing a whole subtree of work costs one check.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from operator import itemgetter
from typing import TypeVar

from ..model import Finding
from .resolve import BINDING, Resolver

log = logging.getLogger(__name__)

LASTING_KEY = "memo"  # where an app's Memo lives in AppContext.lasting

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class _Entry:
    value: object
    names: tuple[str, ...]  # what it read: modules, "module::name" bindings, "@derived" names ...
    # each name's digest when it was computed; a derived digest may be any value that compares
    # equal exactly when what it stands for is unchanged (see Resolver.derive)
    digests: tuple[object, ...]
    reports: tuple[tuple[Finding, bool], ...]  # findings reported while computing, and whether "once"
    # memoized computations it ran: their deps are among its own, so they are valid when it is
    children: tuple[Hashable, ...] = ()
    # reads all the names' digests out of the resolver's cache at C speed (KeyError when one
    # is not worked out yet), and what it gives when nothing changed
    getter: Callable[[dict], object] | None = None
    expected: object = None


_SWEEP_SLACK = 1000  # entries a store may gain over its last sweep before it is swept again


@dataclass(slots=True)
class _Store:
    """What one app keeps between scans, under the signature of the inputs every entry shares
    (config, app roots, project files)."""

    signature: str
    entries: dict[Hashable, _Entry] = field(default_factory=dict)
    # keys the current (or last) scan checked or computed: valid in it, and the roots of a sweep
    checked: set[Hashable] = field(default_factory=set)
    swept: int = 0  # entries left by the last sweep
    computed: int = 0  # entries computed in the last scan that used the memo (for tests and benchmarks)
    reused: int = 0  # entries reused from earlier scans in it

    def begin_scan(self) -> None:
        """A reused entry keeps its inner entries without touching them (that is what makes
        reusing a whole subtree cheap), so entries are not dropped per scan. Entries that
        nothing the last scan used can reach (a route whose line moved, a deleted handler)
        are dropped once enough of them have piled up."""
        if not self.swept:  # the first scan computed them all: every entry is in use
            self.swept = len(self.entries)
        elif len(self.entries) > 2 * self.swept + _SWEEP_SLACK:
            keep: dict[Hashable, _Entry] = {}
            stack = [k for k in self.checked if k in self.entries]
            while stack:
                key = stack.pop()
                if key not in keep:
                    entry = keep[key] = self.entries[key]
                    stack.extend(k for k in entry.children if k in self.entries and k not in keep)
            self.entries = keep
            self.swept = len(keep)
        self.checked = set()
        self.computed = self.reused = 0


def _unchanged(r: Resolver, entry: _Entry) -> bool:
    """Whether everything `entry` read still has the digest it had. The digests worked out so far
    answer at C speed (an entry of a whole subtree of routes reads thousands of names); when one
    is not worked out yet, they are asked for one by one."""
    if entry.getter is None:
        return True
    cache = r.digest_cache
    try:
        return entry.getter(cache) == entry.expected
    except KeyError:
        for name in entry.names:
            if name not in cache:
                r.digest_of(name)  # caches it
        return entry.getter(cache) == entry.expected


def _getter(names: tuple[str, ...], digests: tuple[object, ...]) -> tuple[Callable[[dict], object] | None, object]:
    if not names:
        return None, None
    return itemgetter(*names), (digests if len(names) > 1 else digests[0])


def _digests(r: Resolver, names: tuple[str, ...]) -> tuple[object, ...]:
    cache = r.digest_cache
    return tuple(cache[name] if name in cache else r.digest_of(name) for name in names)


def _pruned(deps: frozenset[str]) -> tuple[str, ...]:
    """The names to check, without what a whole-module dependency already covers ("m::x" when
    "m" is there): a per-module analysis reads its module whole, and its lookups in it need no
    separate check."""
    whole = [n for n in deps if BINDING not in n]
    if len(whole) == len(deps):
        return tuple(deps)
    modules = set(whole)
    return tuple(n for n in deps if n.partition(BINDING)[0] not in modules or BINDING not in n)


class Memo:
    """One scan's view of an app's memo."""

    def __init__(self, resolver: Resolver, lasting: dict[str, object], signature: str,
                 report: Callable[[Finding, bool], None]) -> None:
        self.resolver = resolver
        old = lasting.get(LASTING_KEY)
        self.store = old if isinstance(old, _Store) and old.signature == signature else _Store(signature)
        self.store.begin_scan()
        lasting[LASTING_KEY] = self.store
        resolver.prime_digests()
        self.report = report
        self.logs: list[list[tuple[Finding, bool]]] = []  # findings of running computations, innermost last
        self.children: list[list[Hashable]] = []  # memo keys each running computation used
        self.values: dict[str, object] = {}  # shared values of this scan, by "@name"

    def log(self, finding: Finding, once: bool) -> None:
        if self.logs:
            self.logs[-1].append((finding, once))

    def memoized(self, key: Hashable, compute: Callable[[], T], reads: tuple[str, ...] = (),
                 keep: Callable[[T], bool] | None = None) -> T:
        """`compute()`, or what it returned in an earlier scan if nothing it read has changed.
        `reads` names modules the computation reads from facts handed to it (not looked up).
        `keep(value)` False: not worth keeping (a value that reads nearly everything is
        invalidated by nearly every edit, so checking it would only cost time)."""
        r = self.resolver
        if self.children:
            self.children[-1].append(key)
        store = self.store
        entry = store.entries.get(key)
        if entry is not None and key not in store.checked:
            if _unchanged(r, entry):
                store.checked.add(key)
                store.reused += 1
            else:
                entry = None
        if entry is not None:
            if r.trackers:
                r.trackers[-1].update(entry.names)
            for finding, once in entry.reports:
                self.report(finding, once)
            return entry.value  # type: ignore[return-value]
        consulted = r.begin()
        consulted.update(reads)  # the entry depends on them (and so, through it, does its caller)
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
        store.computed += 1
        if keep is not None and not keep(value):
            return value
        names = _pruned(deps)
        digests = tuple(r.digest_of(name) for name in names) if len(names) < 8 else _digests(r, names)
        store.entries[key] = _Entry(value, names, digests, tuple(reports), tuple(dict.fromkeys(children)),
                                    *_getter(names, digests))
        store.checked.add(key)
        return value

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
            r.derive(key, fingerprint(value))
        r.use(key)
        return self.values[key]  # type: ignore[return-value]
