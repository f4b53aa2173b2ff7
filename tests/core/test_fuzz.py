"""Property tests: random Python (and random bytes) never crash the analysers.

hypothesmith generates syntactically valid programs from the grammar; the linkers then see
odd decorators, calls and assignments in every position. Each example is scanned as a
module of a project that imports all three frameworks, so every linker runs on it.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import hypothesmith
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from seamline.core.analyze.scan import scan

HEADER = "import fastapi, flask, django, rest_framework, sqlalchemy, os\n"


def _scan_source(text: str | bytes) -> None:
    root = Path(tempfile.mkdtemp(prefix="seamline-fuzz-"))
    try:
        (root / "requirements.txt").write_text("fastapi\nflask\ndjango\n")
        (root / "main.py").write_text(HEADER + "app = fastapi.FastAPI()\nfrom mod import *\n")
        target = root / "mod.py"
        if isinstance(text, bytes):
            target.write_bytes(text)
        else:
            target.write_text(HEADER + text, encoding="utf-8", errors="surrogatepass")
        project = scan(root)
        assert project.stats["files"] == 2
    finally:
        shutil.rmtree(root, ignore_errors=True)


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(hypothesmith.from_grammar())
def test_random_python_never_crashes_the_scan(source):
    _scan_source(source)


@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
@given(hypothesmith.from_node())
def test_random_ast_shaped_python_never_crashes_the_scan(source):
    _scan_source(source)


ROUTEY = st.sampled_from([
    "@app.get({p})\ndef f(x: int = {v}): pass\n",
    "router = fastapi.APIRouter(prefix={p})\napp.include_router({v}, prefix={p})\n",
    "bp = flask.Blueprint('b', __name__, url_prefix={p})\n@bp.route({p}, methods={v})\ndef g(): pass\n",
    "urlpatterns = [path({p}, include({v}))]\n",
    "class V(rest_framework.viewsets.ModelViewSet):\n    queryset = {v}\n    permission_classes = [{v}]\n",
    "x = os.environ[{p}]\ny = os.getenv({v}, {p})\n",
])
VALUES = st.sampled_from(["None", "1", "'x'", "[]", "['GET', 1]", "f'{{a}}'", "lambda: 0", "*a", "app", "(1,)"])


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(ROUTEY, VALUES, VALUES), min_size=1, max_size=6))
def test_framework_shaped_nonsense_never_crashes(parts):
    src = "".join(t.format(p=p if p.startswith(("'", "f'")) else p, v=v) for t, p, v in parts)
    try:
        compile(src, "mod.py", "exec")
    except SyntaxError:
        return  # only valid programs are interesting here; syntax errors have their own test
    _scan_source(src)


@settings(max_examples=30, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_never_crash_the_scan(data):
    _scan_source(data)
