"""DRF serializers as request/response Schemas, and the serializer each view uses.

Declared fields come from the serializer class (`CharField(max_length=...)`, `ChoiceField`,
nested serializers); a ModelSerializer's other fields come from its `Meta` and, when the model
is in the workspace, from the Django model's field declarations.
"""

from __future__ import annotations

import logging

from ..model import Schema, SchemaField
from .context import AppContext
from .expr import Expr, MaybeExpr, call_func, call_kwargs, const, dotted, is_call, items, render, string, strings
from .facts import ClassFacts, FunctionFacts
from .resolve import Symbol

log = logging.getLogger(__name__)

SERIALIZER_BASES = frozenset({"BaseSerializer", "Serializer", "ModelSerializer", "HyperlinkedModelSerializer",
                              "ListSerializer"})
# serializer/model field class -> schema type
FIELD_TYPES = {
    "CharField": "str", "TextField": "str", "SlugField": "str", "EmailField": "str", "URLField": "str",
    "RegexField": "str", "IPAddressField": "str", "GenericIPAddressField": "str", "FilePathField": "str",
    "IntegerField": "int", "SmallIntegerField": "int", "BigIntegerField": "int", "PositiveIntegerField": "int",
    "PositiveSmallIntegerField": "int", "PositiveBigIntegerField": "int", "AutoField": "int",
    "BigAutoField": "int", "SmallAutoField": "int", "FloatField": "float", "DecimalField": "Decimal",
    "BooleanField": "bool", "NullBooleanField": "bool", "DateTimeField": "datetime", "DateField": "date",
    "TimeField": "time", "DurationField": "timedelta", "UUIDField": "uuid", "JSONField": "Any",
    "DictField": "dict", "HStoreField": "dict", "ListField": "list", "MultipleChoiceField": "list",
    "ChoiceField": "str", "FileField": "file", "ImageField": "file", "ReadOnlyField": "Any",
    "SerializerMethodField": "Any", "HiddenField": "Any", "ModelField": "Any",
    "PrimaryKeyRelatedField": "int", "ForeignKey": "int", "OneToOneField": "int", "ManyToManyField": "list",
    "HyperlinkedRelatedField": "str", "HyperlinkedIdentityField": "str", "StringRelatedField": "str",
    "SlugRelatedField": "str",
}
_ALWAYS_READ_ONLY = frozenset({"ReadOnlyField", "SerializerMethodField", "HyperlinkedIdentityField",
                               "StringRelatedField", "HiddenField"})
_CONSTRAINTS = ("max_length", "min_length", "max_value", "min_value", "max_digits", "decimal_places")
# django.contrib.auth's User, the one external model nearly every DRF app serializes
_AUTH_USER_FIELDS = (
    SchemaField(name="id", type="int", read_only=True, required=False),
    SchemaField(name="username", type="str", constraints=(("max_length", "150"),)),
    SchemaField(name="email", type="str", required=False),
    SchemaField(name="first_name", type="str", required=False, constraints=(("max_length", "150"),)),
    SchemaField(name="last_name", type="str", required=False, constraints=(("max_length", "150"),)),
    SchemaField(name="password", type="str", constraints=(("max_length", "128"),)),
    SchemaField(name="is_staff", type="bool", required=False),
    SchemaField(name="is_active", type="bool", required=False),
    SchemaField(name="date_joined", type="datetime", required=False),
)


def is_serializer(ctx: AppContext, sym: Symbol | None) -> bool:
    return (sym is not None and sym.kind == "class"
            and bool(ctx.resolver.inherits(sym, {f"rest_framework.serializers.{b}" for b in SERIALIZER_BASES})))


def view_serializer(ctx: AppContext, cls: Symbol) -> Symbol | None:
    """`serializer_class = X`, else the first serializer `get_serializer_class` returns."""
    sym = ctx.resolver.member(cls, "serializer_class")
    if sym is not None and sym.kind == "assign":
        target = ctx.resolver.resolve_expr(sym.module, sym.facts[0])
        if is_serializer(ctx, target):
            return target
    getter = ctx.resolver.member(cls, "get_serializer_class")
    if getter is not None and getter.kind == "function":
        for value in getter.facts.returns_values:
            target = ctx.resolver.resolve_expr(getter.module, value)
            if is_serializer(ctx, target):
                return target
    return None


def used_serializer(ctx: AppContext, module: str, fn: FunctionFacts) -> Symbol | None:
    """The first serializer class a handler body instantiates: `SnippetSerializer(data=...)`."""
    for call in fn.calls:
        target = ctx.resolver.resolve_expr(module, call_func(call))
        if is_serializer(ctx, target):
            return target
    return None


def serializer_schemas(ctx: AppContext, sym: Symbol, out: dict[str, Schema]) -> None:
    """Add the Schema of `sym` (and of serializers nested in it) to `out`, keyed by dotted name."""
    if sym.fqn in out or sym.kind != "class":
        return
    out[sym.fqn] = Schema(name=sym.fqn, kind="drf-serializer")  # placeholder: breaks cycles
    m = ctx.resolver.defining_module(sym)  # the class and its nested Meta
    meta = m.cls(f"{sym.name}.Meta") if m else None
    declared: dict[str, SchemaField] = {}
    for anc in reversed(ctx.resolver.mro(sym)):
        if anc.kind == "class":
            for name, _ann, value, _line in anc.facts.attrs:
                field = _declared_field(ctx, anc.module, name, value, out)
                if field is not None:
                    declared[name] = field
    model = _meta_value(ctx, sym.module, meta, "model") if meta else None
    fields = list(declared.values())
    if meta is not None and model is not None:
        fields = _model_serializer_fields(ctx, sym, meta, model, declared)
    out[sym.fqn] = Schema(name=sym.fqn, kind="drf-serializer", fields=tuple(fields), file=m.path if m else "",
                          line=sym.facts.line, model=model.fqn if model else None)


def _meta_value(ctx: AppContext, module: str, meta: ClassFacts, attr: str) -> Symbol | None:
    for name, _ann, value, _line in meta.attrs:
        if name == attr:
            sym = ctx.resolver.resolve_expr(module, value)
            return _user_model(ctx, sym) or sym
    return None


def _user_model(ctx: AppContext, sym: Symbol | None) -> Symbol | None:
    """`model = User` where the module says `User = get_user_model()`: the settings' user model."""
    if sym is None or sym.kind != "assign" or not is_call(sym.facts[0]):
        return None
    func = call_func(sym.facts[0])
    if (dotted(func) or "").rsplit(".", 1)[-1] != "get_user_model":
        return None
    from .orm import auth_user_model  # orm imports this module; the user model lives in its index

    name = auth_user_model(ctx)
    return ctx.resolver.resolve_dotted(name) or Symbol("external", "", name, None)


def _meta_expr(meta: ClassFacts, attr: str) -> MaybeExpr:
    for name, _ann, value, _line in meta.attrs:
        if name == attr:
            return value
    return None


def _declared_field(ctx: AppContext, module: str, name: str, value: MaybeExpr,
                    out: dict[str, Schema]) -> SchemaField | None:
    if not is_call(value):
        return None
    target = ctx.resolver.resolve_expr(module, call_func(value))
    kw = call_kwargs(value)
    many = const(kw.get("many")) is True
    if is_serializer(ctx, target):
        serializer_schemas(ctx, target, out)  # type: ignore[arg-type]
        return _field(name, "object", kw, module_ctx=(ctx, module), nested=target.fqn, many=many)  # type: ignore[union-attr]
    if target is None or target.kind != "external" or not target.name.startswith("rest_framework"):
        return None
    cls_name = target.name.rsplit(".", 1)[-1]
    if cls_name not in FIELD_TYPES:
        return None
    field = _field(name, FIELD_TYPES[cls_name], kw, module_ctx=(ctx, module), many=many,
                   read_only=cls_name in _ALWAYS_READ_ONLY)
    return field


def _field(name: str, type_: str, kw: dict[str, Expr], *, module_ctx: tuple[AppContext, str], nested: str | None = None,
           many: bool = False, read_only: bool = False) -> SchemaField:
    read_only = read_only or const(kw.get("read_only")) is True
    has_default = "default" in kw
    required = const(kw.get("required"))
    return SchemaField(
        name=name, type=f"list[{type_}]" if many and not nested else type_,
        required=bool(required) if required is not None else not (read_only or has_default),
        default=render(kw["default"]) if has_default else None,
        read_only=read_only, write_only=const(kw.get("write_only")) is True,
        constraints=tuple((c, render(kw[c])) for c in _CONSTRAINTS if c in kw),
        enum=_choices(*module_ctx, kw.get("choices")), nested=nested, many=many,
    )


def _choices(ctx: AppContext, module: str, e: MaybeExpr) -> tuple[str, ...]:
    """Allowed values of `choices=`: a literal list, pairs, or a module-level name for one."""
    if e and e[0] in ("n", "a"):
        sym = ctx.resolver.resolve_expr(module, e)
        e = sym.facts[0] if sym is not None and sym.kind == "assign" else None
    out = []
    for item in items(e):
        first = items(item)[0] if items(item) else item
        if const(first) is not None:
            out.append(str(const(first)))
    return tuple(out)


def _model_serializer_fields(ctx: AppContext, sym: Symbol, meta: ClassFacts, model: Symbol,
                             declared: dict[str, SchemaField]) -> list[SchemaField]:
    model_fields = {f.name: f for f in model_schema_fields(ctx, model)}
    if "HyperlinkedModelSerializer" in (ctx.resolver.inherits(sym, SERIALIZER_BASES) or ""):
        model_fields["url"] = SchemaField(name="url", type="str", read_only=True, required=False)
    fields_expr = _meta_expr(meta, "fields")
    names = (list(model_fields) + [n for n in declared if n not in model_fields]
             if string(fields_expr) == "__all__" or fields_expr is None else strings(fields_expr))
    if fields_expr is None and _meta_expr(meta, "exclude") is None:
        ctx.finding("drf-serializer-fields", f"{sym.fqn}.Meta sets neither `fields` nor `exclude`; all model fields "
                    "are assumed.", file=ctx.resolver.defining_module(sym).path, line=meta.line)  # type: ignore[union-attr]
    excluded = set(strings(_meta_expr(meta, "exclude")))
    read_only = set(strings(_meta_expr(meta, "read_only_fields")))
    out = []
    for name in names:
        if name in excluded:
            continue
        field = declared.get(name) or model_fields.get(name) or SchemaField(name=name, read_only=True,
                                                                            required=False)
        if name in read_only and not field.read_only:
            field = SchemaField(**{**_as_dict(field), "read_only": True, "required": False})
        out.append(field)
    return out


def _as_dict(f: SchemaField) -> dict:
    return {k: getattr(f, k) for k in SchemaField.__dataclass_fields__}


def model_schema_fields(ctx: AppContext, model: Symbol) -> list[SchemaField]:
    """Fields of a Django model as a serializer would see them (id first, auto dates read-only)."""
    if model.kind == "external":
        return list(_AUTH_USER_FIELDS) if model.name.endswith("auth.models.User") else []
    out = [SchemaField(name="id", type="int", read_only=True, required=False)]
    for anc in reversed(ctx.resolver.mro(model)):
        if anc.kind != "class":
            continue
        for name, _ann, value, _line in anc.facts.attrs:
            target = ctx.resolver.qualname(anc.module, call_func(value)) if is_call(value) else None
            cls_name = (target or "").rsplit(".", 1)[-1]
            if not (target or "").startswith("django.db.models") or cls_name not in FIELD_TYPES:
                continue
            kw = call_kwargs(value)
            if const(kw.get("primary_key")) is True:
                out = [f for f in out if f.name != "id"]
            auto = const(kw.get("auto_now")) is True or const(kw.get("auto_now_add")) is True
            optional = ("default" in kw or const(kw.get("blank")) is True or const(kw.get("null")) is True)
            base = _field(name, FIELD_TYPES[cls_name], kw, module_ctx=(ctx, anc.module),
                          read_only=auto or const(kw.get("editable")) is False)
            out.append(SchemaField(**{**_as_dict(base), "required": base.required and not optional and not auto}))
    return out
