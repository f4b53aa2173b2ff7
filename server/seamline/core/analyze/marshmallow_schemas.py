"""marshmallow schemas (used by flask-smorest, flask-apispec and webargs) as `Schema` values.

Fields are the class attributes built from `fields.X(...)` along the class's resolvable ancestry
(`required=True`, `load_only`/`dump_only`, `validate=Length(max=...)`, nested schemas). A
`@pre_load` hook that takes the body out of a key (`data = data["user"]`) is an envelope: the
app is sent `{"user": {...}}`.
"""

from __future__ import annotations

from collections.abc import Callable

from ..model import Schema, SchemaField
from .context import AppContext
from .expr import Expr, MaybeExpr, arg, call_func, call_kwargs, const, dotted, is_call, render, string
from .facts import FunctionFacts
from .fastapi_common import last_name
from .resolve import Symbol

SCHEMA_BASES = frozenset({"marshmallow.Schema", "marshmallow.schema.Schema", "Schema", "SQLAlchemySchema",
                          "SQLAlchemyAutoSchema", "ModelSchema"})
# field class -> schema type (the names kind_of reads: EmailStr is an email, AnyUrl a URL)
FIELD_TYPES = {
    "Str": "str", "String": "str", "Email": "EmailStr", "Url": "AnyUrl", "URL": "AnyUrl", "Int": "int",
    "Integer": "int", "Float": "float", "Decimal": "float", "Number": "float", "Bool": "bool", "Boolean": "bool",
    "DateTime": "datetime", "AwareDateTime": "datetime", "NaiveDateTime": "datetime", "Date": "date",
    "Time": "time", "UUID": "UUID", "Dict": "dict", "Mapping": "dict", "List": "list[Any]", "Tuple": "list[Any]",
    "Nested": "dict", "Pluck": "Any", "Raw": "Any", "Method": "Any", "Function": "Any", "Constant": "Any",
    "Enum": "str", "IP": "str",
}


def is_marshmallow_schema(ctx: AppContext, sym: Symbol | None) -> bool:
    return sym is not None and sym.kind == "class" and bool(ctx.resolver.inherits(sym, SCHEMA_BASES)) \
        and ctx.imports_any(("marshmallow", "flask_marshmallow"))


def schema_class(ctx: AppContext, module: str, e: MaybeExpr) -> Symbol | None:
    """The marshmallow schema class an expression names: `UserSchema`, `UserSchema(many=True)`, or a
    module-level instance (`user_schema = UserSchema()`)."""
    if is_call(e):
        e = call_func(e)
    if not dotted(e):
        return None
    sym = ctx.resolver.resolve_expr(module, e)
    if sym is not None and sym.kind == "assign" and is_call(sym.facts[0]):
        sym = ctx.resolver.resolve_expr(sym.module, call_func(sym.facts[0]))
    return sym if is_marshmallow_schema(ctx, sym) else None


def marshmallow_schema(ctx: AppContext, sym: Symbol, out: dict[str, Schema], depth: int = 0) -> str:
    """Add the Schema of class `sym` (and of the schemas it nests) to `out`; its name."""
    name = sym.fqn
    if name in out or depth > 5:
        return name
    out[name] = Schema(name=name, kind="marshmallow")  # a placeholder breaks nesting cycles ('self')
    fields: dict[str, SchemaField] = {}
    envelope = dumped = None
    for anc in reversed(ctx.resolver.mro(sym)):
        if anc.kind != "class":
            continue
        for attr, _ann, value, _line in anc.facts.attrs:
            field = _field(ctx, anc, attr, value, out, depth)
            if field is not None:
                fields[attr] = field
        envelope = _hook_key(ctx, anc, "pre_load", _unwrapped_key) or envelope
        dumped = _hook_key(ctx, anc, "post_dump", _wrapped_key) or dumped
    m = ctx.resolver.defining_module(sym)
    out[name] = Schema(name=name, kind="marshmallow", fields=tuple(fields.values()), envelope=envelope,
                       dump_envelope=dumped, file=m.path if m else "", line=sym.facts.line)
    return name


def _field(ctx: AppContext, owner: Symbol, attr: str, value: MaybeExpr, out: dict[str, Schema],
           depth: int) -> SchemaField | None:
    if not is_call(value) or attr.startswith("_"):
        return None
    kind = last_name(call_func(value))
    type_ = FIELD_TYPES.get(kind or "")
    if type_ is None:
        return None
    kw = call_kwargs(value)
    nested = None
    many = kind == "List"
    if kind == "List":  # `fields.List(fields.Str())`: a list of the inner field's type
        inner_field = arg(value, 0, "cls_or_instance")
        inner_kind = last_name(call_func(inner_field)) if is_call(inner_field) else None
        if inner_kind and inner_kind != "Nested" and inner_kind in FIELD_TYPES:
            type_ = f"list[{FIELD_TYPES[inner_kind]}]"
    if kind in ("Nested", "List"):
        inner = arg(value, 0, "nested" if kind == "Nested" else "cls_or_instance")
        if kind == "List" and is_call(inner) and last_name(call_func(inner)) == "Nested":
            inner = arg(inner, 0, "nested")
        if string(inner) == "self":
            return None  # marshmallow's self-nesting (an envelope hack or a tree): not a body field
        target = schema_class(ctx, owner.module, inner)
        if target is not None:
            nested = marshmallow_schema(ctx, target, out, depth + 1)
        many = many or const(kw.get("many")) is True
    constraints = _length(kw.get("validate"))
    return SchemaField(name=attr, type=type_, required=const(kw.get("required")) is True,
                       read_only=const(kw.get("dump_only")) is True, write_only=const(kw.get("load_only")) is True,
                       default=render(kw["load_default"]) if "load_default" in kw else
                       render(kw["missing"]) if "missing" in kw else None,
                       constraints=constraints, nested=nested, many=many)


def _length(validate: MaybeExpr) -> tuple[tuple[str, str], ...]:
    """`validate=Length(min=1, max=50)` (alone or first in a list) -> max_length/min_length."""
    for v in (validate[1] if validate and validate[0] == "l" else (validate,)):
        if is_call(v) and last_name(call_func(v)) == "Length":
            kw = call_kwargs(v)
            return tuple((k, str(const(kw[src]))) for src, k in (("max", "max_length"), ("min", "min_length"))
                         if isinstance(const(kw.get(src)), int))
    return ()


def _hook_key(ctx: AppContext, cls: Symbol, hook: str, read: Callable[[FunctionFacts], str | None]) -> str | None:
    """The envelope key a `@pre_load` / `@post_dump` method of `cls` takes the body out of or puts it in."""
    prefix = cls.facts.qualname + "."
    m = ctx.resolver.defining_module(cls)
    for fn in m.functions if m else ():
        hooked = any(last_name(call_func(d) if is_call(d) else d) == hook for d in fn.decorators)
        if fn.qualname.startswith(prefix) and hooked:
            key = read(fn)
            if key is not None:
                return key
    return None


def _data_param(fn: FunctionFacts) -> str | None:
    """The name of a hook's `data` parameter (the one after `self`)."""
    return fn.params[1][0] if len(fn.params) > 1 else None


def _wrapped_key(fn: FunctionFacts) -> str | None:
    """`return {"user": data}` of a `@post_dump` hook."""
    data = _data_param(fn)
    for value in fn.returns_values:
        if value and value[0] == "d" and len(value[1]) == 1 and value[1][0][1] == ("n", data):
            return string(value[1][0][0])
    return None


def _unwrapped_key(fn: FunctionFacts) -> str | None:
    """`data = data["user"]` (or `return data["user"]`) of a `@pre_load` hook."""
    data = _data_param(fn)
    if data is None:
        return None

    def key_of(e: Expr | None) -> str | None:
        if e and e[0] == "s" and e[1] == ("n", data):
            return string(e[2])
        return None

    for target, value, _line in fn.assigns:
        if target == data and key_of(value):
            return key_of(value)
    return next((k for k in map(key_of, fn.returns_values) if k), None)
