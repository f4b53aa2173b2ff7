#!/usr/bin/env python
"""Mutation check of the generated tests (issue #4): how many realistic bugs, planted in the example apps'
handlers, do the tests Seamline generates catch?

    .venv/bin/python benchmarks/mutation.py                        # the three examples (a few minutes)
    .venv/bin/python benchmarks/mutation.py --example flask_notes  # one of them
    .venv/bin/python benchmarks/mutation.py --list                 # the mutants only: no docker, no tests run
    .venv/bin/python benchmarks/mutation.py --full                 # every mutant against the whole suite
    .venv/bin/python benchmarks/mutation.py --json                 # the figures as JSON on stdout
    .venv/bin/python benchmarks/mutation.py --check                # exit 1 below the target

For each example (examples/fastapi_items, flask_notes, drf_tasks): copy it to a temp dir, scan it and
write its tests (`seamline gen tests --flows` through the library), bring its services up once (real
Postgres, and Redis where used, in docker, through seamline.env), run the whole generated suite on the
unmutated copy for the baseline failing set (the examples carry deliberate bugs, so some tests fail
there), then apply each mutant in turn, run the tests again and restore the file. A mutant is killed
when a test that passed in the baseline fails (a new failure); a mutant that breaks the app so badly that
no test can even run is "stillborn" and left out of the score. At the end the whole suite runs once more
on the restored copy and must fail exactly as the baseline did (no flaky tests, nothing left mutated), the
environment is taken down and no container of its compose project may remain.

Mutants are generated from the code with `ast` (never by hand), in the handlers of the endpoints the scan
found, the functions their data effects go through (`crud.create_item`), the response schemas they
declare and the models' `to_dict` methods. Four kinds:
- drop-write: remove `session.add/add_all/commit/delete/merge/flush(...)`, `x.save()`, `x.delete()`, or
  build `Model(...)` instead of `Model.objects.create(...)`.
- drop-auth: remove an auth decorator (`@login_required`), an auth entry of `dependencies=[...]`, a DRF
  permission class, or an auth parameter the handler does not use.
- status-code: change a literal status (`status_code=201` -> 200, `abort(404)` -> 400, `return x, 201`
  -> 200, `HTTPException(status_code=404)` -> 400), or give an implicit 200 another one (201).
- response-field: remove or change a key of a dict a handler returns (success responses only), a keyword
  of a response it builds, or a field of its response schema (pydantic field, DRF `Meta.fields` entry).
Skipped, with the reason printed: mutants identical to the original (same AST), equivalent ones
(removing DRF's `AllowAny`), ones that could only crash the handler (dropping a dependency whose value the
handler uses, a declared DRF field left out of `Meta.fields`), and value changes of unknown type.

Tests run per mutant: by default the generated tests of the endpoints the mutated code serves (found from
the endpoint's handler, its data effects, its schemas, or a call of the mutated method in its handler) plus
the flows that go through them, with the baseline's failing tests deselected and `-x` (any failure is then
a new one); `--full` runs the whole suite instead, to check that the selection misses nothing. pytest runs
in processes forked from one that has already imported pytest and the framework (never the app), so each
mutant costs its tests, not the imports; Django suites reuse their test database (`--reuse-db`: mutants
never touch models or migrations). Needs a docker engine with postgres:15 and redis:7
(`bash scripts/services.sh`); Linux only (fork). Target: at least 80% of the mutants killed.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO / "server") not in sys.path:
    sys.path.insert(0, str(REPO / "server"))

EXAMPLES = REPO / "examples"
NAMES = ("fastapi_items", "flask_notes", "drf_tasks")
IMAGES = {"postgres": "postgres:15", "redis": "redis:7"}  # what the shared engine recipe provides
TARGET = 0.80
KINDS = ("drop-write", "drop-auth", "status-code", "response-field")
PRELOAD = {  # imported once by the forking runner (never the app): what every test process would import
    "fastapi": ("fastapi", "fastapi.testclient", "sqlalchemy.orm", "pydantic", "pydantic_settings", "httpx",
                "jwt", "psycopg", "redis", "respx", "email_validator"),
    "flask": ("flask", "flask_sqlalchemy", "flask_login", "sqlalchemy.orm", "psycopg", "aiosmtpd.controller"),
    "django": ("django", "django.db", "django.test", "pytest_django", "psycopg", "requests", "responses", "boto3",
               "moto"),
}
# Plugins of Seamline's own dev environment that generated suites never use; their hooks cost seconds a run.
UNUSED_PLUGINS = ("hypothesispytest", "pytest_lsp")
STATUS_SWAP = {200: 201, 201: 200, 202: 200, 204: 200, 400: 422, 401: 403, 403: 401, 404: 400, 405: 400,
               409: 400, 422: 400, 500: 503, 503: 500}
WRITE_ANY = {"save", "delete", "bulk_create", "bulk_update"}  # writes on any receiver (ORM rows, querysets)
WRITE_SESSION = {"add", "add_all", "commit", "delete", "merge", "flush"}  # writes on a session
CREATE_CALLS = {"create", "create_user", "create_superuser"}  # Model.objects.<these>(...)
ROUTE_ATTRS = {"get", "post", "put", "patch", "delete", "route", "api_route"}
DICT_METHODS = {"to_dict", "to_json", "as_dict", "serialize"}
RESPONSE_CALLS = {"jsonify", "Response", "JsonResponse", "make_response"}


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --- mutants ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Mutant:
    id: str
    kind: str  # one of KINDS
    file: str  # relative to the app root
    line: int
    where: str  # the function or class mutated (dotted)
    what: str  # what changed, in words
    endpoints: tuple[str, ...]  # Endpoint.key of every endpoint the mutated code serves
    text: str = field(repr=False)  # the whole mutated file


@dataclass(frozen=True, slots=True, kw_only=True)
class Skipped:
    kind: str
    file: str
    line: int
    what: str
    reason: str


class Source:
    """A file's text and tree, with `ast` positions (UTF-8 byte columns) turned into string offsets."""

    def __init__(self, root: Path, rel: str) -> None:
        self.rel = rel
        self.text = (root / rel).read_text(encoding="utf-8")
        self.tree = ast.parse(self.text, filename=rel)
        self.lines = self.text.split("\n")
        self.starts = [0]
        for line in self.lines:
            self.starts.append(self.starts[-1] + len(line) + 1)

    def offset(self, line: int, col: int) -> int:
        return self.starts[line - 1] + len(self.lines[line - 1].encode("utf-8")[:col].decode("utf-8"))

    def span(self, node: ast.AST) -> tuple[int, int]:
        return self.offset(node.lineno, node.col_offset), self.offset(node.end_lineno, node.end_col_offset)

    def segment(self, node: ast.AST) -> str:
        start, end = self.span(node)
        return self.text[start:end]

    def replaced(self, node: ast.AST, text: str) -> str:
        start, end = self.span(node)
        return self.text[:start] + text + self.text[end:]

    def without_lines(self, first: int, last: int) -> str:
        return self.text[:self.starts[first - 1]] + self.text[self.starts[last]:]


class Generator:
    """Mutants of one scanned app (`root` is the app's folder; the examples are one app each)."""

    def __init__(self, root: Path, project) -> None:
        self.root = root
        self.project = project
        self.sources: dict[str, Source] = {}
        self.mutants: list[Mutant] = []
        self.skipped: list[Skipped] = []
        self.auth_names = {a.via.rsplit(".", 1)[-1] for e in project.endpoints for a in e.auth}
        self.aliases = self._aliases()

    # helpers
    def source(self, rel: str) -> Source | None:
        if rel not in self.sources:
            try:
                self.sources[rel] = Source(self.root, rel)
            except (OSError, SyntaxError, ValueError):
                return None
        return self.sources[rel]

    def _aliases(self) -> dict[str, str]:
        """Module-level `Name = <expr>` across the app (`CurrentUser = Annotated[User, Depends(...)]`)."""
        out: dict[str, str] = {}
        for path in sorted(self.root.rglob("*.py")):
            rel = path.relative_to(self.root).as_posix()
            if rel.startswith(("tests/", ".")):
                continue
            src = self.source(rel)
            for node in src.tree.body if src else ():
                if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                    out[node.targets[0].id] = ast.unparse(node.value)
        return out

    def add(self, kind: str, src: Source, node: ast.AST, where: str, what: str, endpoints: tuple[str, ...],
            text: str) -> None:
        line = getattr(node, "lineno", 0)
        try:
            if ast.dump(ast.parse(text)) == ast.dump(src.tree):
                self.skip(kind, src, node, what, "no-op: the mutated code is the same program")
                return
        except SyntaxError as e:
            self.skip(kind, src, node, what, f"generator could not produce valid code ({e.msg})")
            return
        if any(m.file == src.rel and m.text == text for m in self.mutants):
            return
        self.mutants.append(Mutant(id="", kind=kind, file=src.rel, line=line, where=where, what=what,
                                   endpoints=endpoints, text=text))

    def skip(self, kind: str, src: Source, node: ast.AST, what: str, reason: str) -> None:
        self.skipped.append(Skipped(kind=kind, file=src.rel, line=getattr(node, "lineno", 0), what=what,
                                    reason=reason))

    # targets
    def targets(self) -> Iterator[tuple[Source, ast.AST, str, tuple[str, ...], str]]:
        """(source, node, dotted name, endpoint keys it serves, role) of every place mutants go."""
        seen: dict[tuple[str, int], tuple[Source, ast.AST, str, set[str], str]] = {}

        def note(rel: str, dotted: str, keys: set[str], role: str) -> None:
            src = self.source(rel)
            node = find_def(src, dotted) if src else None
            if node is None:
                return
            if isinstance(node, ast.ClassDef) and dotted.rsplit(".", 1)[-1] != node.name:
                dotted = dotted.rsplit(".", 1)[0]  # an inherited method: the class is what gets mutated
            if isinstance(node, ast.ClassDef):  # its attributes (permission_classes) serve every method
                keys = keys | {e.key for e in endpoints if e.handler.startswith(dotted + ".")}
            entry = seen.setdefault((rel, node.lineno), (src, node, dotted, set(), role))
            entry[3].update(keys)

        endpoints = self.project.endpoints
        for e in endpoints:
            note(e.file, e.handler, {e.key}, "handler")
        for e in endpoints:
            for effect in e.effects:
                if effect.via and effect.via != e.handler:
                    note(effect.file or e.file, effect.via, {x.key for x in endpoints if _uses(x, effect.via)},
                         "effect")
        schemas = {s.name: s for s in self.project.schemas}
        for name in sorted({e.response_schema for e in endpoints if e.response_schema}):
            schema = schemas.get(name)
            if schema and schema.file:
                keys = {e.key for e in endpoints if name in (e.response_schema, e.request_schema)}
                note(schema.file, name, keys, "schema")
        for model in self.project.models:
            src = self.source(model.file)
            cls = find_def(src, model.name) if src else None
            for fn in getattr(cls, "body", ()):
                if isinstance(fn, ast.FunctionDef) and fn.name in DICT_METHODS:
                    keys = {e.key for e in endpoints if f".{fn.name}(" in self.handler_text(e)}
                    note(model.file, f"{model.name}.{fn.name}", keys, "to_dict")
        for src, node, dotted, keys, role in seen.values():
            yield src, node, dotted, tuple(sorted(keys)), role

    def handler_text(self, endpoint) -> str:
        src = self.source(endpoint.file)
        node = find_def(src, endpoint.handler) if src else None
        return src.segment(node) if node is not None else ""

    def generate(self) -> tuple[list[Mutant], list[Skipped]]:
        schemas = {s.name: s for s in self.project.schemas}
        response_only = {e.response_schema for e in self.project.endpoints} - {
            e.request_schema for e in self.project.endpoints}
        for src, node, dotted, keys, role in self.targets():
            if role == "schema":
                schema = schemas.get(dotted)
                if schema is not None and schema.kind == "drf-serializer":
                    self.serializer_fields(src, node, dotted, keys)
                    self.drop_writes(src, node, dotted, keys)  # its create()/update()
                elif dotted in response_only:
                    self.schema_fields(src, node, dotted, keys)
                else:
                    self.skip("response-field", src, node, f"fields of {dotted}",
                              "the schema is also a request schema: removing a field would change the input too")
                continue
            framework = next((e.framework for e in self.project.endpoints if e.key in keys), "")
            self.drop_writes(src, node, dotted, keys)
            if role == "handler":
                self.drop_auth(src, node, dotted, keys)
                self.statuses(src, node, dotted, keys, framework)
            if role in ("handler", "to_dict"):
                self.returned_fields(src, node, dotted, keys, schemas)
        self.mutants.sort(key=lambda m: (KINDS.index(m.kind), m.file, m.line, m.what))
        self.mutants = [dataclasses.replace(m, id=f"M{i:02d}") for i, m in enumerate(self.mutants, 1)]
        return self.mutants, self.skipped

    # drop-write
    def drop_writes(self, src: Source, node: ast.AST, dotted: str, keys: tuple[str, ...]) -> None:
        for sub in walk_own(node):
            if isinstance(sub, ast.Expr) and isinstance(sub.value, ast.Call) and is_write(sub.value):
                self.add("drop-write", src, sub, dotted, f"drop `{src.segment(sub)}`", keys, src.replaced(sub, "pass"))
            elif isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) and sub.func.attr in CREATE_CALLS \
                    and isinstance(sub.func.value, ast.Attribute) and sub.func.value.attr == "objects":
                model = src.segment(sub.func.value.value)
                args = src.segment(sub)[len(src.segment(sub.func)):]
                what = f"`{model}{args}` instead of `{src.segment(sub)}` (never saved)"
                self.add("drop-write", src, sub, dotted, what, keys, src.replaced(sub, f"{model}{args}"))

    # drop-auth
    def drop_auth(self, src: Source, node: ast.AST, dotted: str, keys: tuple[str, ...]) -> None:
        if isinstance(node, ast.ClassDef):
            for stmt in node.body:
                if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "permission_classes"
                                                        for t in stmt.targets) \
                        and isinstance(stmt.value, (ast.Tuple, ast.List)):
                    self.drop_elements(src, stmt.value, dotted, keys, "drop-auth", "the permission class")
            return
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return
        for deco in node.decorator_list:
            name = dotted_name(deco.func if isinstance(deco, ast.Call) else deco)
            if name.rsplit(".", 1)[-1] in self.auth_names:
                self.add("drop-auth", src, deco, dotted, f"drop `@{src.segment(deco)}`", keys,
                         src.without_lines(deco.lineno, deco.end_lineno))
            if isinstance(deco, ast.Call) and isinstance(deco.func, ast.Attribute) and deco.func.attr in ROUTE_ATTRS:
                for kw in deco.keywords:
                    if kw.arg == "dependencies" and isinstance(kw.value, (ast.List, ast.Tuple)):
                        self.drop_elements(src, kw.value, dotted, keys, "drop-auth", "the dependency",
                                           only=lambda e: self.mentions_auth(ast.unparse(e)))
        used = {n.id for n in walk_own(node) if isinstance(n, ast.Name)}
        params = node.args.posonlyargs + node.args.args + node.args.kwonlyargs
        defaults = dict(zip(reversed(node.args.args), reversed(node.args.defaults)))
        defaults.update((a, d) for a, d in zip(node.args.kwonlyargs, node.args.kw_defaults) if d is not None)
        for arg in params:
            text = " ".join(ast.unparse(x) for x in (arg.annotation, defaults.get(arg)) if x is not None)
            if not self.mentions_auth(text):
                continue
            what = f"drop the auth parameter `{src.segment(arg)}`"
            if arg.arg in used:
                self.skip("drop-auth", src, arg, what, f"the handler uses `{arg.arg}`: without the dependency it "
                                                       "would only crash (NameError), not lose a check")
                continue
            args = _without_param(node.args, arg)
            placed = [n for n in ast.walk(node.args) if hasattr(n, "lineno")]
            first = min(placed, key=lambda n: (n.lineno, n.col_offset))
            last = max(placed, key=lambda n: (n.end_lineno, n.end_col_offset))
            start, end = src.offset(first.lineno, first.col_offset), src.offset(last.end_lineno, last.end_col_offset)
            self.add("drop-auth", src, arg, dotted, what, keys, src.text[:start] + ast.unparse(args) + src.text[end:])

    def mentions_auth(self, text: str) -> bool:
        words = set(re.findall(r"\w+", text))
        words |= {w for name in list(words) if name in self.aliases for w in re.findall(r"\w+", self.aliases[name])}
        return bool(words & self.auth_names)

    def drop_elements(self, src: Source, seq: ast.List | ast.Tuple, dotted: str, keys: tuple[str, ...], kind: str,
                      noun: str, only=lambda e: True, declared: set[str] = frozenset()) -> None:
        for i, elt in enumerate(seq.elts):
            if not only(elt):
                continue
            name = src.segment(elt)
            what = f"drop {noun} `{name}`"
            if name.rsplit(".", 1)[-1] == "AllowAny":
                self.skip(kind, src, elt, what, "equivalent: AllowAny checks nothing, so removing it changes nothing")
                continue
            if isinstance(elt, ast.Constant) and elt.value in declared:
                self.skip(kind, src, elt, what, "a declared DRF field missing from Meta.fields is an AssertionError "
                                                "on every request, not a field change")
                continue
            rest = type(seq)(elts=seq.elts[:i] + seq.elts[i + 1:], ctx=ast.Load())
            self.add(kind, src, elt, dotted, what, keys, src.replaced(seq, ast.unparse(rest)))

    # status-code
    def statuses(self, src: Source, node: ast.AST, dotted: str, keys: tuple[str, ...], framework: str) -> None:
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            return
        for deco in getattr(node, "decorator_list", ()):
            if framework == "fastapi" and isinstance(deco, ast.Call) and isinstance(deco.func, ast.Attribute) \
                    and deco.func.attr in ROUTE_ATTRS:
                kw = next((k for k in deco.keywords if k.arg == "status_code"), None)
                if kw is None:
                    self.add("status-code", src, deco, dotted, "route answers 201 instead of its implicit 200", keys,
                             src.replaced(deco, with_keyword(src.segment(deco), "status_code=201")))
                else:
                    self.swap_status(src, kw.value, dotted, keys, "route status")
        for sub in walk_own(node):
            if isinstance(sub, ast.Call):
                for kw in sub.keywords:
                    if kw.arg in ("status_code", "status"):
                        self.swap_status(src, kw.value, dotted, keys, f"`{dotted_name(sub.func)}` status")
                if dotted_name(sub.func).rsplit(".", 1)[-1] == "abort" and sub.args:
                    self.swap_status(src, sub.args[0], dotted, keys, "abort status")
                if dotted_name(sub.func).rsplit(".", 1)[-1] == "Response" and framework == "drf" \
                        and not any(k.arg == "status" for k in sub.keywords) and len(sub.args) < 2:
                    self.add("status-code", src, sub, dotted, "Response answers 201 instead of its implicit 200", keys,
                             src.replaced(sub, with_keyword(src.segment(sub), "status=201")))
            elif isinstance(sub, ast.Return) and sub.value is not None and framework == "flask":
                value = sub.value
                if isinstance(value, ast.Tuple) and len(value.elts) >= 2:
                    self.swap_status(src, value.elts[1], dotted, keys, "returned status")
                elif isinstance(value, (ast.Dict, ast.Call)) and _returns_response(value):
                    self.add("status-code", src, value, dotted, "returns 201 instead of its implicit 200", keys,
                             src.replaced(value, f"{src.segment(value)}, 201"))

    def swap_status(self, src: Source, value: ast.AST, dotted: str, keys: tuple[str, ...], noun: str) -> None:
        code = status_of(value)
        if code is None or code not in STATUS_SWAP:
            return
        new = STATUS_SWAP[code]
        self.add("status-code", src, value, dotted, f"{noun} {code} -> {new}", keys, src.replaced(value, str(new)))

    # response-field
    def returned_fields(self, src: Source, node: ast.AST, dotted: str, keys: tuple[str, ...], schemas: dict) -> None:
        by_class = {name.rsplit(".", 1)[-1]: s for name, s in schemas.items()}
        for ret in walk_own(node):
            if not isinstance(ret, ast.Return) or ret.value is None:
                continue
            value = ret.value
            if isinstance(value, ast.Tuple) and value.elts:
                code = status_of(value.elts[-1]) if len(value.elts) > 1 else None
                if code is not None and code >= 400:
                    continue  # an error response: its body is not a field of the resource
                value = value.elts[0]
            if isinstance(value, ast.Call) and dotted_name(value.func).rsplit(".", 1)[-1] in RESPONSE_CALLS:
                if any(k.arg in ("status", "status_code") and (status_of(k.value) or 0) >= 400 for k in value.keywords):
                    continue
                self.keywords(src, value, dotted, keys, None)
                value = value.args[0] if value.args else value
            if isinstance(value, ast.Dict):
                self.dict_keys(src, value, dotted, keys)
            elif isinstance(value, ast.Call) and dotted_name(value.func).rsplit(".", 1)[-1] in by_class:
                self.keywords(src, value, dotted, keys, by_class[dotted_name(value.func).rsplit(".", 1)[-1]])

    def dict_keys(self, src: Source, d: ast.Dict, dotted: str, keys: tuple[str, ...]) -> None:
        for i, (k, v) in enumerate(zip(d.keys, d.values)):
            if not (isinstance(k, ast.Constant) and isinstance(k.value, str)):
                continue
            rest = ast.Dict(keys=d.keys[:i] + d.keys[i + 1:], values=d.values[:i] + d.values[i + 1:])
            self.add("response-field", src, k, dotted, f"drop the returned field {k.value!r}", keys,
                     src.replaced(d, ast.unparse(rest)))
            new = changed_value(src.segment(v), v)
            self.add("response-field", src, k, dotted, f"returned field {k.value!r} = {new}", keys,
                     src.replaced(v, new))

    def keywords(self, src: Source, call: ast.Call, dotted: str, keys: tuple[str, ...], schema) -> None:
        types = {f.name: f.type for f in schema.fields} if schema is not None else {}
        for kw in call.keywords:
            if kw.arg is None:
                continue
            what = f"{dotted_name(call.func)}({kw.arg}=...) changed"
            new = typed_change(src.segment(kw.value), types.get(kw.arg)) if schema is not None else \
                changed_value(src.segment(kw.value), kw.value)
            if new is None:
                self.skip("response-field", src, kw, what, f"can't change a {types.get(kw.arg, 'value')} value "
                                                           "without knowing which values it may take")
                continue
            self.add("response-field", src, kw, dotted, f"{what}: {kw.arg}={new}", keys, src.replaced(kw.value, new))

    def schema_fields(self, src: Source, cls: ast.AST, dotted: str, keys: tuple[str, ...]) -> None:
        fields = [s for s in getattr(cls, "body", ())
                  if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)]
        for stmt in fields if len(fields) > 1 else ():
            self.add("response-field", src, stmt, dotted, f"drop the response field `{stmt.target.id}` of "
                     f"{dotted.rsplit('.', 1)[-1]}", keys, src.replaced(stmt, "pass"))

    def serializer_fields(self, src: Source, cls: ast.AST, dotted: str, keys: tuple[str, ...]) -> None:
        declared = {t.id for s in getattr(cls, "body", ()) if isinstance(s, ast.Assign) for t in s.targets
                    if isinstance(t, ast.Name)}
        meta = next((s for s in getattr(cls, "body", ()) if isinstance(s, ast.ClassDef) and s.name == "Meta"), None)
        for stmt in getattr(meta, "body", ()):
            names = [t.id for t in getattr(stmt, "targets", ()) if isinstance(t, ast.Name)]
            if "fields" in names and isinstance(stmt.value, (ast.Tuple, ast.List)):
                self.drop_elements(src, stmt.value, dotted, keys, "response-field",
                                   f"from {dotted.rsplit('.', 1)[-1]}.Meta.fields", declared=declared)


def find_def(src: Source, dotted: str) -> ast.AST | None:
    """The def/class of `dotted` (`app.crud.create_item`, `tasks.views.TaskViewSet.create`,
    `notes.create_app.<locals>.health`) in `src`; an inherited method gives its class; None if not there."""
    module = src.rel.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
    if not dotted.startswith(module + "."):
        return None
    parts = [p for p in dotted[len(module) + 1:].split(".") if p != "<locals>"]
    body, found = src.tree.body, None
    for part in parts:
        node = next((n for n in ast.walk(ast.Module(body=body, type_ignores=[]))
                     if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and n.name == part), None)
        if node is None:
            return found if isinstance(found, ast.ClassDef) else None
        body, found = node.body, node
    return found


def walk_own(node: ast.AST) -> Iterator[ast.AST]:
    """The nodes of `node`'s own body: nested functions are other handlers (a class's methods are its own)."""
    todo = list(ast.iter_child_nodes(node))
    while todo:
        sub = todo.pop(0)
        yield sub
        if isinstance(node, ast.ClassDef) or not isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            todo.extend(ast.iter_child_nodes(sub))


def dotted_name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{dotted_name(node.value)}.{node.attr}"
    return ""


def is_write(call: ast.Call) -> bool:
    if not isinstance(call.func, ast.Attribute):
        return False
    receiver = dotted_name(call.func.value).lower()
    return call.func.attr in WRITE_ANY or (call.func.attr in WRITE_SESSION and (
        receiver in ("db", "session", "sess") or receiver.endswith((".session", "db.session"))))


def status_of(node: ast.AST) -> int | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
        return node.value if 100 <= node.value < 600 else None
    m = re.match(r"HTTP_(\d{3})_", getattr(node, "attr", ""))
    return int(m.group(1)) if m else None


def with_keyword(call_text: str, keyword: str) -> str:
    inner = call_text[:-1].rstrip()
    sep = "" if inner.endswith(("(", ",")) else ", "
    return f"{inner}{sep}{' ' if inner.endswith(',') else ''}{keyword})"


def _returns_response(value: ast.AST) -> bool:
    return isinstance(value, ast.Dict) or dotted_name(value.func).rsplit(".", 1)[-1] in RESPONSE_CALLS


def changed_value(text: str, node: ast.AST) -> str:
    """Another value of the same kind where it shows (a literal), else None."""
    if isinstance(node, ast.Constant):
        v = node.value
        if isinstance(v, bool):
            return repr(not v)
        if isinstance(v, (int, float)):
            return repr(v + 1)
        if isinstance(v, str):
            return repr("mutated" if v != "mutated" else "other")
    return "None"


def typed_change(text: str, type_: str | None) -> str | None:
    t = (type_ or "").lower()
    if t in ("str", "emailstr"):
        return "'mutated'"
    if t == "int":
        return f"({text}) + 1"
    if t == "bool":
        return f"not ({text})"
    if t == "float":
        return f"({text}) + 1.5"
    return None


def _uses(endpoint, via: str) -> bool:
    return endpoint.handler == via or any(f.via == via for f in endpoint.effects)


def _without_param(args: ast.arguments, arg: ast.arg) -> ast.arguments:
    """`args` without `arg` (and its default)."""
    new = ast.arguments(**{f: getattr(args, f) for f in args._fields})
    if arg in args.kwonlyargs:
        i = args.kwonlyargs.index(arg)
        new.kwonlyargs = args.kwonlyargs[:i] + args.kwonlyargs[i + 1:]
        new.kw_defaults = args.kw_defaults[:i] + args.kw_defaults[i + 1:]
        return new
    positional = args.posonlyargs + args.args
    i = positional.index(arg)
    first_default = len(positional) - len(args.defaults)
    new.posonlyargs = [a for a in args.posonlyargs if a is not arg]
    new.args = [a for a in args.args if a is not arg]
    if i >= first_default:
        j = i - first_default
        new.defaults = args.defaults[:j] + args.defaults[j + 1:]
    return new


def generate_mutants(root: Path, project) -> tuple[list[Mutant], list[Skipped]]:
    """Every mutant of the app at `root` (scanned as `project`), and the ones skipped with why."""
    return Generator(root, project).generate()


# --- running the tests --------------------------------------------------------------------------------


class ForkingRunner:
    """A process that has imported pytest and the framework (never the app) and forks one child per pytest
    run, so a run costs its tests rather than the imports. Results come back as JUnit XML files."""

    def __init__(self, app_dir: Path, env: dict[str, str], preload: tuple[str, ...], python: str) -> None:
        self.app_dir = app_dir
        full_env = {**os.environ, **env, "PYTHONDONTWRITEBYTECODE": "1"}
        self.proc = subprocess.Popen([python, __file__, "--serve-forks", ",".join(preload)], cwd=app_dir,
                                     env=full_env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.tmp = Path(tempfile.mkdtemp(prefix="seamline-mut-junit-"))
        self.count = 0

    def run(self, targets: list[str], extra: list[str] = (), timeout_s: int = 300):
        from seamline.testrun.runner import read_junit

        self.count += 1
        junit = self.tmp / f"run{self.count}.xml"
        argv = [*targets, "-p", "no:cacheprovider", *(a for p in UNUSED_PLUGINS for a in ("-p", f"no:{p}")), "-q",
                "--color=no", "-o", "junit_family=xunit2", f"--junitxml={junit}", *extra]
        self.proc.stdin.write(json.dumps({"argv": argv, "timeout": timeout_s, "log": str(self.tmp / "out.txt")}) + "\n")
        self.proc.stdin.flush()
        reply = self.proc.stdout.readline()
        if not reply:
            raise SystemExit("the forking test runner died; see the output above")
        outcomes = read_junit(junit, tests_root=self.app_dir) if junit.exists() else ()
        return json.loads(reply)["rc"], outcomes, (self.tmp / "out.txt").read_text(errors="replace")

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)


def serve_forks(preload: str) -> int:
    """`--serve-forks`: import pytest and `preload`, then for each JSON line on stdin fork a child that runs
    `pytest.main(argv)` with its output in `log`; answer each with `{"rc": N}`."""
    import importlib
    import importlib.metadata

    import pytest

    sys.dont_write_bytecode = True
    plugins = [ep.module for ep in importlib.metadata.entry_points(group="pytest11")]  # loaded by every run
    for name in [*plugins, *filter(None, preload.split(","))]:
        try:
            importlib.import_module(name)
        except Exception as e:  # noqa: BLE001 - a module the app does not need: the tests import what they use
            log(f"(preload: {name} not imported: {type(e).__name__})")
    for line in sys.stdin:
        request = json.loads(line)
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            rc = 99
            try:
                fd = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
                os.dup2(fd, 1)
                os.dup2(fd, 2)
                signal.alarm(int(request["timeout"]))
                rc = int(pytest.main(request["argv"]))
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(rc)
        _, status = os.waitpid(pid, 0)
        print(json.dumps({"rc": os.waitstatus_to_exitcode(status)}), flush=True)
    return 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Result:
    mutant: Mutant
    status: str  # "killed" | "survived" | "stillborn"
    by: str = ""  # the first new failure
    tests: int = 0  # tests run against the mutant
    seconds: float = 0.0
    note: str = ""  # how it was killed or why it survived, when the run tells


def failing(outcomes) -> set[str]:
    return {o.nodeid for o in outcomes if o.status in ("failed", "error")}


def selection(suite, endpoints: tuple[str, ...]) -> list[str]:
    """`file::function` of the generated tests (cases and flows) of `endpoints`."""
    out = []
    for module in suite.modules:
        path = f"{suite.output}/{module.file}"
        out += [f"{path}::{c.name}" for c in module.cases if c.endpoint in endpoints]
        out += [f"{path}::{f.name}" for f in module.flows if any(s.endpoint in endpoints for s in f.steps)]
    return list(dict.fromkeys(out))


def run_mutant(runner: ForkingRunner, root: Path, mutant: Mutant, suite, baseline, *, full: bool, confirm: bool,
               extra: list[str]) -> Result:
    """Apply `mutant`, run its tests (new failures only: the baseline's failing tests are deselected), and
    restore the file. A survivor of the selected tests is run against the whole suite too (`confirm`), and
    is told apart: no test for its endpoint, or its endpoint's tests already fail in the baseline."""
    path = root / mutant.file
    original = path.read_text(encoding="utf-8")
    base_failed = failing(baseline)
    universe = {o.nodeid.split("[", 1)[0] for o in baseline}
    wanted = [t for t in selection(suite, mutant.endpoints) if t in universe]
    targets = [suite.output] if full or not wanted else wanted
    new_only = ["-x", *(a for nodeid in sorted(base_failed) for a in ("--deselect", nodeid)), *extra]
    t0 = time.perf_counter()
    note = ""
    try:
        path.write_text(mutant.text, encoding="utf-8")
        rc, outcomes, output = runner.run(targets, new_only)
        if not outcomes:
            return Result(mutant=mutant, status="stillborn", by=f"pytest exit {rc}: {output.strip()[-300:]}",
                          seconds=time.perf_counter() - t0)
        ran = sum(o.status != "skipped" for o in outcomes)
        new = sorted(failing(outcomes) - base_failed)
        if not new and confirm and targets != [suite.output]:
            _, outcomes, _ = runner.run([suite.output], new_only)
            ran = sum(o.status != "skipped" for o in outcomes)
            new = sorted(failing(outcomes) - base_failed)
            note = "killed by a test outside the mutated endpoints' own tests" if new else ""
        if not new:
            note = survivor_note(runner, mutant, wanted, baseline, extra)
    finally:
        path.write_text(original, encoding="utf-8")
    return Result(mutant=mutant, status="killed" if new else "survived", by=new[0] if new else "", tests=ran,
                  seconds=time.perf_counter() - t0, note=note)


def survivor_note(runner: ForkingRunner, mutant: Mutant, wanted: list[str], baseline, extra: list[str]) -> str:
    """Why a mutant (still applied) survived, where the run can tell: no test for its endpoint, or a test
    that would see it already fails in the baseline (it now fails at another line: the deliberate bug hides
    the mutant), or its tests simply do not check what changed."""
    if not wanted:
        return f"no generated test exercises {', '.join(mutant.endpoints)}"
    masked = sorted(o.nodeid for o in baseline
                    if o.status in ("failed", "error") and o.nodeid.split("[", 1)[0] in wanted)
    none = "its tests pass with the mutant: none of them checks what changed"
    if not masked:
        return none
    before = {o.nodeid: failing_line(o) for o in baseline}
    _, outcomes, _ = runner.run(masked, list(extra))
    moved = [o for o in outcomes if o.status in ("failed", "error") and failing_line(o) != before.get(o.nodeid)]
    if moved:
        return (f"masked by the example's deliberate bug: {moved[0].nodeid} fails in the baseline already; with the "
                f"mutant it fails at `{failing_line(moved[0])}` instead")
    return f"{none} ({len(masked)} of them fail in the baseline, the same way with the mutant)"


def failing_line(outcome) -> str:
    """The line pytest marks with `>` last in a failure's report: where the test stopped."""
    lines = re.findall(r"^>\s+(.*)$", outcome.details, re.MULTILINE)
    return lines[-1].strip() if lines else outcome.message


# --- one example --------------------------------------------------------------------------------------


def prepare(name: str, workdir: Path):
    """A scanned copy of the example with its generated tests written; (root, project, suite)."""
    from seamline.core.analyze.scan import scan
    from seamline.core.generate.tests import generate_tests, plan_tests
    from seamline.core.generate.tests.write import write_tests

    root = workdir / name
    shutil.copytree(EXAMPLES / name, root, ignore=shutil.ignore_patterns("__pycache__", ".seamline", "compose.*.yaml",
                                                                         "tests"))
    project = scan(root)
    write_tests(generate_tests(project, root=root, flows=True), root=root)
    (suite,) = [s for s in plan_tests(project, root=root, flows=True) if s.modules]
    return root, project, suite


def run_example(name: str, workdir: Path, args: argparse.Namespace) -> dict:
    from seamline.core.generate.workspace_compose import plan_compose
    from seamline.core.generate.writer import write_generated
    from seamline.env import ComposeCli, leftovers, prune, running_env
    from seamline.env.engine import connect
    from seamline.env.workspace import workspace_env_spec

    t_start = time.perf_counter()
    root, project, suite = prepare(name, workdir)
    mutants, skipped = generate_mutants(root, project)
    if args.mutant:
        mutants = [m for m in mutants if m.id in args.mutant]
    # Only the services a container serves here: outside APIs and mail are answered in the tests' process.
    served = dataclasses.replace(project, services=tuple(s for s in project.services if s.kind in IMAGES))
    not_started = sorted({s.kind for s in project.services} - set(IMAGES))
    plan = plan_compose(served, root, images=IMAGES, regenerate="benchmarks/mutation.py")
    write_generated(plan.result.path, plan.text)
    compose_project = f"seamline-mut-{name.replace('_', '-')}-{uuid.uuid4().hex[:6]}"
    spec = dataclasses.replace(workspace_env_spec(root, project=compose_project), wait_timeout_s=180)
    client = connect()
    extra = ["--reuse-db"] if suite.orm == "django" else []
    results: list[Result] = []
    originals = {m.file: (root / m.file).read_text(encoding="utf-8") for m in mutants}
    try:
        log(f"{name}: {len(mutants)} mutants ({len(skipped)} skipped); bringing up {compose_project}")
        t0 = time.perf_counter()
        with running_env(spec, ComposeCli(cwd=root), client=client) as handle:
            up_s = time.perf_counter() - t0
            runner = ForkingRunner(root, handle.env, PRELOAD.get(suite.framework, ()), sys.executable)
            try:
                t0 = time.perf_counter()
                rc, baseline, output = runner.run([suite.output], extra)
                baseline_s = time.perf_counter() - t0
                if not baseline:
                    raise SystemExit(f"{name}: the baseline run did not run (pytest exit {rc}):\n{output[-3000:]}")
                base_failed = failing(baseline)
                log(f"{name}: baseline {len(baseline)} tests, {len(base_failed)} failing ({baseline_s:.1f}s)")
                for m in mutants:
                    r = run_mutant(runner, root, m, suite, baseline, full=args.full, confirm=not args.no_confirm,
                                   extra=extra)
                    results.append(r)
                    log(f"  {m.id} {r.status:<9} {m.kind:<14} {m.file}:{m.line} {m.what} "
                        f"[{r.tests} tests, {r.seconds:.1f}s]" + (f" {r.note}" if r.note else ""))
                rc, again, _ = runner.run([suite.output], extra)
                recheck = failing(again) == base_failed and len(again) == len(baseline)
            finally:
                runner.close()
    finally:
        restored = all((root / f).read_text(encoding="utf-8") == t for f, t in originals.items())
        left = leftovers(compose_project, client=client)
        if left:
            prune(client=client, project=compose_project)
    return {
        "example": name, "mutants": mutants, "skipped": skipped, "results": results,
        "baseline_tests": len(baseline), "baseline_failing": len(base_failed), "recheck_same": recheck,
        "restored": restored, "leftovers": left, "up_s": up_s, "baseline_s": baseline_s,
        "seconds": time.perf_counter() - t_start, "not_started": not_started, "project": compose_project,
    }


# --- report -------------------------------------------------------------------------------------------


def score(results: list[Result]) -> tuple[int, int, int]:
    counted = [r for r in results if r.status != "stillborn"]
    killed = sum(r.status == "killed" for r in counted)
    return len(counted), killed, len(counted) - killed


def render(reports: list[dict], args: argparse.Namespace) -> str:
    lines = []
    everything: list[Result] = []
    for rep in reports:
        results = rep["results"]
        everything += results
        n, killed, survived = score(results)
        lines.append(f"\n{rep['example']}: {n} mutants, {killed} killed, {survived} survived, score "
                     f"{_pct(killed, n)} (target >= {TARGET:.0%})  [{rep['seconds']:.0f}s; env up {rep['up_s']:.0f}s; "
                     f"baseline {rep['baseline_tests']} tests, {rep['baseline_failing']} failing by the example's "
                     f"deliberate bugs, {rep['baseline_s']:.1f}s]")
        for kind in KINDS:
            of = [r for r in results if r.mutant.kind == kind and r.status != "stillborn"]
            if of:
                lines.append(f"  {kind:<15} {sum(r.status == 'killed' for r in of)}/{len(of)}")
        for r in results:
            if r.status == "survived" or (args.verbose and r.status == "killed"):
                m = r.mutant
                tail = (f"  <- {r.by}" if r.by else f"  ({r.tests} tests ran)") if args.verbose else ""
                note = f"\n              {r.note}" if r.note else ""
                lines.append(f"  {r.status.upper() if r.status == 'survived' else r.status:<9} {m.id} {m.kind:<14} "
                             f"{m.file}:{m.line} in {m.where}: {m.what}{tail}{note}")
        for r in results:
            if r.status == "stillborn":
                lines.append(f"  stillborn {r.mutant.id} {r.mutant.what} (not counted): {r.by}")
        reasons = Counter(s.reason.split(":")[0] for s in rep["skipped"])
        if rep["skipped"]:
            lines.append(f"  skipped {len(rep['skipped'])}: " + "; ".join(f"{c}x {r}" for r, c in reasons.items()))
            if args.verbose:
                lines += [f"    {s.kind:<14} {s.file}:{s.line} {s.what}: {s.reason}" for s in rep["skipped"]]
        checks = [f"re-run of the restored app fails as the baseline did: {'yes' if rep['recheck_same'] else 'NO'}",
                  f"files restored: {'yes' if rep['restored'] else 'NO'}",
                  f"docker leftovers of {rep['project']}: {', '.join(rep['leftovers']) or 'none'}"]
        if rep["not_started"]:
            checks.append(f"not started in docker: {', '.join(rep['not_started'])} (the generated tests answer them "
                          "in process)")
        lines.append("  " + "; ".join(checks))
    n, killed, survived = score(everything)
    lines.append(f"\ntotal: {n} mutants, {killed} killed, {survived} survived, score {_pct(killed, n)} "
                 f"(target >= {TARGET:.0%}: {'PASS' if n and killed / n >= TARGET else 'MISS'})")
    for kind in KINDS:
        of = [r for r in everything if r.mutant.kind == kind and r.status != "stillborn"]
        if of:
            k = sum(r.status == "killed" for r in of)
            lines.append(f"  {kind:<15} {k}/{len(of)} = {_pct(k, len(of))}")
    how = "the whole suite" if args.full else (
        "the mutated endpoints' tests and the flows through them" + (", then the whole suite for a survivor"
                                                                     if not args.no_confirm else ""))
    how += " (baseline failures deselected, -x)"
    lines.append(f"  tests run per mutant: {how}; a kill is a test that passed on the unmutated app and failed")
    return "\n".join(lines)


def _pct(a: int, b: int) -> str:
    return f"{a / b:.0%}" if b else "n/a"


def as_json(reports: list[dict]) -> dict:
    def result(r: Result) -> dict:
        m = r.mutant
        return {"id": m.id, "kind": m.kind, "file": m.file, "line": m.line, "where": m.where, "what": m.what,
                "endpoints": list(m.endpoints), "status": r.status, "by": r.by, "note": r.note, "tests": r.tests,
                "seconds": round(r.seconds, 2)}

    out = {"target": TARGET, "examples": []}
    allr = []
    for rep in reports:
        n, killed, survived = score(rep["results"])
        allr += rep["results"]
        out["examples"].append({
            "example": rep["example"], "mutants": n, "killed": killed, "survived": survived,
            "score": killed / n if n else None, "results": [result(r) for r in rep["results"]],
            "skipped": [dataclasses.asdict(s) for s in rep["skipped"]], "baseline_tests": rep["baseline_tests"],
            "baseline_failing": rep["baseline_failing"], "recheck_same": rep["recheck_same"],
            "restored": rep["restored"], "leftovers": rep["leftovers"], "seconds": round(rep["seconds"], 1)})
    n, killed, survived = score(allr)
    out.update(mutants=n, killed=killed, survived=survived, score=killed / n if n else None)
    return out


def list_mutants(names: list[str]) -> int:
    with tempfile.TemporaryDirectory(prefix="seamline-mut-") as tmp:
        for name in names:
            root, project, _ = prepare(name, Path(tmp))
            mutants, skipped = generate_mutants(root, project)
            print(f"{name}: {len(mutants)} mutants, {len(skipped)} skipped")
            for m in mutants:
                print(f"  {m.id} {m.kind:<14} {m.file}:{m.line} in {m.where}: {m.what}  [{', '.join(m.endpoints)}]")
            for s in skipped:
                print(f"  skip {s.kind:<14} {s.file}:{s.line} {s.what}: {s.reason}")
    return 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--example", action="append", choices=NAMES, help="only this example (repeatable)")
    p.add_argument("--mutant", action="append", help="only this mutant id, e.g. M07 (repeatable; with one example)")
    p.add_argument("--list", action="store_true", help="print the mutants and exit (no docker)")
    p.add_argument("--full", action="store_true", help="run the whole suite for every mutant")
    p.add_argument("--no-confirm", action="store_true",
                   help="do not run a survivor of its endpoints' tests against the whole suite")
    p.add_argument("--json", action="store_true", help="the figures as JSON on stdout")
    p.add_argument("--check", action="store_true", help=f"exit 1 if the score is below {TARGET:.0%}%")
    p.add_argument("-v", "--verbose", action="store_true", help="also list killed mutants and every skip")
    p.add_argument("--serve-forks", metavar="PRELOAD", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.serve_forks is not None:
        return serve_forks(args.serve_forks)
    names = args.example or list(NAMES)
    if args.list:
        return list_mutants(names)
    t0 = time.perf_counter()
    reports = []
    with tempfile.TemporaryDirectory(prefix="seamline-mut-") as tmp:
        for name in names:
            reports.append(run_example(name, Path(tmp), args))
    if args.json:
        json.dump(as_json(reports), sys.stdout, indent=2)
        print()
    else:
        print(render(reports, args))
        print(f"  wall time {time.perf_counter() - t0:.0f}s")
    n, killed, _ = score([r for rep in reports for r in rep["results"]])
    ok = all(rep["recheck_same"] and rep["restored"] and not rep["leftovers"] for rep in reports)
    return 1 if not ok or (args.check and (not n or killed / n < TARGET)) else 0


if __name__ == "__main__":
    sys.exit(main())
