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

Lines inserted above a class move it (and every class below it) without changing what a linker
reads of it. An entry whose only changed dependencies are bindings that kept their shape (see
`resolve.binding_shape`) is reused with the lines in its value and findings shifted, when every
line in them is one relocation can place: a `line`, `span` or `decorator_lines` of a model value
that names its file. A value holding any other number is computed again.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field, fields, is_dataclass, replace
from operator import itemgetter
from typing import TypeVar

from .. import model
from ..model import Finding
from .resolve import BINDING, Resolver

log = logging.getLogger(__name__)

LASTING_KEY = "memo"  # where an app's Memo lives in AppContext.lasting

T = TypeVar("T")
Item = TypeVar("Item")

_BUCKETS = 32  # buckets of `Memo.memoized_each`: a few dozen checks per scan instead of one per item


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
    lines: dict[Hashable, int] = field(default_factory=dict)  # key of `memoized_at` -> the line it was last at
    swept: int = 0  # entries left by the last sweep
    computed: int = 0  # entries computed in the last scan that used the memo (for tests and benchmarks)
    reused: int = 0  # entries reused from earlier scans in it
    moved: int = 0  # of those, entries reused with their lines shifted

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
            self.lines = {k: n for k, n in self.lines.items() if (k, n) in keep}
            self.swept = len(keep)
        self.checked = set()
        self.computed = self.reused = self.moved = 0


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


Moves = dict[str, list[tuple[int, int, int]]]  # file -> (first line, last line, shift) of moved bindings


def _moves(r: Resolver, entry: _Entry) -> Moves | None:
    """Where the bindings `entry` read moved to, when every dependency that changed is a binding
    that kept its shape; None when something really changed (or a shift would be ambiguous).
    Every name is in the digest cache (`_unchanged` has run)."""
    cache = r.digest_cache
    moves: Moves = {}
    for name, old in zip(entry.names, entry.digests):
        if cache[name] == old:
            continue
        if BINDING not in name:
            return None
        before, after = r.shape_had(old), r.shape_of(name)
        if before is None or after is None or before[:2] != after[:2]:
            return None
        moves.setdefault(before[1], []).append((before[2], before[3], after[2] - before[2]))
    for spans in moves.values():
        spans.sort()
        for (_lo, hi, shift), (lo2, _hi2, shift2) in zip(spans, spans[1:]):
            if lo2 <= hi and shift != shift2:
                return None
    return moves


class _Unmovable(Exception):
    """A value holds a number relocation cannot tell from a line."""


def _shifted(moves: Moves, file: str, line: int) -> int:
    for lo, hi, shift in moves.get(file, ()):
        if lo <= line <= hi:
            return line + shift
    return line


_PLAIN = (str, bool, float, type(None))


def _relocated(x: object, moves: Moves, *, in_model: bool = False) -> object:
    """`x` with the lines of moved bindings shifted. Outside a model value a bare int could be a
    line of anything, so it makes the value unmovable."""
    t = type(x)
    if t in _PLAIN or (t is int and in_model):
        return x
    if t is tuple or t is list:
        return t(_relocated(v, moves, in_model=in_model) for v in x)  # type: ignore[attr-defined]
    if t is dict:
        return {_relocated(k, moves, in_model=in_model): _relocated(v, moves, in_model=in_model)
                for k, v in x.items()}  # type: ignore[attr-defined]
    if is_dataclass(x) and t.__module__ == model.__name__ and t is not model.Span:
        return _relocated_model(x, moves)
    raise _Unmovable(t.__name__)


_LOCATED = ("line", "end_line", "decorator_lines", "span")  # fields relocation shifts


def _plan(t: type) -> tuple[tuple[str, str], ...]:
    """What relocation does with each field of model class `t` that may hold a line: shift it,
    or look inside it (a field whose type names a model class with lines, or any object)."""
    found = _PLANS.get(t)
    if found is None:
        located = [c.__name__ for c in vars(model).values()
                   if isinstance(c, type) and is_dataclass(c) and "line" in {f.name for f in fields(c)}]
        plan = []
        for f in fields(t):
            kind = str(f.type)
            if f.name in _LOCATED:
                plan.append((f.name, f.name))
            elif any(name in kind for name in located) or "object" in kind or "Any" in kind:
                plan.append((f.name, "inside"))
        found = _PLANS[t] = tuple(plan)
    return found


_PLANS: dict[type, tuple[tuple[str, str], ...]] = {}


def _relocated_model(x: object, moves: Moves) -> object:
    file = getattr(x, "file", None)
    changes: dict[str, object] = {}
    for name, how in _plan(type(x)):
        v = getattr(x, name)
        if how == "inside":
            new = _relocated(v, moves, in_model=True)
        elif v is None or (how == "line" and v == 0):
            continue
        elif not isinstance(file, str):
            raise _Unmovable(f"{type(x).__name__}.{name}")
        elif how == "decorator_lines":
            where = getattr(x, "route_file", None) or file
            new = tuple(_shifted(moves, where, n) for n in v)
        elif how == "span":
            new = replace(v, line=_shifted(moves, file, v.line), end_line=_shifted(moves, file, v.end_line))
        else:
            new = _shifted(moves, file, v)
        if new != v:
            changes[name] = new
    return replace(x, **changes) if changes else x  # type: ignore[type-var]


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
                entry = self._moved(key, entry)
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

    def memoized_each(self, name: str, items: list[Item], *, key: Callable[[Item], Hashable],
                      bucket: Callable[[Item], str], compute: Callable[[Item], T],
                      reads: Callable[[Item], tuple[str, ...]] = lambda _item: ()) -> list[T]:
        """`[memoized((name, key(item)), lambda: compute(item), reads(item)) for item in items]`,
        checked a bucket at a time. Per-item analyses over every module (which classes are
        models, what each module says about services) would otherwise check one entry per
        module on every scan; grouped into `_BUCKETS` entries by `bucket(item)` (a stable name,
        such as the module's), an edit costs a check per bucket plus one per item of the bucket
        it touched. A bucket's key lists its items' keys, so a new or removed item changes
        only its own bucket."""
        groups: dict[int, list[Item]] = {}
        for item in items:
            groups.setdefault(zlib.crc32(bucket(item).encode()) % _BUCKETS, []).append(item)
        by_key: dict[Hashable, T] = {}
        for number, members in groups.items():
            keys = tuple(key(m) for m in members)

            def each(members: list[Item] = members, keys: tuple[Hashable, ...] = keys) -> tuple[T, ...]:
                return tuple(self.memoized((name, k), lambda m=m: compute(m), reads(m))  # type: ignore[misc]
                             for m, k in zip(members, keys))

            by_key.update(zip(keys, self.memoized((name, "bucket", number, keys), each)))
        return [by_key[key(item)] for item in items]

    def memoized_at(self, key: Hashable, file: str, line: int, extent: int, compute: Callable[[], T]) -> T:
        """`memoized((key, line), compute)` for a computation about the statement at lines
        `line`..`line + extent` of `file`, whose `key` says everything else about it (with the
        lines inside the statement counted from `line`, see resolve.relative_expr). When lines
        above the statement were added or removed (a `path()` added at the top of a urlconf), the
        entry computed at its old line is reused with its lines shifted, if nothing it read changed."""
        store = self.store
        here = (key, line)
        last = store.lines.get(key)
        store.lines[key] = line
        if last is not None and last != line and here not in store.entries:
            old = store.entries.get((key, last))
            if old is not None and _unchanged(self.resolver, old):
                self._relocate(here, old, {file: [(last, last + extent, line - last)]})
        return self.memoized(here, compute)

    def _moved(self, key: Hashable, entry: _Entry) -> _Entry | None:
        """`entry` with its lines shifted, stored as valid now, when what it read only moved."""
        moves = _moves(self.resolver, entry)
        return None if moves is None else self._relocate(key, entry, moves)

    def _relocate(self, key: Hashable, entry: _Entry, moves: Moves) -> _Entry | None:
        """`entry` with the lines `moves` names shifted, stored under `key` as valid now; None
        when its value holds a number relocation cannot place."""
        r = self.resolver
        try:
            value = _relocated(entry.value, moves)
            reports = tuple((_relocated(f, moves), once) for f, once in entry.reports)
        except _Unmovable as exc:
            log.debug("memo entry %r holds %s: computed again", key, exc)
            return None
        digests = _digests(r, entry.names)
        moved = _Entry(value, entry.names, digests, reports, entry.children,  # type: ignore[arg-type]
                       *_getter(entry.names, digests))
        store = self.store
        store.entries[key] = moved
        store.checked.add(key)
        store.reused += 1
        store.moved += 1
        return moved

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
