"""The per-file work one editor snapshot hands the next (SnapshotCache): unchanged test files and an
unchanged compose file are not read or parsed again; a changed one is, and the snapshot follows it."""

from __future__ import annotations

import os
import time
from pathlib import Path

from seamline.core.analyze.index import Index
from seamline.lsp.settings import Settings
from seamline.lsp.state import SnapshotCache, build_snapshot

APP = '''from fastapi import FastAPI

app = FastAPI()


@app.get("/items/")
def list_items():
    return []


@app.post("/items/", status_code=201)
def create_item(name: str):
    return {"name": name}
'''
TESTS = '''# seamline: endpoint GET /items/ main.list_items sig=000000000000


def test_list_items(client):
    assert client.get("/items/").status_code == 200


def test_create_item(client):
    assert client.post("/items/", params={"name": "a"}).status_code == 201


def test_create_item_twice(client):
    assert client.post("/items/", params={"name": "b"}).status_code == 201
'''
COMPOSE = "services:\n  web:\n    image: nginx\n"
HOUR_AGO_NS = time.time_ns() - 3600 * 10**9


def workspace(root: Path) -> dict[Path, str]:
    files = {root / "main.py": APP, root / "requirements.txt": "fastapi\nsqlalchemy\npsycopg2\n",
             root / "tests/integration/test_items_api.py": TESTS,
             root / "tests/integration/test_other_api.py": "def test_nothing():\n    pass\n",
             root / "compose.test.yaml": COMPOSE}
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        os.utime(path, ns=(HOUR_AGO_NS, HOUR_AGO_NS))  # settled: older than the racy window
    return files


class CountingReads:
    def __init__(self) -> None:
        self.paths: list[str] = []

    def __call__(self, path: Path) -> str:
        self.paths.append(path.name)
        return path.read_text(encoding="utf-8", errors="replace")


def test_an_unchanged_rescan_reads_no_test_file_again(tmp_path):
    workspace(tmp_path)
    reads, index, settings = CountingReads(), Index(), Settings()
    cache = SnapshotCache(read=reads)
    first = build_snapshot(tmp_path, index, settings, cache=cache)
    assert sorted(reads.paths) == ["compose.test.yaml", "test_items_api.py", "test_other_api.py"]
    assert first.test_counts == {"GET /items/": 1, "POST /items/": 2}
    assert first.tests["POST /items/"] == ("tests/integration/test_items_api.py",)
    assert [s.line for s in first.stale["GET /items/"]] == [1]  # its recorded fingerprint is not the current one
    assert [f.code for f in first.drift] == ["env-missing-service"]  # psycopg2, and no postgres in the env

    reads.paths.clear()
    again = build_snapshot(tmp_path, index, settings, changed=[str(tmp_path / "main.py")], cache=cache)
    assert reads.paths == []
    assert (again.tests, again.test_counts, again.stale, again.drift) == (first.tests, first.test_counts,
                                                                          first.stale, first.drift)
    fresh = build_snapshot(tmp_path, Index(), settings)  # no cache: the same answers
    assert (fresh.tests, fresh.test_counts, fresh.stale, fresh.drift) == (first.tests, first.test_counts,
                                                                          first.stale, first.drift)


def test_a_changed_test_file_is_read_again_and_counted_anew(tmp_path):
    files = workspace(tmp_path)
    reads, index, settings = CountingReads(), Index(), Settings()
    cache = SnapshotCache(read=reads)
    build_snapshot(tmp_path, index, settings, cache=cache)
    reads.paths.clear()
    tests = tmp_path / "tests/integration/test_items_api.py"
    tests.write_text(files[tests].replace("def test_create_item_twice", "def test_list_items_again")
                     .replace('client.post("/items/", params={"name": "b"})', 'client.get("/items/")'))
    later = build_snapshot(tmp_path, index, settings, cache=cache)
    assert reads.paths == ["test_items_api.py"]
    assert later.test_counts == {"GET /items/": 2, "POST /items/": 1}
    tests.unlink()
    gone = build_snapshot(tmp_path, index, settings, cache=cache)
    assert gone.test_counts == {} and gone.tests == {"GET /items/": (), "POST /items/": ()}
