"""The language server's heap step after a scan (heap.py): freeze after scans that built lasting
state, leave ordinary rescans alone."""

from __future__ import annotations

import gc
import shutil
from pathlib import Path

import pytest
from seamline.core.analyze import heap
from seamline.core.analyze.index import Index
from seamline.core.analyze.scan import scan

APP = Path(__file__).resolve().parent.parent / "fixtures" / "apps" / "fastapi_bigger"


@pytest.fixture
def unfrozen():
    gc.unfreeze()
    yield
    gc.unfreeze()  # leave the rest of the test run with a normal collector


def test_first_scan_and_fresh_links_freeze_plain_rescans_do_not(tmp_path, unfrozen):
    root = tmp_path / "app"
    shutil.copytree(APP, root)
    index = Index()
    scan(root, index=index)
    assert heap.settle(index, first=True)
    frozen = gc.get_freeze_count()
    assert frozen > 0

    # nothing changed: the app comes from the link cache, nothing lasting was built
    scan(root, index=index, changed=[])
    assert index.linked == 0
    assert not heap.settle(index, first=False)
    assert gc.get_freeze_count() <= frozen  # frozen objects the rescan replaced were freed all the same
    frozen = gc.get_freeze_count()

    # an edit links the app again: what that built is frozen too
    target = next(p for p in sorted(root.rglob("*.py")) if "APIRouter" in p.read_text())
    target.write_text(target.read_text() + "\n\n# edited\n")
    scan(root, index=index, changed=[target])
    assert index.linked == 1
    assert heap.settle(index, first=False)
    assert gc.get_freeze_count() > frozen


def test_a_scan_runs_with_the_collector_paused_and_puts_it_back(tmp_path, monkeypatch):
    seen = []
    real = heap.paused

    def spying():
        seen.append(gc.isenabled())
        return real()

    assert gc.isenabled()
    with heap.paused():
        assert not gc.isenabled()
        with heap.paused():  # nested (two scans at once): the inner end leaves it paused
            pass
        assert not gc.isenabled()
    assert gc.isenabled()

    gc.disable()  # a host that turned the collector off keeps it off
    try:
        with heap.paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()

    inside = []
    monkeypatch.setattr(heap, "paused", spying)
    import seamline.core.analyze.scan as scan_module

    real_scan = scan_module._scan
    monkeypatch.setattr(scan_module, "_scan", lambda *a: (inside.append(gc.isenabled()), real_scan(*a))[1])
    project = scan(APP, index=Index())
    assert project.endpoints and seen == [True] and inside == [False]
    assert gc.isenabled()
