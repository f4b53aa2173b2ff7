"""Name resolution across the modules of one app, from facts alone.

Follows imports (absolute, relative, aliased, star, package `__init__` re-exports) to the
function, class or assignment that defines a name. Names from outside the workspace resolve
to an `external` symbol carrying their dotted origin ("fastapi.APIRouter"), which is how the
linkers recognise framework APIs however they were imported.

Every lookup is recorded for memo.py as a dependency: a whole module (`pkg.mod`), or, for a
name looked up in a module, just what that module binds the name to (`pkg.mod::name`: the
function, the class with its methods, the assignment or the import), so that an edit of one
function leaves alone what only read the module's other names.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .expr import Expr, MaybeExpr, dotted
from .facts import ClassFacts, FunctionFacts, ModuleFacts, class_tuple, function_tuple

_MAX_HOPS = 25
# a dependency on every module of the app (whoever iterated over all of them)
ALL_MODULES = "*"
# "module::name" names what `module` binds `name` to (see `binding`)
BINDING = "::"
# "top.*" names the app's modules under a top-level name (none, for `fastapi` or `typing`)
UNDER = ".*"
_SHAPES_KEPT = 5_000  # binding shapes (and old facts to work them out from) kept before starting again


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


def value_digest(value: object) -> str:
    """A digest of a value made of tuples, strings and numbers (facts, bindings, derived
    fingerprints): equal exactly when the values' reprs are."""
    return hashlib.sha1(repr(value).encode()).hexdigest()


class Resolver:
    def __init__(self, modules: list[ModuleFacts], aliases: dict[str, str] | None = None,
                 digests: dict[str, str] | None = None) -> None:
        self.modules: dict[str, ModuleFacts] = {m.module: m for m in modules}
        for alias, real in (aliases or {}).items():
            if alias not in self.modules and real in self.modules:
                self.modules[alias] = self.modules[real]
        # module name -> digest of its file's content, from the caller (computed from facts if absent)
        self.digests: dict[str, str] = dict(digests or {})
        # fingerprints of values derived from many modules ("@orm.index"), set with `derive` by
        # whoever derives them: a string, or any value that compares equal exactly when the
        # derived value is unchanged
        self.derived: dict[str, object] = {}
        # the modules each piece of running analysis consults, innermost last (see memo.py); every
        # module/name lookup adds to the top set, and a finished set is merged into the one below
        self.trackers: list[set[str]] = []
        # answers of top-level lookups with the modules they consulted; facts are immutable for
        # the life of a Resolver
        self._simple: dict[tuple[str, str], tuple[Symbol | None, frozenset[str]]] = {}
        self._digest_cache: dict[str, object] = {}
        self._stars: dict[str, list[str]] = {}  # module -> its star imports (a list built per call)
        # module -> (its facts, {"module::name": digest}): binding digests, which the owner of the
        # resolver may keep from scan to scan (they hold while the module's facts are the same)
        self.bindings: dict[str, tuple[ModuleFacts, dict[str, str]]] = {}
        # names found to be no module (digest None) while the app had the modules in "modules",
        # likewise kept from scan to scan by the owner
        self.absent: dict[str, object] = {}
        self._tops: dict[str, tuple[str, ...]] | None = None
        # binding digest -> its shape (see binding_shape), or the (facts, name) to work it out
        # from, for the bindings of edited modules; digests name content, so the owner may keep
        # this from scan to scan
        self.shapes: dict[object, tuple | None] = {}

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

    def derive(self, name: str, fingerprint: object) -> None:
        """Set the fingerprint of the derived value `name` ("@..." ) for this scan."""
        self.derived[name] = fingerprint
        self._digest_cache[name] = fingerprint

    def prime_digests(self) -> None:
        """Work out every module's digest now, and take the binding digests kept from earlier
        scans of unchanged modules, so that most names are in `digest_cache` from the start."""
        for name in self.modules:
            if name not in self._digest_cache:
                self.digest_of(name)
        modules = frozenset(self.modules)
        if self.absent.get("modules") == modules:
            self._digest_cache.update(dict.fromkeys(self.absent["names"]))  # type: ignore[arg-type]
        else:
            self.absent.update(modules=modules, names=set())
        for module in list(self.bindings):
            facts, known = self.bindings[module]
            if self.modules.get(module) is facts:
                self._digest_cache.update(known)
            else:
                # the module was edited: keep what each binding it had was read from, so that a
                # memo entry that read one that only moved can be reused with its lines shifted
                if len(self.shapes) > _SHAPES_KEPT:
                    self.shapes.clear()
                for key, digest in known.items():
                    self.shapes.setdefault(digest, (facts, key.partition(BINDING)[2]))
                del self.bindings[module]

    @property
    def digest_cache(self) -> dict[str, object]:
        """The digests worked out so far in this scan, by name (read, never written, by memo.py)."""
        return self._digest_cache

    def digest_of(self, name: str) -> object:
        """What `name` stands for now: its module's identity and content, a derived value's
        fingerprint, or None for a name that is not an app module."""
        if name in self._digest_cache:
            return self._digest_cache[name]
        if name.startswith("@"):
            found = self._digest_cache[name] = self.derived.get(name)  # `derive` may set it later
            return found
        if name.endswith(UNDER):
            found = self._under().get(name[:-len(UNDER)], ())
            self._digest_cache[name] = found
            return found
        if BINDING in name:
            module, _, attr = name.partition(BINDING)
            m = self.modules.get(module)
            found = None if m is None else self._binding_digest(m, attr, name)
            self._digest_cache[name] = found
            if found is None:
                self._absent(name)
            return found
        if name == ALL_MODULES:
            h = hashlib.sha1()
            for n in sorted(self.modules):
                h.update(f"{n}\0{self.digest_of(n)}\n".encode())
            found: str | None = h.hexdigest()
        else:
            m = self.modules.get(name)
            if m is None:
                found = None
                self._absent(name)
            else:
                content = self.digests.get(m.module) or value_digest(m.to_tuple())
                found = f"{m.module}\0{m.path}\0{content}"
        self._digest_cache[name] = found
        return found

    def _absent(self, name: str) -> None:
        names = self.absent.get("names")
        if isinstance(names, set):
            names.add(name)

    def _under(self) -> dict[str, tuple[str, ...]]:
        """Top-level name -> the app's modules under it."""
        if self._tops is None:
            tops: dict[str, list[str]] = {}
            for name in self.modules:
                tops.setdefault(name.partition(".")[0], []).append(name)
            self._tops = {top: tuple(sorted(names)) for top, names in tops.items()}
        return self._tops

    def _binding_digest(self, m: ModuleFacts, attr: str, key: str) -> str:
        kept = self.bindings.get(m.module)
        if kept is None or kept[0] is not m:
            kept = self.bindings[m.module] = (m, {})
        found = kept[1].get(key)
        if found is None:
            found = kept[1][key] = value_digest(binding(m, attr))
        return found

    def shape_of(self, name: str) -> tuple[str, str, int, int] | None:
        """The shape of the binding `name` ("module::attr") as it is now (see binding_shape)."""
        digest = self.digest_of(name)
        if digest not in self.shapes:
            module, _, attr = name.partition(BINDING)
            m = self.modules.get(module)
            if m is None:
                return None
            self.shapes[digest] = (m, attr)
        return self.shape_had(digest)

    def shape_had(self, digest: object) -> tuple[str, str, int, int] | None:
        """The shape of the binding that had `digest`, if it was in a module edited since."""
        found = self.shapes.get(digest)
        if type(found) is tuple and len(found) == 2:  # (facts, name): worked out on first use
            found = self.shapes[digest] = binding_shape(*found)
        return found  # type: ignore[return-value]

    def module(self, name: str) -> ModuleFacts | None:
        if self.trackers:
            self.trackers[-1].add(name)
        return self.modules.get(name)

    def defining_module(self, sym: Symbol) -> ModuleFacts | None:
        """The module that defines `sym`, for reading `sym` itself (and, for a class, its
        methods): the reader depends on that binding, not on the whole module."""
        m = self.modules.get(sym.module)
        if m is None:
            self.use(sym.module)
        elif self.trackers:
            self.trackers[-1].add(binding_name(sym.module, sym.name))
        return m

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
        m = self.modules.get(module)
        if m is None:
            self.use(module)  # its absence
            return None
        self.use(module + BINDING + name)  # all that is read of `m` below
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
            self.use(sub + BINDING)  # whether that submodule is there
        if sub and sub in self.modules:
            return Symbol("module", sub, "", self.modules[sub])
        return None

    def resolve_dotted(self, target: str, hops: int = 0) -> Symbol | None:
        """An absolute dotted name (an import target) -> Symbol."""
        if hops > _MAX_HOPS:
            return None
        top = target.partition(".")[0]
        if top not in self._under():
            # nothing of the app lives under that name (fastapi, typing ...): one dependency says
            # so for all of its dotted names
            self.use(top + UNDER)
            return Symbol("external", "", target, None)
        if target in self.modules:
            # a module symbol is its name: what is read of the module goes through lookups
            # (`member`) or `module()`, which record their own dependencies
            self.use(target + BINDING)
            return Symbol("module", self.modules[target].module, "", self.modules[target])
        self.use(target)
        parts = target.split(".")
        for i in range(len(parts) - 1, 0, -1):
            mod = ".".join(parts[:i])
            self.use(mod + BINDING)  # that the module is there; the lookup below reads the name
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
                m = self.defining_module(sym)  # the class's methods and nested classes
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


def binding_name(module: str, qualname: str) -> str:
    """The dependency on what `module` binds the top-level name of `qualname` to ("Item.save" ->
    the class Item, methods included)."""
    return module + BINDING + qualname.split(".", 1)[0]


def binding(m: ModuleFacts, name: str) -> tuple:
    """Everything a lookup of top-level `name` in `m` reads: the module's identity, the
    functions and classes named `name` or nested in it (methods), the assignment and the import
    of it, and (when the module binds nothing of that name) its star imports and package-ness."""
    if not name:  # "module::" stands for the module being there at all
        return (m.module, m.path, m.is_package)
    inner = name + "."
    fns = tuple(function_tuple(f) for group in (m.functions, m.local_functions) for f in group
                if f.qualname == name or f.qualname.startswith(inner))
    classes = tuple(class_tuple(c) for c in m.classes if c.qualname == name or c.qualname.startswith(inner))
    assigned, imported = m.assigned(name), m.imported(name)
    bound = bool(fns or classes or assigned or imported)
    return (m.module, m.path, m.is_package, fns, classes, assigned, imported, () if bound else tuple(m.star_imports))


def binding_shape(m: ModuleFacts, name: str) -> tuple[str, str, int, int] | None:
    """(digest of the binding with its lines counted from its anchor (its first def, class or
    assignment line), file, first line, last line), or None when it has no lines. Two bindings of
    the same shape differ only in where they are: lines inserted above a class move it without
    changing what a linker reads of it."""
    b = binding(m, name)
    if len(b) < 8:
        return None
    module, path, is_package, fns, classes, assigned, imported, stars = b
    anchors = [f[1] for f in fns] + [c[1] for c in classes] + ([assigned[1]] if assigned else [])
    if not anchors:
        return None
    base = min(anchors)
    lines: list[int] = []
    shape = (module, path, is_package, tuple(_relative_def(f, base, lines, fn=True) for f in fns),
             tuple(_relative_def(c, base, lines, fn=False) for c in classes),
             None if not assigned else (_relative_expr(assigned[0], base, lines), _line(assigned[1], base, lines)),
             imported, stars)
    return value_digest(shape), m.path, min(lines), max(lines)


def _line(n: int, base: int, lines: list[int]) -> int:
    lines.append(n)
    return n - base


# positions in function_tuple / class_tuple that hold Exprs (or tuples of them) with calls
_FN_EXPRS, _CLASS_EXPRS = (6, 8, 9, 10, 13, 14), (5, 6, 7)


def _relative_def(t: tuple, base: int, lines: list[int], *, fn: bool) -> tuple:
    """A function_tuple / class_tuple with every line relative to `base`: the def/class lines,
    decorator lines, assignment and attribute lines, and the line of every call inside."""
    out = list(t)
    out[1], out[3] = _line(t[1], base, lines), _line(t[3], base, lines)
    for i in _FN_EXPRS if fn else _CLASS_EXPRS:
        out[i] = _relative_expr(t[i], base, lines)
    if fn:
        out[7] = tuple(_line(n, base, lines) for n in t[7])  # decorator lines
        out[11] = tuple((a, _relative_expr(v, base, lines), _line(n, base, lines)) for a, v, n in t[11])
        out[16] = tuple((b, _relative_expr(k, base, lines), _relative_expr(v, base, lines), _line(n, base, lines))
                        for b, k, v, n in t[16])
    else:
        out[8] = tuple((a, _relative_expr(ann, base, lines), _relative_expr(v, base, lines), _line(n, base, lines))
                       for a, ann, v, n in t[8])  # attributes
    return tuple(out)


def _relative_expr(e: Any, base: int, lines: list[int]) -> Any:
    """An Expr (or tuple of them) with call lines relative to `base`; a call is the only Expr
    that is a 5-tuple tagged "c" (see expr.py)."""
    if type(e) is not tuple:
        return e
    if len(e) == 5 and e[0] == "c" and type(e[4]) is int:
        lines.append(e[4])
        return ("c", _relative_expr(e[1], base, lines), _relative_expr(e[2], base, lines),
                _relative_expr(e[3], base, lines), e[4] - base)
    return tuple([_relative_expr(v, base, lines) for v in e])


def relative_expr(e: Any, base: int) -> tuple[Any, int]:
    """`e` with its call lines counted from `base`, and how many lines below `base` its last
    call is: what a statement at line `base` says, wherever the statement is."""
    lines: list[int] = []
    out = _relative_expr(e, base, lines)
    return out, max([n - base for n in lines], default=0)


def local_env(fn: FunctionFacts) -> tuple[dict[str, Expr], dict[str, str]]:
    """Assignments and imports inside a function body, for resolving its local names."""
    env: dict[str, Expr] = {}
    for target, value, _line in fn.assigns:
        if "." not in target:
            env[target] = value
    imports = {alias: target for alias, target in fn.imports if alias != "*"}
    return env, imports
