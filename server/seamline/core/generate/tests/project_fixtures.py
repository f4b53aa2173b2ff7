"""The project's own pytest fixtures, read statically, and which of them the generated conftest reuses.

Pytest resolves a fixture name to the nearest conftest.py, so the generated conftest (in the output
folder) shadows a `client` the project already defines in `tests/conftest.py` or at the app root. When
the project's fixture is the same thing ours would be, the generated conftest leaves ours out and the
tests use the project's; otherwise ours stays and the suite gets a note saying why. Conftests are parsed
with `ast`, never imported.
"""

from __future__ import annotations

import ast
import logging
import re
from dataclasses import dataclass, replace
from pathlib import Path

from ..writer import unstamp
from .adapters import Section
from .model import Suite
from .outbound import own_nodes

log = logging.getLogger(__name__)

# Names, settings and strings that point an app or a session at a database of the fixture's choosing.
_DATABASE_WORDS = re.compile(r"DATABASE|SQLALCHEMY_|sqlite|postgres|mysql", re.IGNORECASE)
_SCHEMA_CALLS = frozenset({"create_all", "drop_all"})
_DB_NAMES = ("db", "session", "db_session", "dbsession", "database", "engine")


@dataclass(frozen=True, slots=True, kw_only=True)
class ProjectFixture:
    """One `@pytest.fixture` of a project conftest, summarised."""

    name: str
    file: str  # posix, relative to the app root
    line: int
    params: tuple[str, ...]  # the fixtures it requests
    scope: str = "function"
    makes: str = ""  # what it yields/returns: the called function ("TestClient", "app.test_client") or "dict"
    made_for: str = ""  # the app it is made for: "app.main:app", "notes:create_app", "fixture:app", or source
    dict_keys: tuple[str, ...] = ()  # string keys of a dict it returns
    touches: tuple[str, ...] = ()  # what points it elsewhere: "overrides get_db", "sets DATABASE_URL", ...

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True, slots=True, kw_only=True)
class ReusePlan:
    reused: frozenset[str] = frozenset()  # fixture names the generated conftest leaves out
    notes: tuple[str, ...] = ()


# Per framework: what its test client is made by (a call's last name), and the fixtures of the generated
# conftest a project `client` may request (pytest gives it ours, the nearest).
_CLIENTS = {"fastapi": (("TestClient",), frozenset()),
            "flask": (("test_client",), frozenset({"app"}))}


def conftests_in_scope(app_dir: Path, output: str) -> list[Path]:
    """conftest.py files pytest loads for tests in `output` (relative to `app_dir`), from the app
    root down, without Seamline's own."""
    folders = [app_dir]
    for part in (p for p in Path(output).parts if p not in ("", ".")):
        folders.append(folders[-1] / part)
    found = []
    for folder in folders:
        path = folder / "conftest.py"
        if path.is_file() and unstamp(_read(path))[1] is None:  # a hash line: Seamline's own conftest
            found.append(path)
    return found


def project_fixtures(app_dir: Path, output: str) -> dict[str, ProjectFixture]:
    """Fixtures visible to tests in `output`, by name: the nearest definition wins, as in pytest."""
    fixtures: dict[str, ProjectFixture] = {}
    for path in conftests_in_scope(app_dir, output):
        try:
            tree = ast.parse(_read(path), filename=str(path))
        except SyntaxError as err:
            log.info("%s: not parsed (%s); its fixtures are not considered", path, err)
            continue
        rel = path.relative_to(app_dir).as_posix()
        imports = _imports(tree)
        for node in tree.body:
            fixture = _fixture(node, rel, imports)
            if fixture is not None:
                fixtures[fixture.name] = fixture
    return fixtures


def reuse_plan(suite: Suite, app_dir: Path) -> ReusePlan:
    """Which project fixtures replace ours, with a note for each decision.

    Conservative on purpose: a wrong reuse makes generated tests fail for reasons that are not the
    app's (requests sent to another database than the one the DB-state assertions read, credentials
    for someone other than `user`), while keeping ours costs only a duplicate fixture. So only `client`
    and `auth_headers` are ever reused, and only when their bodies show they are the same thing."""
    if suite.framework not in _CLIENTS:
        return ReusePlan()
    found = project_fixtures(app_dir, suite.output)
    reused: list[str] = []
    notes: list[str] = []
    client = found.get("client")
    if client is not None:
        why_not = _client_mismatch(client, suite)
        if why_not:
            notes.append(f"your `client` fixture ({client.where}) {why_not}; the generated tests use their own so "
                         "they hit the test database")
        else:
            reused.append("client")
            with_app = " with the generated `app` fixture" if "app" in client.params else ""
            notes.append(f"reusing your `client` fixture from {client.where}{with_app}")
    headers = found.get("auth_headers")
    if headers is not None and suite.auth.token_call and suite.auth.user_model:
        why_not = _headers_mismatch(headers, suite.auth.header)
        if why_not:
            notes.append(f"your `auth_headers` fixture ({headers.where}) {why_not}; the generated tests use their own")
        else:
            reused.append("auth_headers")
            notes.append(f"reusing your `auth_headers` fixture from {headers.where}")
    for name in _DB_NAMES:
        if name in found:
            notes.append(f"your `{name}` fixture ({found[name].where}) is not used by the generated tests: their "
                         "own `db` empties the tables after every test")
    return ReusePlan(reused=frozenset(reused), notes=tuple(notes))


def without_fixtures(section: Section, names: frozenset[str]) -> Section:
    """`section` minus the fixture functions called `names`; an emptied section loses its imports too."""
    if not names or not section.code.strip():
        return section
    tree = ast.parse(section.code)
    lines = section.code.splitlines(keepends=True)
    for node in reversed(tree.body):
        if isinstance(node, ast.FunctionDef) and node.name in names and node.decorator_list:
            start = min(d.lineno for d in node.decorator_list) - 1
            del lines[start:node.end_lineno]
    code = re.sub(r"\n{4,}", "\n\n\n", "".join(lines))
    return replace(section, code=code) if code.strip() else Section()


def _client_mismatch(client: ProjectFixture, suite: Suite) -> str:
    """Why the project's `client` is not the one the generated tests need ("" when it is)."""
    makers, ours = _CLIENTS[suite.framework]
    if client.touches:
        return ", ".join(client.touches)
    unknown = [p for p in client.params if p not in ours]
    if unknown:
        return "requests " + ", ".join(f"`{p}`" for p in unknown) + ", which the generated tests do not know"
    if client.scope != "function":
        return f"is {client.scope}-scoped (its cookies would carry over between tests)"
    if client.makes.rpartition(".")[2] not in makers:
        return f"does not make the {suite.framework} test client" + (f" (it makes `{client.makes}`)"
                                                                      if client.makes else "")
    entry_call = f"{suite.entry}()"
    if client.made_for not in (suite.entry, entry_call) and client.made_for.removeprefix("fixture:") not in ours:
        return f"is made for `{client.made_for or '?'}`, not the app Seamline tests (`{suite.entry}`)"
    return ""


def _headers_mismatch(headers: ProjectFixture, header: str) -> str:
    if header not in headers.dict_keys or headers.makes != "dict":
        return f"does not return a dict with an `{header}` header"
    if headers.params != ("user",):  # the headers must belong to the `user` the tests seed rows for
        return "does not make its headers from the `user` fixture alone"
    if headers.touches:
        return ", ".join(headers.touches)
    return ""


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")


def _imports(tree: ast.Module) -> dict[str, str]:
    """Top-level import bindings: local name -> "module:attr" (from-imports) or "module" (imports)."""
    names: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}:{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                # `import a.b` binds `a`; `import a.b as c` binds `c` to a.b
                names[alias.asname or alias.name.partition(".")[0]] = alias.name if alias.asname \
                    else alias.name.partition(".")[0]
    return names


def _fixture_decorator(node: ast.AST) -> tuple[bool, dict[str, ast.expr]]:
    """(is `@pytest.fixture` / `@fixture`, with or without arguments; its keyword arguments)."""
    func = node.func if isinstance(node, ast.Call) else node
    name = ast.unparse(func)
    keywords = {k.arg: k.value for k in node.keywords if k.arg} if isinstance(node, ast.Call) else {}
    return name in ("pytest.fixture", "fixture", "pytest_asyncio.fixture"), keywords


def _fixture(node: ast.stmt, file: str, imports: dict[str, str]) -> ProjectFixture | None:
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return None
    for decorator in node.decorator_list:
        is_fixture, keywords = _fixture_decorator(decorator)
        if not is_fixture:
            continue
        name, scope = keywords.get("name"), keywords.get("scope")
        params = tuple(a.arg for a in (*node.args.posonlyargs, *node.args.args) if a.arg not in ("self", "request"))
        value = _produced(node)
        makes, made_for = _made(value, imports, params)
        return ProjectFixture(
            name=name.value if isinstance(name, ast.Constant) and isinstance(name.value, str) else node.name,
            file=file, line=node.lineno, params=params,
            scope=scope.value if isinstance(scope, ast.Constant) and isinstance(scope.value, str) else "function",
            makes=makes, made_for=made_for, touches=_touches(node),
            dict_keys=tuple(k.value for k in value.keys if isinstance(k, ast.Constant) and isinstance(k.value, str))
            if isinstance(value, ast.Dict) else ())
    return None


def _produced(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> ast.expr | None:
    """The expression the fixture yields or returns, through `with X as c: yield c` and `c = X`."""
    bound: dict[str, ast.expr] = {}
    produced: ast.expr | None = None
    for node in own_nodes(fn):
        if isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                if isinstance(item.optional_vars, ast.Name):
                    bound[item.optional_vars.id] = item.context_expr
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            bound[node.targets[0].id] = node.value
        elif isinstance(node, (ast.Return, ast.Yield)) and node.value is not None and produced is None:
            produced = node.value
    seen: set[str] = set()
    while isinstance(produced, ast.Name) and produced.id in bound and produced.id not in seen:
        seen.add(produced.id)
        produced = bound[produced.id]
    return produced


def _made(value: ast.expr | None, imports: dict[str, str], params: tuple[str, ...]) -> tuple[str, str]:
    """(what makes the value, the app it is made for) for `TestClient(app)`, `app.test_client()`, a dict."""
    if isinstance(value, ast.Dict):
        return "dict", ""
    if not isinstance(value, ast.Call):
        return "", ""
    func = value.func
    if isinstance(func, ast.Attribute):  # app.test_client(), create_app().test_client()
        return ast.unparse(func), _app_ref(func.value, imports, params)
    return ast.unparse(func), _app_ref(value.args[0], imports, params) if value.args else ""


def _app_ref(expr: ast.expr, imports: dict[str, str], params: tuple[str, ...]) -> str:
    """`app` imported from app.main -> "app.main:app"; `create_app()` -> "notes:create_app()"; a
    fixture argument -> "fixture:app"; anything else -> its source."""
    if isinstance(expr, ast.Call) and not expr.args and not expr.keywords:
        inner = _app_ref(expr.func, imports, params)
        return f"{inner}()" if inner else ""
    if isinstance(expr, ast.Name):
        if expr.id in params:
            return f"fixture:{expr.id}"
        return imports.get(expr.id, expr.id)
    if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name) and expr.value.id in imports \
            and ":" not in imports[expr.value.id]:
        return f"{imports[expr.value.id]}:{expr.attr}"  # `main.app` after `from app import main` stays source
    return ast.unparse(expr)


def _touches(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[str, ...]:
    """What in the fixture points the app or the tests at something of its own choosing."""
    found: list[str] = []
    for node in own_nodes(fn):
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute) \
                and node.value.attr == "dependency_overrides":
            found.append(f"overrides {ast.unparse(node.slice)}")
        elif isinstance(node, ast.Attribute) and node.attr == "dependency_overrides":
            found.append("overrides dependencies")
        elif isinstance(node, ast.Attribute) and node.attr in _SCHEMA_CALLS:
            found.append(f"calls {node.attr}")
        for word in _words(node):
            if _DATABASE_WORDS.search(word):
                found.append(f"sets {word}" if word.isupper() else f"uses `{word}`")
    if any(f.startswith("overrides ") and f != "overrides dependencies" for f in found):
        found = [f for f in found if f != "overrides dependencies"]
    return tuple(dict.fromkeys(found))


def _words(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, ast.Attribute):
        return [node.attr]
    if isinstance(node, ast.keyword) and node.arg:
        return [node.arg]
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and not re.search(r"\s", node.value):
        return [node.value[:60]]  # a setting's name or a URL; prose (a docstring) has spaces
    return []
