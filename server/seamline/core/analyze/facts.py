"""Per-file facts: everything the linkers need from one module, as compact values.

`extract()` parses a file once with the stdlib `ast` and keeps only what analysis reads:
imports, top-level assignments and calls, function signatures and decorators, the calls and
assignments inside function bodies, class attributes, env-var reads and URL-like strings.
All of it round-trips through `to_tuple`/`from_tuple` so the on-disk cache can use `marshal`.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from .expr import Expr, MaybeExpr, convert, dotted, string

FACTS_VERSION = 7  # bump when the shape below changes; old cache entries are then ignored


@dataclass(slots=True)
class FunctionFacts:
    qualname: str  # "create_item" or "ItemView.get"
    line: int  # line of the `def` keyword (decorators have their own lines)
    col: int  # code points
    end_line: int
    end_col: int
    is_async: bool = False
    decorators: tuple = ()  # Expr per decorator
    decorator_lines: tuple = ()
    params: tuple = ()  # (name, kind, annotation Expr|None, default Expr|None); kind: pos|kwonly|vararg|kwarg
    returns: MaybeExpr = None
    calls: tuple = ()  # every Call Expr in the body (not in nested defs)
    assigns: tuple = ()  # (target, value Expr, line); target "x" or "obj.attr"
    imports: tuple = ()  # (alias, absolute dotted target) for imports inside the body
    raises: tuple = ()  # Expr of each `raise X(...)`
    returns_values: tuple = ()  # Expr of each `return X` (bounded)
    method_checks: tuple = ()  # strings compared with `<x>.method` (`request.method == "POST"`)
    item_assigns: tuple = ()  # (base dotted, key Expr, value Expr, line) for `session["k"] = v`
    const_checks: tuple = ()  # (name, string) for `name == "literal"` / `name != "literal"` (fixed API keys)


@dataclass(slots=True)
class ClassFacts:
    qualname: str
    line: int
    col: int
    end_line: int
    end_col: int
    bases: tuple = ()  # Expr
    keywords: tuple = ()  # (name, Expr), e.g. ("table", ("k", True)) for SQLModel tables
    decorators: tuple = ()
    attrs: tuple = ()  # (name, annotation Expr|None, value Expr|None, line)
    methods: tuple = ()  # method names, in order


@dataclass(slots=True)
class ModuleFacts:
    module: str
    path: str  # relative to the workspace root, POSIX
    is_package: bool = False
    imports: tuple = ()  # (alias, absolute dotted target); alias "*" for star imports
    assigns: tuple = ()  # (name, value Expr, line); augmented assigns use name "x+="
    calls: tuple = ()  # module-level Call Exprs (statements, including inside if/try/with)
    functions: tuple = ()  # FunctionFacts
    classes: tuple = ()  # ClassFacts
    env_reads: tuple = ()  # (name, line, default Expr|None)
    urls: tuple = ()  # (string, line) for string constants that contain "://"
    lines: int = 0
    # defs nested in function bodies (app factories, decorator wrappers), qualname
    # "outer.<locals>.inner" as Python spells it; kept apart so `functions` stays top-level/methods
    local_functions: tuple = ()
    # derived lookups, rebuilt on load (not cached)
    _functions: dict = field(default_factory=dict, repr=False)
    _classes: dict = field(default_factory=dict, repr=False)
    _assigns: dict = field(default_factory=dict, repr=False)
    _imports: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._functions = {f.qualname: f for f in self.functions}
        self._functions.update((f.qualname, f) for f in self.local_functions)
        self._classes = {c.qualname: c for c in self.classes}
        self._assigns = {}
        for name, value, line in self.assigns:
            if not name.endswith("+="):
                self._assigns[name] = (value, line)
        self._imports = {alias: target for alias, target in self.imports if alias != "*"}

    def function(self, qualname: str) -> FunctionFacts | None:
        return self._functions.get(qualname)

    def cls(self, qualname: str) -> ClassFacts | None:
        return self._classes.get(qualname)

    def assigned(self, name: str) -> tuple[Expr, int] | None:
        return self._assigns.get(name)

    def imported(self, alias: str) -> str | None:
        return self._imports.get(alias)

    @property
    def star_imports(self) -> list[str]:
        return [t for a, t in self.imports if a == "*"]

    def to_tuple(self) -> tuple:
        return (
            FACTS_VERSION, self.module, self.path, self.is_package, self.imports, self.assigns, self.calls,
            tuple(function_tuple(f) for f in self.functions),
            tuple(class_tuple(c) for c in self.classes),
            self.env_reads, self.urls, self.lines,
            tuple(function_tuple(f) for f in self.local_functions),
        )

    @classmethod
    def from_tuple(cls, t: tuple) -> ModuleFacts | None:
        if not t or t[0] != FACTS_VERSION:
            return None
        (_, module, path, is_pkg, imports, assigns, calls, fns, classes, env_reads, urls, lines, local_fns) = t
        return cls(
            module=module, path=path, is_package=is_pkg, imports=imports, assigns=assigns, calls=calls,
            functions=tuple(FunctionFacts(*f) for f in fns), classes=tuple(ClassFacts(*c) for c in classes),
            env_reads=env_reads, urls=urls, lines=lines,
            local_functions=tuple(FunctionFacts(*f) for f in local_fns),
        )


def function_tuple(f: FunctionFacts) -> tuple:
    return (f.qualname, f.line, f.col, f.end_line, f.end_col, f.is_async, f.decorators, f.decorator_lines,
            f.params, f.returns, f.calls, f.assigns, f.imports, f.raises, f.returns_values, f.method_checks,
            f.item_assigns, f.const_checks)


def class_tuple(c: ClassFacts) -> tuple:
    return (c.qualname, c.line, c.col, c.end_line, c.end_col, c.bases, c.keywords, c.decorators, c.attrs,
            c.methods)


# ---- extraction ----------------------------------------------------------------------------


def absolute_import(module: str, is_package: bool, level: int, target: str | None) -> str:
    """Resolve `from ..x import y` against the importing module's dotted name."""
    if level == 0:
        return target or ""
    parts = module.split(".")
    base = parts if is_package else parts[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)] if level - 1 <= len(base) else []
    prefix = ".".join(base)
    if target:
        return f"{prefix}.{target}" if prefix else target
    return prefix


# Nodes that never hold a call, an assignment or a string worth keeping: not worth a visit.
_LEAVES = (ast.Name, ast.expr_context, ast.operator, ast.cmpop, ast.unaryop, ast.boolop, ast.alias, ast.Pass,
           ast.Break, ast.Continue)


def _push_children(node: ast.AST, stack: list) -> None:
    """`stack.extend(reversed(list(ast.iter_child_nodes(node))))` without the generator and
    without the leaves: the body walk is the hottest loop of a cold scan."""
    found = []
    for name in node._fields:
        value = getattr(node, name, None)
        if value is None:
            continue
        if type(value) is list:
            for item in value:
                if isinstance(item, ast.AST) and not isinstance(item, _LEAVES):
                    found.append(item)
        elif isinstance(value, ast.AST) and not isinstance(value, _LEAVES):
            found.append(value)
    found.reverse()
    stack.extend(found)


class _Columns:
    """ast columns are UTF-8 byte offsets; the model wants code points. Only lines with
    non-ASCII characters need work, so that check is done once per line, lazily."""

    __slots__ = ("lines",)

    def __init__(self, source: str) -> None:
        self.lines = source.splitlines() if not source.isascii() else None

    def col(self, line: int, byte_col: int) -> int:
        if self.lines is None or line - 1 >= len(self.lines) or line < 1:
            return byte_col
        text = self.lines[line - 1]
        if text.isascii():
            return byte_col
        return len(text.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))


_ENV_GETTERS = {"os.getenv", "getenv", "os.environ.get", "environ.get", "env", "config", "env.str", "env.int",
                "env.bool", "env.url", "env.db", "os.environ.setdefault"}


class _Extractor:
    def __init__(self, module: str, path: str, is_package: bool, source: str) -> None:
        self.module = module
        self.path = path
        self.is_package = is_package
        self.cols = _Columns(source)
        self.imports: list[tuple[str, str]] = []
        self.assigns: list[tuple] = []
        self.calls: list[Expr] = []
        self.functions: list[FunctionFacts] = []
        self.local_functions: list[FunctionFacts] = []
        self._nested: list = []  # defs met while walking the current function body
        self._items: list = []  # `x["k"] = v` met while walking the current function body
        self._consts: list = []  # `name == "literal"` met while walking the current function body
        self.classes: list[ClassFacts] = []
        self.env_reads: list[tuple] = []
        self.urls: list[tuple] = []

    # imports -----------------------------------------------------------------------------
    def _import(self, node: ast.Import | ast.ImportFrom, out: list) -> None:
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.asname:
                    out.append((a.asname, a.name))
                else:
                    # `import a.b.c` binds `a`; keep the full name too so `a.b.c.x` resolves
                    out.append((a.name.split(".")[0], a.name.split(".")[0]))
                    if "." in a.name:
                        out.append((a.name, a.name))
        else:
            base = absolute_import(self.module, self.is_package, node.level, node.module)
            for a in node.names:
                if a.name == "*":
                    out.append(("*", base))
                else:
                    out.append((a.asname or a.name, f"{base}.{a.name}" if base else a.name))

    # statements --------------------------------------------------------------------------
    def module_body(self, body: list[ast.stmt]) -> None:
        for stmt in body:
            t = type(stmt)
            if t is ast.Import or t is ast.ImportFrom:
                self._import(stmt, self.imports)  # type: ignore[arg-type]
            elif t is ast.FunctionDef or t is ast.AsyncFunctionDef:
                self.function(stmt, "")  # type: ignore[arg-type]
            elif t is ast.ClassDef:
                self.cls(stmt, "")  # type: ignore[arg-type]
            elif t is ast.Assign:
                value = convert(stmt.value)  # type: ignore[attr-defined]
                for target in stmt.targets:  # type: ignore[attr-defined]
                    self._assign_target(target, value, stmt.lineno, self.assigns)
                self._scan_expr(stmt.value)  # type: ignore[attr-defined]
            elif t is ast.AnnAssign and stmt.value is not None:  # type: ignore[attr-defined]
                self._assign_target(stmt.target, convert(stmt.value), stmt.lineno, self.assigns)  # type: ignore[attr-defined]
                self._scan_expr(stmt.value)  # type: ignore[attr-defined]
            elif t is ast.AugAssign:
                name = dotted(convert(stmt.target))  # type: ignore[attr-defined]
                if name:
                    self.assigns.append((name + "+=", convert(stmt.value), stmt.lineno))  # type: ignore[attr-defined]
            elif t is ast.Expr:
                if isinstance(stmt.value, ast.Call):  # type: ignore[attr-defined]
                    self.calls.append(convert(stmt.value))  # type: ignore[attr-defined]
                self._scan_expr(stmt.value)  # type: ignore[attr-defined]
            elif t is ast.If:
                self.module_body(stmt.body)  # type: ignore[attr-defined]
                self.module_body(stmt.orelse)  # type: ignore[attr-defined]
            elif t is ast.Try or t.__name__ == "TryStar":
                self.module_body(stmt.body)  # type: ignore[attr-defined]
                for h in stmt.handlers:  # type: ignore[attr-defined]
                    self.module_body(h.body)
                self.module_body(stmt.orelse)  # type: ignore[attr-defined]
                self.module_body(stmt.finalbody)  # type: ignore[attr-defined]
            elif t is ast.With or t is ast.AsyncWith:
                self.module_body(stmt.body)  # type: ignore[attr-defined]

    def _assign_target(self, target: ast.expr, value: MaybeExpr, line: int, out: list) -> None:
        if isinstance(target, (ast.Tuple, ast.List)):
            for elt in target.elts:
                self._assign_target(elt, None, line, out)
            return
        name = dotted(convert(target))
        if name:
            out.append((name, value, line))

    def _scan_expr(self, node: ast.AST) -> None:
        """Env reads and URL strings in a module-level expression."""
        for sub in ast.walk(node):
            self._env_or_url(sub)

    def _env_or_url(self, sub: ast.AST) -> None:
        t = type(sub)
        if t is ast.Constant:
            v = sub.value  # type: ignore[attr-defined]
            if isinstance(v, str) and "://" in v and len(v) < 500:
                self.urls.append((v, sub.lineno))  # type: ignore[attr-defined]
        elif t is ast.Call:
            fn = dotted(convert(sub.func))  # type: ignore[attr-defined]
            if fn in _ENV_GETTERS:  # the arguments are converted only then: most calls are not env reads
                self._env_read(fn, tuple(convert(a) for a in sub.args[:2]), sub.lineno)  # type: ignore[attr-defined]
        elif t is ast.Subscript:
            base = dotted(convert(sub.value))  # type: ignore[attr-defined]
            if base in ("os.environ", "environ"):
                name = string(convert(sub.slice))  # type: ignore[attr-defined]
                if name:
                    self.env_reads.append((name, sub.lineno, None))  # type: ignore[attr-defined]

    def _env_read(self, fn: str | None, args: tuple, line: int) -> None:
        """`os.getenv("NAME", default)` and the like: the called name, its converted arguments."""
        if args and fn in _ENV_GETTERS:
            name = string(args[0])
            if name:
                self.env_reads.append((name, line, args[1] if len(args) > 1 else None))

    def function(self, node: ast.FunctionDef | ast.AsyncFunctionDef, prefix: str, out: list | None = None) -> None:
        qual = f"{prefix}{node.name}"
        a = node.args
        params: list[tuple] = []
        positional = list(a.posonlyargs) + list(a.args)
        defaults = [None] * (len(positional) - len(a.defaults)) + list(a.defaults)
        for p, d in zip(positional, defaults):
            params.append((p.arg, "pos", convert(p.annotation), convert(d)))
        if a.vararg:
            params.append((a.vararg.arg, "vararg", convert(a.vararg.annotation), None))
        for p, d in zip(a.kwonlyargs, a.kw_defaults):
            params.append((p.arg, "kwonly", convert(p.annotation), convert(d)))
        if a.kwarg:
            params.append((a.kwarg.arg, "kwarg", convert(a.kwarg.annotation), None))
        calls: list[Expr] = []
        assigns: list[tuple] = []
        imports: list[tuple] = []
        raises: list[Expr] = []
        returns: list[Expr] = []
        checks: list[str] = []
        saved, self._nested, self._items, self._consts = (self._nested, self._items, self._consts), [], [], []
        self._body(node.body, calls, assigns, imports, raises, returns, checks)
        nested, items, consts = self._nested, self._items, self._consts
        self._nested, self._items, self._consts = saved
        end_line = node.end_lineno or node.lineno
        (self.functions if out is None else out).append(FunctionFacts(
            qualname=qual,
            line=node.lineno,
            col=self.cols.col(node.lineno, node.col_offset),
            end_line=end_line,
            end_col=self.cols.col(end_line, node.end_col_offset or 0),
            is_async=isinstance(node, ast.AsyncFunctionDef),
            decorators=tuple(convert(d) for d in node.decorator_list),
            decorator_lines=tuple(d.lineno for d in node.decorator_list),
            params=tuple(params),
            returns=convert(node.returns),
            calls=tuple(calls),
            assigns=tuple(assigns),
            imports=tuple(imports),
            raises=tuple(raises),
            returns_values=tuple(returns[:8]),
            method_checks=tuple(dict.fromkeys(checks)),
            item_assigns=tuple(items),
            const_checks=tuple(dict.fromkeys(consts)),
        ))
        for inner in nested:
            self.function(inner, f"{qual}.<locals>.", self.local_functions)

    def _body(self, body: list[ast.stmt], calls: list, assigns: list, imports: list, raises: list,
              returns: list, checks: list) -> None:
        # Iterative walk that stops at nested defs/classes/lambdas: their calls are not this
        # function's calls (they may never run).
        stack: list[ast.AST] = list(reversed(body))
        while stack:
            node = stack.pop()
            t = type(node)
            if t is ast.FunctionDef or t is ast.AsyncFunctionDef:
                self._nested.append(node)  # extracted on its own, after this body
                continue
            if t is ast.ClassDef or t is ast.Lambda:
                continue
            if t is ast.Call:
                call = convert(node)
                calls.append(call)
                if call[0] == "c":  # not cut off as too deep
                    self._env_read(dotted(call[1]), call[2], call[4])  # type: ignore[index]
            elif t is ast.Assign:
                value = convert(node.value)  # type: ignore[attr-defined]
                for target in node.targets:  # type: ignore[attr-defined]
                    self._assign_target(target, value, node.lineno, assigns)  # type: ignore[attr-defined]
                    if type(target) is ast.Subscript:
                        base = dotted(convert(target.value))  # type: ignore[attr-defined]
                        if base:
                            self._items.append((base, convert(target.slice), value, node.lineno))  # type: ignore[attr-defined]
            elif t is ast.AnnAssign and node.value is not None:  # type: ignore[attr-defined]
                self._assign_target(node.target, convert(node.value), node.lineno, assigns)  # type: ignore[attr-defined]
            elif t is ast.AugAssign:
                self._assign_target(node.target, convert(node.value), node.lineno, assigns)  # type: ignore[attr-defined]
            elif t is ast.Import or t is ast.ImportFrom:
                self._import(node, imports)  # type: ignore[arg-type]
                continue
            elif t is ast.Raise and node.exc is not None:  # type: ignore[attr-defined]
                raises.append(convert(node.exc))  # type: ignore[attr-defined]
            elif t is ast.Return and node.value is not None:  # type: ignore[attr-defined]
                returns.append(convert(node.value))  # type: ignore[attr-defined]
            elif t is ast.Constant or t is ast.Subscript:
                self._env_or_url(node)
            elif t is ast.Compare:
                _method_check(node, checks)  # type: ignore[arg-type]
                _const_check(node, self._consts)  # type: ignore[arg-type]
            elif t is ast.withitem and node.optional_vars is not None:  # type: ignore[attr-defined]
                # `with Session(engine) as session:` binds a local like an assignment
                self._assign_target(node.optional_vars, convert(node.context_expr),  # type: ignore[attr-defined]
                                    getattr(node.context_expr, "lineno", 0), assigns)  # type: ignore[attr-defined]
            _push_children(node, stack)

    def cls(self, node: ast.ClassDef, prefix: str) -> None:
        qual = f"{prefix}{node.name}"
        attrs: list[tuple] = []
        methods: list[str] = []
        for stmt in node.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                methods.append(stmt.name)
                self.function(stmt, qual + ".")
            elif isinstance(stmt, ast.ClassDef):
                self.cls(stmt, qual + ".")
            elif isinstance(stmt, ast.Assign):
                value = convert(stmt.value)
                for target in stmt.targets:
                    if isinstance(target, ast.Name):
                        attrs.append((target.id, None, value, stmt.lineno))
                self._scan_expr(stmt.value)
            elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                attrs.append((stmt.target.id, convert(stmt.annotation), convert(stmt.value), stmt.lineno))
                if stmt.value is not None:
                    self._scan_expr(stmt.value)
        end_line = node.end_lineno or node.lineno
        self.classes.append(ClassFacts(
            qualname=qual,
            line=node.lineno,
            col=self.cols.col(node.lineno, node.col_offset),
            end_line=end_line,
            end_col=self.cols.col(end_line, node.end_col_offset or 0),
            bases=tuple(convert(b) for b in node.bases),
            keywords=tuple((k.arg or "**", convert(k.value)) for k in node.keywords),
            decorators=tuple(convert(d) for d in node.decorator_list),
            attrs=tuple(attrs),
            methods=tuple(methods),
        ))


def _method_check(node: ast.Compare, out: list) -> None:
    """`request.method == "POST"` / `request.method in ("PUT", "PATCH")`: which HTTP methods a
    plain Django view handles is only visible in such comparisons."""
    sides = [node.left, *node.comparators]
    if not any(isinstance(s, ast.Attribute) and s.attr == "method" for s in sides):
        return
    for s in sides:
        elts = s.elts if isinstance(s, (ast.Tuple, ast.List, ast.Set)) else [s]
        out.extend(e.value for e in elts if isinstance(e, ast.Constant) and isinstance(e.value, str))


def _const_check(node: ast.Compare, out: list) -> None:
    """`x_token != "fake-super-secret-token"`: a dependency comparing a header or query value with
    a constant accepts only that constant (a fixed API key)."""
    if len(node.ops) != 1 or type(node.ops[0]) not in (ast.Eq, ast.NotEq):
        return
    sides = (node.left, node.comparators[0])
    name = next((s.id for s in sides if isinstance(s, ast.Name)), None)
    value = next((s.value for s in sides if isinstance(s, ast.Constant) and isinstance(s.value, str)), None)
    if name and value:
        out.append((name, value))


def extract(tree: ast.Module, *, module: str, path: str, is_package: bool, source: str) -> ModuleFacts:
    ex = _Extractor(module, path, is_package, source)
    ex.module_body(tree.body)
    return ModuleFacts(
        module=module, path=path, is_package=is_package, imports=tuple(ex.imports), assigns=tuple(ex.assigns),
        calls=tuple(ex.calls), functions=tuple(ex.functions), classes=tuple(ex.classes),
        local_functions=tuple(ex.local_functions),
        env_reads=tuple(ex.env_reads), urls=tuple(ex.urls), lines=source.count("\n") + 1,
    )
