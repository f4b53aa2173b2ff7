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

from ...analyze.expr import Expr, MaybeExpr, call_args, call_func, call_kwargs, const, dotted, is_call, walk
from ...analyze.facts import FunctionFacts, ModuleFacts, extract

log = logging.getLogger(__name__)

_STATUS_NAME = re.compile(r"(?:^|\.)(?:HTTP_)?(\d{3})(?:_[A-Z_]+)?$")
_ABORTS = frozenset({"abort", "flask.abort", "werkzeug.exceptions.abort"})


@dataclass
class CodeFacts:
    """Facts of an app's modules, read on demand; owned by one generation run."""

    app_dir: Path
    _modules: dict[str, ModuleFacts | None] = field(default_factory=dict)

    def module(self, module: str) -> ModuleFacts | None:
        if module not in self._modules:
            self._modules[module] = self._load(module)
        return self._modules[module]

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
                return extract(tree, module=module, path=rel, is_package=is_package, source=source)
        return None

    def function(self, dotted_name: str) -> FunctionFacts | None:
        """`app.api.deps.get_current_user` or `app.views.ItemView.get`."""
        parts = dotted_name.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            facts = self.module(".".join(parts[:cut]))
            if facts is not None:
                return facts.function(".".join(parts[cut:]))
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
