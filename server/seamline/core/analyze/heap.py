"""How a scan and the process around it keep CPython's cyclic collector off the hot path.

During a scan (`paused`): the collector is off. A cold scan builds the facts of every file, and
each full collection on the way walks all facts built so far; that was about a fifth of a cold
scan's time. What a scan allocates is freed by reference counting (ASTs and facts hold no
cycles); the little cyclic garbage it leaves is collected once the collector is back on.

After a scan, in a long-running process (the language server; `settle`):

An Index keeps a large, long-lived heap: facts of every file, and each app's memo. CPython's
collector runs a full collection whenever the objects that survived into the oldest generation
since the last one exceed a quarter of it; a full collection walks that whole heap (about 40 ms
for the 1,000-module benchmark workspace) and lands on whatever scan allocates at that moment,
so every few rescans one of them took 2-5x its usual time.

So every scan that linked an app (the first index, priming, and each editor rescan, which
re-links its app through the memo) is followed by one collection and `gc.freeze()`: what the
index holds leaves the collector's reach, and the collection after a rescan only walks the few
hundred objects it made since the last freeze. Frozen objects are still freed by reference
counting when the Index drops them; only a reference cycle among them would outlive its use, and
analysis results (facts, memo entries, model objects) hold none: 700 rescans of a 300-module
benchmark workspace, frozen after each, ended at 113 MB resident against 114-119 MB with no
freezing at all.

A one-shot process (the CLI) need not call this."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from .index import Index

_lock = threading.Lock()
_pausing = 0  # scans running with the collector paused (the server scans in a worker thread)
_was_enabled = False


@contextmanager
def paused() -> Iterator[None]:
    """The collector off while the block runs; as it was before once the last such block ends."""
    global _pausing, _was_enabled
    with _lock:
        if _pausing == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _pausing += 1
    try:
        yield
    finally:
        with _lock:
            _pausing -= 1
            if _pausing == 0 and _was_enabled:
                gc.enable()


def settle(index: Index, *, first: bool) -> bool:
    """After a scan with `index`: collect and freeze the heap when the scan linked an app (or was
    the `first` index of the workspace). Whether it froze."""
    if not (first or index.linked):
        return False
    gc.collect()
    gc.freeze()
    return True
