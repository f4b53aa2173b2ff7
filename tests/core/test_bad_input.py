"""Bad input never stops a scan: the rest is analysed and each problem is a finding."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from seamline.core.analyze.index import Index
from seamline.core.analyze.scan import scan

GOOD = "import os\nDATABASE_URL = os.environ['DATABASE_URL']\n\ndef ok():\n    return 1\n"


def _project(tmp_path: Path) -> Path:
    (tmp_path / "requirements.txt").write_text("fastapi\n")
    pkg = tmp_path / "app"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "good.py").write_text(GOOD)
    return tmp_path


def _codes(project) -> dict[str, list]:
    out: dict[str, list] = {}
    for f in project.findings:
        out.setdefault(f.code, []).append(f)
    return out


def _scanned_files(root: Path) -> int:
    return scan(root).stats["files"]


def test_syntax_error_in_one_file_still_analyses_the_rest(tmp_path):
    root = _project(tmp_path)
    (root / "app" / "broken.py").write_text("def f(:\n    pass\n")
    project = scan(root)
    [f] = _codes(project)["syntax-error"]
    assert f.file == "app/broken.py" and f.line == 1
    assert project.stats["files"] == 3
    assert project.stats["lines"] > 0  # good.py was still analysed


def test_non_utf8_file_is_a_finding_with_its_line(tmp_path):
    root = _project(tmp_path)
    (root / "app" / "latin1.py").write_bytes(b"# ok\nname = '\xe9t\xe9'\n")
    [f] = _codes(scan(root))["non-utf8"]
    assert f.file == "app/latin1.py" and f.line == 2


def test_huge_generated_file_is_skipped_with_a_finding(tmp_path):
    root = _project(tmp_path)
    (root / "app" / "generated.py").write_text("X = 1\n" * 400_000)  # 2.4 MB
    project = scan(root)
    [f] = _codes(project)["file-too-large"]
    assert f.file == "app/generated.py"


def test_symlink_loop_terminates_and_is_reported(tmp_path):
    root = _project(tmp_path)
    os.symlink(root / "app", root / "app" / "loop")
    project = scan(root)
    assert "symlink-loop" in _codes(project)
    assert project.stats["files"] == 2


def test_dangling_symlink_and_fifo_are_findings_not_crashes(tmp_path):
    root = _project(tmp_path)
    os.symlink(root / "nowhere.py", root / "app" / "dangling.py")
    os.mkfifo(root / "app" / "pipe.py")
    codes = _codes(scan(root))
    assert [f.file for f in codes["unreadable"]] == ["app/dangling.py"]
    assert [f.file for f in codes["not-a-file"]] == ["app/pipe.py"]


def test_virtualenvs_node_modules_and_gitignored_folders_are_skipped(tmp_path):
    root = _project(tmp_path)
    for folder in ("node_modules/pkg", "custom_env/lib", "build", "ignored_dir"):
        (root / folder).mkdir(parents=True)
        (root / folder / "x.py").write_text("def f(:\n")  # would be a syntax error if scanned
    (root / "custom_env" / "pyvenv.cfg").write_text("home = /usr\n")
    (root / ".gitignore").write_text("ignored_dir/\n*.tmp.py\n")
    (root / "app" / "scratch.tmp.py").write_text("def f(:\n")
    project = scan(root)
    assert "syntax-error" not in _codes(project), project.findings
    assert project.stats["files"] == 2


def test_gitignore_negation_keeps_a_file(tmp_path):
    root = _project(tmp_path)
    (root / ".gitignore").write_text("app/*.py\n!app/good.py\n")
    assert _scanned_files(root) == 1


def test_missing_folder_is_a_usage_error(tmp_path):
    from seamline.core.errors import UsageError

    with pytest.raises(UsageError, match="not a folder"):
        scan(tmp_path / "missing")


def test_warm_scan_reparses_only_changed_files(tmp_path):
    root = _project(tmp_path)
    (root / "app" / "other.py").write_text("Y = 2\n")
    cache = tmp_path / "cache"
    first = Index(cache_dir=cache)
    scan(root, index=first)
    assert first.parsed == 3
    warm = Index(cache_dir=cache)  # fresh process, same disk cache
    scan(root, index=warm)
    assert warm.parsed == 0
    (root / "app" / "other.py").write_text("Y = 3\n")
    scan(root, index=warm)
    assert warm.parsed == 1


def test_unsaved_buffer_overrides_disk(tmp_path):
    root = _project(tmp_path)
    index = Index()
    index.set_overlay(root / "app" / "good.py", "def f(:\n")
    assert "syntax-error" in _codes(scan(root, index=index))
    index.clear_overlay(root / "app" / "good.py")
    assert "syntax-error" not in _codes(scan(root, index=index))


def test_non_ascii_columns_are_code_points(tmp_path):
    root = _project(tmp_path)
    (root / "app" / "uni.py").write_text("class Ünï: pass\nx = ('😀', 1); y = 2\nif True:\n    def é(): pass\n")
    from seamline.core.analyze.discover import discover

    d = discover(root)
    facts = {r: res.facts for r, res in Index().load(d.files).items()}["app/uni.py"]
    [fn] = facts.functions
    assert (fn.line, fn.col) == (4, 4)
    assert fn.end_col == len("    def é(): pass")  # code points, not UTF-8 bytes


def test_unchanged_apps_skip_linking_and_a_change_relinks_only_its_app(tmp_path):
    from seamline.core.analyze.index import Index

    for name in ("svc_a", "svc_b"):
        app = tmp_path / name
        app.mkdir()
        (app / "requirements.txt").write_text("fastapi\n")
        (app / "main.py").write_text(
            "from fastapi import FastAPI\napp = FastAPI()\n\n@app.get('/ping')\ndef ping():\n    return 1\n")
    cache = tmp_path / "cache"
    first = Index(cache_dir=cache)
    assert len(scan(tmp_path, index=first).endpoints) == 2
    assert first.linked == 3  # the root plus two apps
    warm = Index(cache_dir=cache)
    project = scan(tmp_path, index=warm)
    assert (warm.parsed, warm.linked) == (0, 0)
    assert sorted(e.app for e in project.endpoints) == ["svc_a", "svc_b"]
    (tmp_path / "svc_b" / "main.py").write_text(
        "from fastapi import FastAPI\napp = FastAPI()\n\n@app.post('/pong')\ndef pong():\n    return 1\n")
    project = scan(tmp_path, index=warm)
    assert (warm.parsed, warm.linked) == (1, 1)
    assert sorted(e.key for e in project.endpoints) == ["GET /ping", "POST /pong"]
    (tmp_path / "svc_a" / "requirements.txt").write_text("fastapi\nredis\n")  # non-Python input too
    project = scan(tmp_path, index=warm)
    assert warm.linked >= 1 and "redis" in {s.kind for s in project.services}


def test_cached_results_round_trip_through_pickle_unchanged(tmp_path):
    """The link cache pickles model objects with a fast reducer; what comes back must equal
    what went in, field for field."""
    import pickle

    root = _project(tmp_path)
    (root / "app" / "main.py").write_text(
        "from fastapi import FastAPI, Depends\nfrom fastapi.security import OAuth2PasswordBearer\n"
        "app = FastAPI()\nscheme = OAuth2PasswordBearer(tokenUrl='token')\n\n"
        "@app.get('/items/{item_id}', status_code=200)\ndef read(item_id: int, q: str | None = None,"
        " token: str = Depends(scheme)):\n    return {}\n")
    project = scan(root)
    assert project.endpoints and project.endpoints[0].auth
    assert pickle.loads(pickle.dumps(project.endpoints)) == project.endpoints
    assert pickle.loads(pickle.dumps(project.services)) == project.services


def test_warm_scan_does_not_decode_facts_of_apps_it_does_not_relink(tmp_path):
    root = _project(tmp_path)
    cache = tmp_path / "cache"
    scan(root, index=Index(cache_dir=cache))
    warm = Index(cache_dir=cache)
    scan(root, index=warm)
    assert warm.linked == 0
    assert all(r._raw is not None for r in warm._memory.values())  # still marshalled


def test_naming_the_changed_file_reads_only_that_file(tmp_path):
    root = _project(tmp_path)
    (root / "app" / "other.py").write_text("Y = 2\n")
    index = Index()
    first = scan(root, index=index)
    (root / "app" / "other.py").write_text("def f(:\n")
    project = scan(root, index=index, changed=[root / "app" / "other.py"])
    assert index.parsed == 1
    assert [f.file for f in project.findings if f.code == "syntax-error"] == ["app/other.py"]
    assert project.stats["files"] == first.stats["files"]
    # a new file is not in the last walk: the folder is walked again and the file is seen
    (root / "app" / "new.py").write_text("Z = 1\n")
    project = scan(root, index=index, changed=["app/new.py"])
    assert project.stats["files"] == first.stats["files"] + 1
    # a deleted file too
    (root / "app" / "new.py").unlink()
    project = scan(root, index=index, changed=["app/new.py"])
    assert project.stats["files"] == first.stats["files"]


def test_an_app_mixing_frameworks_reports_each_framework_s_endpoints(tmp_path):
    root = _project(tmp_path)
    (root / "app" / "api.py").write_text(
        "from fastapi import FastAPI\napi = FastAPI()\n\n@api.get('/fast')\ndef fast():\n    return {}\n")
    (root / "app" / "web.py").write_text(
        "from flask import Flask\nweb = Flask(__name__)\n\n@web.route('/slow', methods=['POST'])\n"
        "def slow():\n    return ''\n")
    (root / "app" / "broken.py").write_text("from django.urls import path\nurlpatterns = [path(\n")
    project = scan(root)
    assert sorted((e.framework, e.method, e.path) for e in project.endpoints) == [
        ("fastapi", "GET", "/fast"), ("flask", "POST", "/slow")]
    [app] = project.apps
    assert set(app.frameworks) == {"fastapi", "flask"}
    assert "syntax-error" in _codes(project)
