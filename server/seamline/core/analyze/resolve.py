"""Name resolution across the modules of one app, from facts alone.

Follows imports (absolute, relative, aliased, star, package `__init__` re-exports) to the
function, class or assignment that defines a name. Names from outside the workspace resolve
to an `external` symbol carrying their dotted origin ("fastapi.APIRouter"), which is how the
linkers recognise framework APIs however they were imported.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .expr import Expr, MaybeExpr, dotted
from .facts import ClassFacts, FunctionFacts, ModuleFacts

_MAX_HOPS = 25
# a dependency on every module of the app (whoever iterated over all of them)
ALL_MODULES = "*"


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
    def __init__(self, modules: list[ModuleFacts], aliases: dict[str, str] | None = None,
                 digests: dict[str, str] | None = None) -> None:
        self.modules: dict[str, ModuleFacts] = {m.module: m for m in modules}
        for alias, real in (aliases or {}).items():
            if alias not in self.modules and real in self.modules:
                self.modules[alias] = self.modules[real]
        # module name -> digest of its file's content, from the caller (computed from facts if absent)
        self.digests: dict[str, str] = dict(digests or {})
        # fingerprints of values derived from many modules ("@orm.index"), set by whoever derives them
        self.derived: dict[str, str] = {}
        # the modules each piece of running analysis consults, innermost last (see memo.py); every
        # module/name lookup adds to the top set, and a finished set is merged into the one below
        self.trackers: list[set[str]] = []
        # answers of top-level lookups with the modules they consulted; facts are immutable for
        # the life of a Resolver
        self._simple: dict[tuple[str, str], tuple[Symbol | None, frozenset[str]]] = {}
        self._digest_cache: dict[str, str | None] = {}
        self._stars: dict[str, list[str]] = {}  # module -> its star imports (a list built per call)

    # --- dependency tracking --------------------------------------------------------------------
    def use(self, name: str) -> None:
        """Record that the running analysis read module `name` (or its absence)."""
        if self.trackers:
            self.trackers[-1].add(name)

    def begin(self) -> set[str]:
        found: set[str] = set()
        self.trackers.append(found)
        return found

    def end(self, found: set[str], *, propagate: bool = True) -> frozenset[str]:
        """Close the tracker `begin` returned; what it saw also counts for the enclosing one."""
        top = self.trackers.pop()
        assert top is found, "trackers closed out of order"
        if propagate and self.trackers:
            self.trackers[-1].update(found)
        return frozenset(found)

    def digest_of(self, name: str) -> str | None:
        """What `name` stands for now: its module's identity and content, a derived value's
        fingerprint, or None for a name that is not an app module."""
        if name in self._digest_cache:
            return self._digest_cache[name]
        if name.startswith("@"):
            return self.derived.get(name)  # not cached: set during the scan
        if name == ALL_MODULES:
            h = hashlib.sha1()
            for n in sorted(self.modules):
                h.update(f"{n}\0{self.digest_of(n)}\n".encode())
            found: str | None = h.hexdigest()
        else:
            m = self.modules.get(name)
            if m is None:
                found = None
            else:
                content = self.digests.get(m.module) or hashlib.sha1(repr(m.to_tuple()).encode()).hexdigest()
                found = f"{m.module}\0{m.path}\0{content}"
        self._digest_cache[name] = found
        return found

    def module(self, name: str) -> ModuleFacts | None:
        if self.trackers:
            self.trackers[-1].add(name)
        return self.modules.get(name)

    def iter_modules(self) -> Iterator[ModuleFacts]:
        self.use(ALL_MODULES)
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
        cached = self._simple.get(key)
        if cached is not None:
            if self.trackers:
                self.trackers[-1].update(cached[1])
            return cached[0]
        consulted = self.begin()
        try:
            found = self._lookup_simple_uncached(module, name, hops)
        finally:
            deps = self.end(consulted)
        # a miss deep in an import chain may be the hop limit talking: only remember it at the top
        if found is not None or hops == 0:
            self._simple[key] = (found, deps)
        return found

    def _lookup_simple_uncached(self, module: str, name: str, hops: int) -> Symbol | None:
        m = self.module(module)
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
        stars = self._stars.get(m.module)
        if stars is None:
            stars = self._stars[m.module] = m.star_imports
        for star in stars:
            self.use(star)
            if star in self.modules and star != module:
                sym = self._lookup_simple(star, name, hops + 1)
                if sym is not None:
                    return sym
        # a submodule of a package: `import pkg` then `pkg.sub`
        sub = f"{module}.{name}" if m.is_package else None
        if sub:
            self.use(sub)
        if sub and sub in self.modules:
            return Symbol("module", sub, "", self.modules[sub])
        return None

    def resolve_dotted(self, target: str, hops: int = 0) -> Symbol | None:
        """An absolute dotted name (an import target) -> Symbol."""
        if hops > _MAX_HOPS:
            return None
        self.use(target)
        if target in self.modules:
            return Symbol("module", self.modules[target].module, "", self.modules[target])
        parts = target.split(".")
        for i in range(len(parts) - 1, 0, -1):
            mod = ".".join(parts[:i])
            self.use(mod)
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
                m = self.module(sym.module)
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
        m = self.module(sym.module)
        return (m, sym.facts) if m else None

    def class_of(self, sym: Symbol | None) -> tuple[ModuleFacts, ClassFacts] | None:
        if sym is None or sym.kind != "class":
            return None
        m = self.module(sym.module)
        return (m, sym.facts) if m else None


def local_env(fn: FunctionFacts) -> tuple[dict[str, Expr], dict[str, str]]:
    """Assignments and imports inside a function body, for resolving its local names."""
    env: dict[str, Expr] = {}
    for target, value, _line in fn.assigns:
        if "." not in target:
            env[target] = value
    imports = {alias: target for alias, target in fn.imports if alias != "*"}
    return env, imports
