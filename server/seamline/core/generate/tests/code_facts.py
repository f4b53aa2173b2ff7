"""What the generator reads from the app's code beyond the project model: the status codes a handler
or dependency raises, the arguments the app passes to its token function, decorator keywords.

Static, like the analysis: files are parsed with `ast` into the same facts the linkers use, never
imported. Only the few modules the planned endpoints name are read.
"""

from __future__ import annotations

import ast
import logging
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from ...analyze.expr import Expr, MaybeExpr, call_args, call_func, call_kwargs, const, dotted, is_call, is_str, walk
from ...analyze.facts import FunctionFacts, ModuleFacts, extract

log = logging.getLogger(__name__)

_STATUS_NAME = re.compile(r"(?:^|\.)(?:HTTP_)?(\d{3})(?:_[A-Z_]+)?$")
_ABORTS = frozenset({"abort", "flask.abort", "werkzeug.exceptions.abort"})


@dataclass
class CodeFacts:
    """Facts of an app's modules, read on demand; owned by one generation run."""

    app_dir: Path
    _modules: dict[str, ModuleFacts | None] = field(default_factory=dict)
    _trees: dict[str, ast.Module] = field(default_factory=dict)  # for readers that facts are too lossy for

    def module(self, module: str) -> ModuleFacts | None:
        if module not in self._modules:
            self._modules[module] = self._load(module)
        return self._modules[module]

    def tree(self, module: str) -> ast.Module | None:
        """The module's full syntax tree (f-string placeholders, subscripts: what facts leave out)."""
        return self._trees.get(module) if self.module(module) is not None else None

    def _load(self, module: str) -> ModuleFacts | None:
        base = self.app_dir.joinpath(*module.split("."))
        for path, is_package in ((base.with_suffix(".py"), False), (base / "__init__.py", True)):
            if path.is_file():
                try:
                    source = path.read_text(encoding="utf-8-sig")
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        tree = ast.parse(source)
                except (OSError, UnicodeDecodeError, SyntaxError, ValueError) as e:
                    log.info("cannot read %s for test generation: %s", path, e)
                    return None
                rel = path.relative_to(self.app_dir).as_posix()
                self._trees[module] = tree
                return extract(tree, module=module, path=rel, is_package=is_package, source=source)
        return None

    def function(self, dotted_name: str) -> FunctionFacts | None:
        """`app.api.deps.get_current_user` or `app.views.ItemView.get`."""
        found = self.locate(dotted_name)
        return found[1] if found is not None else None

    def locate(self, dotted_name: str) -> tuple[ModuleFacts, FunctionFacts] | None:
        """The function and the module that defines it."""
        parts = dotted_name.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            facts = self.module(".".join(parts[:cut]))
            if facts is not None:
                fn = facts.function(".".join(parts[cut:]))
                return (facts, fn) if fn is not None else None
        return None


def status_of(e: MaybeExpr) -> int | None:
    """404 from `404`, `status.HTTP_404_NOT_FOUND`, `HTTPStatus.NOT_FOUND` is not resolved (None)."""
    value = const(e)
    if isinstance(value, int) and 100 <= value < 600:
        return value
    name = dotted(e)
    if name:
        m = _STATUS_NAME.search(name)
        if m:
            return int(m.group(1))
    return None


def _call_status(call: Expr) -> int | None:
    kwargs = call_kwargs(call)
    if "status_code" in kwargs:
        return status_of(kwargs["status_code"])
    if "code" in kwargs:
        return status_of(kwargs["code"])
    args = call_args(call)
    return status_of(args[0]) if args else None


def raised_statuses(fn: FunctionFacts | None) -> tuple[int, ...]:
    """Status codes a function raises itself (`raise HTTPException(status_code=404)`) or aborts with
    (`abort(403)`), in source order, without duplicates."""
    if fn is None:
        return ()
    found: list[int] = []
    for raised in fn.raises:
        if is_call(raised):
            code = _call_status(raised)
            if code is not None:
                found.append(code)
    for call in fn.calls:
        name = dotted(call_func(call)) or ""
        if name in _ABORTS or name.endswith(".abort"):
            code = _call_status(call)
            if code is not None:
                found.append(code)
    return tuple(dict.fromkeys(found))


def calls_to(fn: FunctionFacts | None, name: str) -> list[Expr]:
    """Calls in `fn` whose callee's last name is `name` (however it was imported)."""
    if fn is None:
        return []
    out = []
    for call in fn.calls:
        callee = dotted(call_func(call)) or ""
        if callee.rsplit(".", 1)[-1] == name:
            out.append(call)
    return out


def names_in(e: MaybeExpr) -> list[str]:
    """Plain names an expression reads, in order (`str(user.id)` -> ["str", "user"])."""
    return [node[1] for node in walk(e) if isinstance(node, tuple) and node and node[0] == "n"]


def decorator_keyword(fn: FunctionFacts | None, keyword: str) -> MaybeExpr:
    """The value of `keyword=` in the first decorator call that has it (`response_model=list[X]`)."""
    if fn is None:
        return None
    for deco in fn.decorators:
        if is_call(deco):
            value = call_kwargs(deco).get(keyword)
            if value is not None:
                return value
    return None


def attribute_writes(fn: FunctionFacts | None) -> list[tuple[str, str]]:
    """(object, attribute) pairs a function sets on something other than itself: `task.status = ...`
    and `setattr(item, field, value)` (attribute "*"). A handler doing this means to change a row,
    whether or not it goes on to save it."""
    if fn is None:
        return []
    out = [tuple(target.split(".", 1)) for target, _value, _line in fn.assigns
           if "." in target and target.split(".", 1)[0] not in ("self", "cls")]
    for call in calls_to(fn, "setattr"):
        obj = dotted(call_args(call)[0]) if call_args(call) else None
        if obj and obj not in ("self", "cls"):
            out.append((obj, "*"))
    return list(dict.fromkeys(out))  # type: ignore[arg-type]


def answers_literal_body(fn: FunctionFacts | None) -> bool:
    """Whether every `return` of a handler builds its own body from literals (`Response({"ok": True})`,
    `{"detail": "done"}`, `Response(status=204)`) rather than a representation of the resource, so
    the response says nothing about the row, whatever response schema the view declares."""
    values = fn.returns_values if fn is not None else ()

    def literal(v: MaybeExpr) -> bool:
        return bool(v) and v[0] in ("d", "k", "l")  # type: ignore[index]

    return bool(values) and all(literal(v) or (is_call(v) and (not call_args(v) or literal(call_args(v)[0])))
                                for v in values)


# Calls that wrap a body (the dict is their first argument or `content=`/`data=`) and calls whose keywords are
# the body's keys (`jsonify(status="ok")`, `dict(...)`).
_BODY_WRAPPERS = frozenset({"Response", "JSONResponse", "ORJSONResponse", "UJSONResponse", "JsonResponse",
                            "make_response"})
_BODY_KWARGS = frozenset({"jsonify", "dict"})
_NOT_BODY = frozenset({"status", "status_code", "headers", "content_type", "media_type", "mimetype", "safe",
                       "background", "**"})


def success_body(fn: FunctionFacts | None, schema_class: str | None = None) -> tuple[dict[str, Expr], bool] | None:
    """The keys of the body a handler's only success `return` builds, with the expression of each value
    (`{"status": "ok"}`, `jsonify(sent_to=current_user.email), 202`, `Token(access_token=...)` when the
    response schema's class is `schema_class`), and whether that was a call of `schema_class` (whose
    other fields then take their defaults). None when it has several success returns (which one the
    test takes is not known) or builds its body some other way."""
    bodies = []
    for value in fn.returns_values if fn is not None else ():
        body, status = value, None
        # `return body, 202` (facts write tuples and lists alike: `[{...}, {...}]` is a list of rows)
        if value and value[0] == "l" and len(value[1]) >= 2 and not (value[1][1] and value[1][1][0] == "d"):
            body, status = value[1][0], status_of(value[1][1])
        if is_call(body):
            kwargs = call_kwargs(body)
            status = status_of(kwargs.get("status_code") or kwargs.get("status")) or status
        if status is not None and status >= 400:
            continue
        bodies.append(body)
    if len(bodies) != 1:
        return None
    body = bodies[0]
    if is_call(body):
        name = (dotted(call_func(body)) or "").rsplit(".", 1)[-1]
        if name in _BODY_WRAPPERS:
            kwargs = call_kwargs(body)
            body = call_args(body)[0] if call_args(body) else kwargs.get("content") or kwargs.get("data")
        elif (name in _BODY_KWARGS or (schema_class and name == schema_class)) and not call_args(body):
            kwargs = call_kwargs(body)
            if "**" in kwargs:
                return None  # more keys than the call shows
            return {k: v for k, v in kwargs.items() if k not in _NOT_BODY or name == schema_class}, \
                name == schema_class
    if body and body[0] == "d":
        pairs = body[1]
        if any(k is None for k, _ in pairs):  # `{**other, ...}`
            return None
        return {k[1]: v for k, v in pairs if is_str(k)}, False
    return None
