"""Name resolution across the modules of one app, from facts alone.

Follows imports (absolute, relative, aliased, star, package `__init__` re-exports) to the
function, class or assignment that defines a name. Names from outside the workspace resolve
to an `external` symbol carrying their dotted origin ("fastapi.APIRouter"), which is how the
linkers recognise framework APIs however they were imported.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

from .expr import Expr, MaybeExpr, dotted
from .facts import ClassFacts, FunctionFacts, ModuleFacts

_MAX_HOPS = 25


@dataclass(frozen=True, slots=True)
class Symbol:
    kind: str  # "function" | "class" | "assign" | "module" | "external"
    module: str  # defining module ("" for external)
    name: str  # qualname inside the module; the dotted origin for external
    facts: Any = None  # FunctionFacts | ClassFacts | (Expr, line) | ModuleFacts | None

    @property
    def fqn(self) -> str:
        if self.kind == "external" or not self.module:
            return self.name
        if self.kind == "module":
            return self.module
        return f"{self.module}.{self.name}"


class Resolver:
    def __init__(self, modules: list[ModuleFacts], aliases: dict[str, str] | None = None) -> None:
        self.modules: dict[str, ModuleFacts] = {m.module: m for m in modules}
        for alias, real in (aliases or {}).items():
            if alias not in self.modules and real in self.modules:
                self.modules[alias] = self.modules[real]
        # answers of top-level lookups; facts are immutable for the life of a Resolver
        self._simple: dict[tuple[str, str], Symbol | None] = {}

    def module(self, name: str) -> ModuleFacts | None:
        return self.modules.get(name)

    def iter_modules(self) -> Iterator[ModuleFacts]:
        seen: set[int] = set()
        for m in self.modules.values():
            if id(m) not in seen:
                seen.add(id(m))
                yield m

    # --- lookups ------------------------------------------------------------------------------
    def lookup(self, module: str, name: str, _hops: int = 0) -> Symbol | None:
        """Resolve `name` (possibly dotted) as seen from `module`'s top level."""
        if _hops > _MAX_HOPS:
            return None
        head, _, rest = name.partition(".")
        sym = self._lookup_simple(module, head, _hops)
        if sym is None:
            return None
        return self.member(sym, rest, _hops) if rest else sym

    def _lookup_simple(self, module: str, name: str, hops: int) -> Symbol | None:
        key = (module, name)
        if key in self._simple:
            return self._simple[key]
        found = self._lookup_simple_uncached(module, name, hops)
        # a miss deep in an import chain may be the hop limit talking: only remember it at the top
        if found is not None or hops == 0:
            self._simple[key] = found
        return found

    def _lookup_simple_uncached(self, module: str, name: str, hops: int) -> Symbol | None:
        m = self.modules.get(module)
        if m is None:
            return None
        fn = m.function(name)
        cls = m.cls(name)
        asg = m.assigned(name)
        imp = m.imported(name)
        # When a module both defines and imports a name, the later binding wins; facts keep
        # line numbers for definitions only, so prefer definitions (the common case).
        if cls is not None:
            return Symbol("class", m.module, name, cls)
        if fn is not None:
            return Symbol("function", m.module, name, fn)
        if asg is not None:
            return Symbol("assign", m.module, name, asg)
        if imp is not None:
            return self.resolve_dotted(imp, hops + 1)
        for star in m.star_imports:
            if star in self.modules and star != module:
                sym = self._lookup_simple(star, name, hops + 1)
                if sym is not None:
                    return sym
        # a submodule of a package: `import pkg` then `pkg.sub`
        sub = f"{module}.{name}" if m.is_package else None
        if sub and sub in self.modules:
            return Symbol("module", sub, "", self.modules[sub])
        return None

    def resolve_dotted(self, target: str, hops: int = 0) -> Symbol | None:
        """An absolute dotted name (an import target) -> Symbol."""
        if hops > _MAX_HOPS:
            return None
        if target in self.modules:
            return Symbol("module", self.modules[target].module, "", self.modules[target])
        parts = target.split(".")
        for i in range(len(parts) - 1, 0, -1):
            mod = ".".join(parts[:i])
            if mod in self.modules:
                return self.lookup(self.modules[mod].module, ".".join(parts[i:]), hops + 1)
        return Symbol("external", "", target, None)

    def member(self, sym: Symbol, attr: str, hops: int = 0) -> Symbol | None:
        """`sym.attr` (attr may be dotted)."""
        for part in attr.split("."):
            if sym is None:
                return None
            if sym.kind == "module":
                sym = self._lookup_simple(sym.module, part, hops + 1)
            elif sym.kind == "external":
                sym = Symbol("external", "", f"{sym.name}.{part}", None)
            elif sym.kind == "class":
                m = self.modules.get(sym.module)
                qual = f"{sym.name}.{part}"
                fn = m.function(qual) if m else None
                if fn is not None:
                    sym = Symbol("function", sym.module, qual, fn)
                    continue
                cls = m.cls(qual) if m else None
                if cls is not None:
                    sym = Symbol("class", sym.module, qual, cls)
                    continue
                attr_found = None
                for name, _ann, value, line in sym.facts.attrs:
                    if name == part:
                        attr_found = Symbol("assign", sym.module, qual, (value, line))
                if attr_found is None:
                    # inherited: look through resolvable bases
                    for base in self.bases(sym):
                        found = self.member(base, part, hops + 1) if base.kind == "class" else None
                        if found is not None:
                            attr_found = found
                            break
                sym = attr_found
            elif sym.kind == "assign":
                value = sym.facts[0]
                target = self.resolve_expr(sym.module, value, _hops=hops + 1) if value else None
                if target is not None and target.kind in ("module", "class", "external"):
                    sym = self.member(target, part, hops + 1)
                else:
                    return None
            else:
                return None
        return sym

    def resolve_expr(self, module: str, e: MaybeExpr, local: dict[str, Expr] | None = None,
                     local_imports: dict[str, str] | None = None, _hops: int = 0) -> Symbol | None:
        """Resolve a Name/Attribute expression seen in `module`; `local` maps names bound
        inside a function (assignments) and `local_imports` its own imports."""
        name = dotted(e)
        if name is None:
            return None
        head, _, rest = name.partition(".")
        if local_imports and head in local_imports:
            sym = self.resolve_dotted(local_imports[head], _hops + 1)
        elif local and head in local and local[head] is not None and _hops < _MAX_HOPS:
            value = local[head]
            inner = dotted(value)
            if inner is not None and inner != name:
                sym = self.resolve_expr(module, value, None, local_imports, _hops + 1)
            else:
                sym = Symbol("assign", module, head, (value, 0))
        else:
            sym = self._lookup_simple(module, head, _hops)
        if sym is None:
            return None
        return self.member(sym, rest, _hops) if rest else sym

    def qualname(self, module: str, e: MaybeExpr, local: dict[str, Expr] | None = None,
                 local_imports: dict[str, str] | None = None) -> str | None:
        """Fully-qualified dotted name of what `e` refers to, e.g. "fastapi.APIRouter"."""
        sym = self.resolve_expr(module, e, local, local_imports)
        if sym is None:
            return dotted(e)
        return sym.fqn

    # --- classes --------------------------------------------------------------------------------
    def bases(self, sym: Symbol) -> list[Symbol]:
        if sym.kind != "class":
            return []
        out = []
        for b in sym.facts.bases:
            base_expr = b[1] if b and b[0] == "s" else b  # Generic[...] / GenericAPIView[T]
            r = self.resolve_expr(sym.module, base_expr)
            if r is not None:
                out.append(r)
        return out

    def mro(self, sym: Symbol, limit: int = 30) -> list[Symbol]:
        """The class and its resolvable ancestors, depth-first; externals included as leaves."""
        out: list[Symbol] = []
        seen: set[str] = set()
        stack = [sym]
        while stack and len(out) < limit:
            cur = stack.pop(0)
            if cur.fqn in seen:
                continue
            seen.add(cur.fqn)
            out.append(cur)
            stack.extend(self.bases(cur))
        return out

    def inherits(self, sym: Symbol, names: set[str] | frozenset[str]) -> str | None:
        """The first external ancestor whose dotted name (or last part) is in `names`."""
        for anc in self.mro(sym):
            if anc.kind == "external":
                if anc.name in names or anc.name.rsplit(".", 1)[-1] in names:
                    return anc.name
            elif anc.kind == "class" and anc.name in names:
                return anc.fqn
        return None

    def function_of(self, sym: Symbol | None) -> tuple[ModuleFacts, FunctionFacts] | None:
        if sym is None or sym.kind != "function":
            return None
        m = self.modules.get(sym.module)
        return (m, sym.facts) if m else None

    def class_of(self, sym: Symbol | None) -> tuple[ModuleFacts, ClassFacts] | None:
        if sym is None or sym.kind != "class":
            return None
        m = self.modules.get(sym.module)
        return (m, sym.facts) if m else None


def local_env(fn: FunctionFacts) -> tuple[dict[str, Expr], dict[str, str]]:
    """Assignments and imports inside a function body, for resolving its local names."""
    env: dict[str, Expr] = {}
    for target, value, _line in fn.assigns:
        if "." not in target:
            env[target] = value
    imports = {alias: target for alias, target in fn.imports if alias != "*"}
    return env, imports
