"""Pydantic (v1 and v2) and SQLModel classes -> `Schema` values, read from class facts.

Fields come from annotated class attributes along the class's resolvable ancestry (a subclass
overrides its bases' fields), with `Field(...)` defaults and constraints, Enum and Literal
values, and nested models (`Item`, `list[Item]`, `Optional[Item]`) collected recursively.
"""

from __future__ import annotations

import logging

from ..model import Schema, SchemaField
from .context import AppContext
from .expr import MaybeExpr, arg, call_kwargs, const, is_call, items, render
from .fastapi_common import Scope, framework_class, is_ellipsis, last_name, qual, resolve, text
from .resolve import Symbol

log = logging.getLogger(__name__)

MODEL_BASES = frozenset({"BaseModel", "SQLModel", "GenericModel", "RootModel"})
_MODEL_ROOTS = frozenset({"pydantic", "sqlmodel"})
_ENUM_BASES = frozenset({"Enum", "IntEnum", "StrEnum", "Flag", "IntFlag"})
CONSTRAINT_KEYS = ("gt", "ge", "lt", "le", "min_length", "max_length", "pattern", "regex", "multiple_of",
                   "max_digits", "decimal_places", "min_items", "max_items")
_MANY = frozenset({"list", "List", "Sequence", "set", "Set", "frozenset", "FrozenSet", "tuple", "Tuple",
                   "Iterable", "conlist"})
_NON_FIELDS = frozenset({"model_config", "Config", "__tablename__", "__table_args__"})


def constraints_of(call: MaybeExpr) -> tuple[tuple[str, str], ...]:
    """Validation keywords of `Field(...)`, `Query(...)`, `Path(...)` ..., in a stable order."""
    kw = call_kwargs(call)
    return tuple((k, text(kw[k])) for k in CONSTRAINT_KEYS if k in kw)


def unwrap_type(e: MaybeExpr) -> tuple[MaybeExpr, bool, bool]:
    """(inner type, many, optional): peels Optional/Union-with-None/`X | None`, list-likes and
    Annotated, so `Optional[list[Item]]` -> (Item, True, True)."""
    many = optional = False
    for _ in range(10):
        if not e:
            break
        if e[0] == "u":
            left, right = e[1], e[2]
            if right == ("k", None):
                optional, e = True, left
                continue
            if left == ("k", None):
                optional, e = True, right
                continue
            break
        if e[0] != "s":
            break
        base = last_name(e[1])
        parts = items(e[2]) or (e[2],)
        if base == "Optional":
            optional, e = True, parts[0]
        elif base == "Union":
            rest = [p for p in parts if p != ("k", None) and last_name(p) != "None"]
            optional = optional or len(rest) < len(parts)
            if len(rest) != 1:
                break
            e = rest[0]
        elif base in _MANY:
            many, e = True, parts[0]
        elif base == "Annotated":
            e = parts[0]
        else:
            break
    return e, many, optional


class SchemaCollector:
    """Collects every schema reachable from the endpoints of one app, once each."""

    def __init__(self, ctx: AppContext, *, memo: bool = True) -> None:
        self.ctx = ctx
        self.schemas: dict[str, Schema] = {}
        self.memo = memo  # False inside a memoized collection: that one recurses in place
        self._roots: list[list[tuple[Symbol, str]]] = []  # models asked for by running recordings

    def recording(self) -> list[tuple[Symbol, str]]:
        """Start noting the models `model_ref` is asked about (an endpoint's schemas), so that a
        memoized endpoint can bring them along again with `add`."""
        roots: list[tuple[Symbol, str]] = []
        self._roots.append(roots)
        return roots

    def stop_recording(self, roots: list[tuple[Symbol, str]]) -> list[tuple[Symbol, str]]:
        top = self._roots.pop()
        assert top is roots, "schema recordings closed out of order"
        return roots

    def add(self, sym: Symbol, kind: str) -> None:
        """Collect a model and every model nested in it, memoized per model across scans. Merging
        a whole closure keeps the order a walk in place gives: what is already here is complete."""
        if sym.fqn in self.schemas:
            return
        if not self.memo:
            self.collect(sym, kind)
            return

        def closure() -> dict[str, Schema]:
            fresh = SchemaCollector(self.ctx, memo=False)
            fresh.collect(sym, kind)
            return fresh.schemas

        found = self.ctx.memoized(("pydantic.closure", sym.fqn, kind), closure, reads=(sym.module,))
        for name, schema in found.items():
            self.schemas.setdefault(name, schema)

    def model_kind(self, sym: Symbol | None) -> str | None:
        """"pydantic" or "sqlmodel" when `sym` is a model class, else None."""
        if sym is None or sym.kind != "class":
            return None
        found = framework_class(self.ctx, sym, MODEL_BASES, _MODEL_ROOTS)
        if found is None:
            return None
        return "sqlmodel" if found == "SQLModel" else "pydantic"

    def model_ref(self, scope: Scope, type_expr: MaybeExpr) -> tuple[str, bool] | None:
        """(schema name, many) when `type_expr` names a model or a list of one; collects it."""
        inner, many, _ = unwrap_type(type_expr)
        if not inner or inner[0] not in ("n", "a"):
            return None
        sym = resolve(self.ctx, scope, inner)
        kind = self.model_kind(sym)
        if sym is None or kind is None:
            return None
        if self._roots:
            # a recording endpoint hands its models to the walk, which collects them in walk
            # order whether the endpoint was linked now or reused from the memo
            self._roots[-1].append((sym, kind))
        else:
            self.add(sym, kind)
        return sym.fqn, many

    def collect(self, sym: Symbol, kind: str) -> str:
        name = sym.fqn
        if name in self.schemas:
            return name
        # a placeholder first: self-referencing and mutually nested models stop here
        self.schemas[name] = Schema(name=name, kind=kind)
        fields: dict[str, SchemaField] = {}
        classes = [c for c in self.ctx.resolver.mro(sym) if c.kind == "class"]
        for cls in reversed(classes):  # bases first, so subclasses override
            for f in self._own_fields(cls):
                fields[f.name] = f
        module = self.ctx.resolver.module(sym.module)
        table = dict(sym.facts.keywords).get("table")
        self.schemas[name] = Schema(
            name=name, kind=kind, fields=tuple(fields.values()), file=module.path if module else "",
            line=sym.facts.line, model=name if kind == "sqlmodel" and const(table) is True else None)
        return name

    def _own_fields(self, cls: Symbol) -> list[SchemaField]:
        scope = Scope.of(cls.module)
        out = []
        for name, ann, value, _line in cls.facts.attrs:
            if ann is None or name.startswith("_") or name in _NON_FIELDS or last_name(ann) == "ClassVar":
                continue
            if ann[0] == "s" and last_name(ann[1]) == "ClassVar":
                continue
            made_by = self._maker(scope, value)
            if made_by == "Relationship":
                continue  # SQLModel relationships are ORM links, not fields of the payload
            out.append(self._field(scope, name, ann, value, is_field_call=made_by == "Field"))
        return out

    def _maker(self, scope: Scope, value: MaybeExpr) -> str:
        """"Field" for `Field(...)` / `SQLField(...)` however imported; the callee's last name part."""
        if not is_call(value):
            return ""
        return (qual(self.ctx, scope, value[1]) or "").rsplit(".", 1)[-1]

    def _field(self, scope: Scope, name: str, ann: MaybeExpr, value: MaybeExpr, *,
               is_field_call: bool) -> SchemaField:
        inner, many, optional = unwrap_type(ann)
        required, default, constraints = _default_of(value, optional, is_field_call)
        # Annotated[int, Field(gt=0)] carries constraints in the annotation
        if ann and ann[0] == "s" and last_name(ann[1]) == "Annotated":
            for meta in (items(ann[2]) or ())[1:]:
                if is_call(meta) and last_name(meta[1]) == "Field":
                    constraints = constraints + constraints_of(meta)
        nested = None
        ref = self.model_ref(scope, inner)
        if ref is not None:
            nested = ref[0]
        return SchemaField(name=name, type=render(ann), required=required, default=default,
                           constraints=constraints, enum=self.enum_values(scope, inner), nested=nested,
                           many=many)

    def enum_values(self, scope: Scope, e: MaybeExpr) -> tuple[str, ...]:
        """Allowed values of an Enum class or a `Literal[...]`."""
        if e and e[0] == "s" and last_name(e[1]) == "Literal":
            return tuple(text(v) for v in (items(e[2]) or (e[2],)))
        if not e or e[0] not in ("n", "a"):
            return ()
        sym = resolve(self.ctx, scope, e)
        if sym is None or sym.kind != "class" or not self.ctx.resolver.inherits(sym, _ENUM_BASES):
            return ()
        return tuple(text(v) for n, _ann, v, _line in sym.facts.attrs
                     if not n.startswith("_") and const(v) is not None)


def _default_of(value: MaybeExpr, optional: bool,
                is_field_call: bool) -> tuple[bool, str | None, tuple[tuple[str, str], ...]]:
    """(required, default text, constraints) of a field's assigned value."""
    if value is None:
        return not optional, None, ()
    if is_field_call:
        constraints = constraints_of(value)
        if "default_factory" in call_kwargs(value):
            return False, render(call_kwargs(value)["default_factory"]) + "()", constraints
        default = arg(value, 0, "default")
        if default is None:
            return not optional, None, constraints
        if is_ellipsis(default):
            return True, None, constraints
        return False, render(default), constraints
    return False, render(value), ()

