"""ORM models and the data effects of handlers, read from facts alone.

`collect_models` finds SQLAlchemy models (a `declarative_base()`/`DeclarativeBase`/`registry`
base, Flask-SQLAlchemy's `db.Model`), SQLModel tables (`table=True`) and Django models, with
their columns as SchemaFields. `effects_of` reads one handler's calls and assignments, follows
the app's own helpers (crud modules, repositories, `self.` methods) a few calls deep, and says
which models it creates, reads, updates or deletes.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from operator import attrgetter

from ..model import DataEffect, OrmModel, SchemaField
from .context import AppContext
from .drf_serializers import FIELD_TYPES, is_serializer, view_serializer
from .expr import (
    Expr,
    MaybeExpr,
    arg,
    call_args,
    call_func,
    call_kwargs,
    call_line,
    const,
    dotted,
    is_call,
    is_str,
    items,
    render,
    string,
    walk,
)
from .facts import ClassFacts, FunctionFacts, ModuleFacts
from .fastapi_common import is_ellipsis, last_name, text
from .pydantic_schemas import unwrap_type
from .resolve import Symbol, binding_name, local_env, value_digest

log = logging.getLogger(__name__)

_MEMO_KEY = "orm.index"
# derived memo dependencies: the table names, Django labels and user model that fields refer to;
# and one model's field names (+ its dotted name)
_TABLES = "@orm.tables"
_FIELDS = "@orm.fields:"
_MAX_DEPTH = 5  # helper calls followed below a handler
_MAX_ALIAS_HOPS = 8

# ---- what makes a class a model -------------------------------------------------------------

_DJANGO_MODEL = frozenset({"django.db.models.Model", "django.db.models.base.Model"})
_DJANGO_USER_BASES = frozenset({"AbstractUser", "AbstractBaseUser"})  # custom user models
_SA_DECLARATIVE = frozenset({"DeclarativeBase", "DeclarativeBaseNoMeta"})
_SA_BASE_FACTORIES = frozenset({"declarative_base", "generate_base"})
# models that live outside the workspace but that apps read and write all the time
_EXTERNAL_MODELS = frozenset({"django.contrib.auth.models.User", "django.contrib.auth.models.Group",
                              "django.contrib.auth.models.Permission"})
_AUTH_USER = "django.contrib.auth.models.User"
_CONTRIB_LABELS = frozenset({"auth", "contenttypes", "sites", "admin"})
_NON_FIELDS = frozenset({"Meta", "Config", "model_config", "objects"})

_SA_TYPES = {
    "String": "str", "Text": "str", "Unicode": "str", "UnicodeText": "str", "VARCHAR": "str", "CHAR": "str",
    "NVARCHAR": "str", "NCHAR": "str", "TEXT": "str", "CITEXT": "str", "AutoString": "str", "Enum": "str",
    "Integer": "int", "BigInteger": "int", "SmallInteger": "int", "INTEGER": "int", "BIGINT": "int",
    "SMALLINT": "int", "Float": "float", "Double": "float", "REAL": "float", "FLOAT": "float",
    "Numeric": "Decimal", "DECIMAL": "Decimal", "NUMERIC": "Decimal", "Boolean": "bool", "BOOLEAN": "bool",
    "DateTime": "datetime", "TIMESTAMP": "datetime", "DATETIME": "datetime", "Date": "date", "DATE": "date",
    "Time": "time", "TIME": "time", "Interval": "timedelta", "JSON": "Any", "JSONB": "Any",
    "LargeBinary": "bytes", "Binary": "bytes", "BLOB": "bytes", "BYTEA": "bytes", "Uuid": "uuid", "UUID": "uuid",
    "ARRAY": "list",
}
_PY_TYPES = {"str": "str", "int": "int", "float": "float", "bool": "bool", "bytes": "bytes",
             "datetime": "datetime", "date": "date", "time": "time", "timedelta": "timedelta",
             "Decimal": "Decimal", "UUID": "uuid", "dict": "dict", "Dict": "dict", "Any": "Any"}
_ENUM_BASES = frozenset({"Enum", "IntEnum", "StrEnum", "Flag", "IntFlag", "TextChoices", "IntegerChoices",
                         "Choices"})
_DJANGO_RELATIONS = frozenset({"ForeignKey", "OneToOneField", "ManyToManyField"})
_DJANGO_AUTO = frozenset({"AutoField", "BigAutoField", "SmallAutoField"})

# ---- what a call does to a model ------------------------------------------------------------

_STATEMENTS = {"select": "read", "update": "update", "delete": "delete", "insert": "create"}
_GETTERS = frozenset({"get", "get_one", "get_or_404", "get_object_or_404", "get_list_or_404", "one_or_404"})
_NEW_CLASSMETHODS = frozenset({"model_validate", "from_orm", "parse_obj", "model_construct", "construct",
                               "validate"})
_CREATE = frozenset({"create", "get_or_create", "bulk_create", "create_user", "create_superuser"})
_UPDATE = frozenset({"update", "bulk_update", "sqlmodel_update"})
_WRITES = frozenset({"add", "add_all", "merge", "bulk_save_objects"})
_FLUSHES = frozenset({"commit", "flush", "add", "add_all", "merge", "save"})
_MODEL_FORMS = frozenset({"django.forms.ModelForm", "django.forms.models.ModelForm"})
_VIEW_GETTERS = frozenset({"get_object", "get_queryset"})


@dataclass(frozen=True, slots=True)
class _Kind:
    orm: str  # "sqlalchemy" | "sqlmodel" | "django"
    role: str  # "declarative" (derive to get a base) | "base" | "model" | "abstract"
    flavor: str = ""  # "flask" for Flask-SQLAlchemy's db.Model (it names tables itself)


@dataclass(slots=True)
class _OrmIndex:
    models: dict[str, OrmModel]
    auth_user: str  # the Django user model (settings.AUTH_USER_MODEL)


def collect_models(ctx: AppContext) -> list[OrmModel]:
    return list(_index(ctx).models.values())


def auth_user_model(ctx: AppContext) -> str:
    """Dotted name of the Django user model (`settings.AUTH_USER_MODEL`, else django.contrib.auth's)."""
    return _index(ctx).auth_user


def _index(ctx: AppContext) -> _OrmIndex:
    # linkers ask effects_of before scan asks collect_models; collect once per app context. What
    # reads the index depends on its fingerprint: a handler edit leaves the models alone.
    return ctx.shared(_MEMO_KEY, lambda: _ModelCollector(ctx).collect(), _fingerprint)


def _fingerprint(index: _OrmIndex) -> str:
    """What every reader of the index sees of it: which classes are models, and the user model.
    A reader of one model's fields depends on those apart (`_FIELDS`), so adding a column to a
    model re-reads only what looked at that model's columns."""
    return value_digest((index.auth_user, list(index.models)))


def _report(ctx: AppContext, code: str, message: str, *, file: str, line: int, severity: str = "info") -> None:
    """A finding once per place, however many routes share the handler or helper."""
    ctx.finding(code, message, file=file, line=line, severity=severity, once=True)


def _callee_name(call: MaybeExpr) -> str:
    """Last name of what is called, also for `registry().generate_base()`."""
    func = call_func(call)
    if func and func[0] == "a":
        return func[2]
    return last_name(func)


def _with_arguments(e: MaybeExpr, bound: dict[str, MaybeExpr]) -> MaybeExpr:
    """`e` (a helper's returned expression) with its parameters replaced by what the call bound
    to them, `**kwargs` passed on dropped, and `"{0}.{1}".format(...)` of constants worked out."""
    if not isinstance(e, tuple) or not e:
        return e
    tag = e[0]
    if tag == "n":
        return bound.get(e[1], e)
    if tag == "c":
        func = _with_arguments(e[1], bound)
        args = tuple(_with_arguments(a, bound) for a in e[2])
        kwargs = tuple((k, _with_arguments(v, bound)) for k, v in e[3] if k != "**")
        if func and func[0] == "a" and func[2] == "format" and is_str(func[1]) and all(is_str(a) for a in args):
            try:
                return ("k", func[1][1].format(*(a[1] for a in args), **{k: string(v) for k, v in kwargs}))
            except (IndexError, KeyError, ValueError):
                pass
        return ("c", func, args, kwargs, e[4])
    if tag in ("a", "s", "u", "+"):
        return (tag, *(_with_arguments(x, bound) if isinstance(x, tuple) else x for x in e[1:]))
    if tag == "l":
        return ("l", tuple(_with_arguments(x, bound) for x in e[1]))
    return e


def _snake(name: str) -> str:
    """Flask-SQLAlchemy's default table name: CamelCase -> camel_case."""
    return re.sub(r"((?<=[a-z0-9])[A-Z]|(?!^)[A-Z](?=[a-z]))", r"_\1", name).lower().lstrip("_")


def _django_label(module: str) -> str:
    """The app label Django gives models in `blog/models.py` or `blog/models/post.py`: "blog"."""
    parts = module.split(".")
    if "models" in parts:
        i = len(parts) - 1 - parts[::-1].index("models")
        return parts[i - 1] if i > 0 else parts[0]
    return parts[-2] if len(parts) > 1 else parts[0]


def _short(fqn: str) -> str:
    return fqn.rsplit(".", 1)[-1]


# ---- models ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Found:
    """A model class as one module declares it (memoized per module)."""

    module: str
    qualname: str
    kind: _Kind
    table: str | None
    label: str  # Django app label ("" for other ORMs)

    @property
    def fqn(self) -> str:
        return f"{self.module}.{self.qualname}"


class _ModelCollector:
    """Builds the index from memoized parts, so that an edit re-reads only what it touched:
    which classes of a module are models (and their tables), then each model's fields."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.r = ctx.resolver
        # fqn -> (kind, modules consulted): a memoized reader that reuses a kind depends on them too
        self.kinds: dict[str, tuple[_Kind | None, frozenset[str]]] = {}
        self.by_table: dict[str, str] = {}
        self.django_models: dict[tuple[str, str], str] = {}  # (app label, class name) -> dotted
        self.auth_user = _AUTH_USER

    def collect(self) -> _OrmIndex:
        with_classes = [m for m in self.r.iter_modules() if m.classes]  # no classes, no models
        found = [f for fs in self.ctx.memoized_each("orm.module-models", with_classes, key=attrgetter("module"),
                                                     bucket=attrgetter("module"), compute=self.module_models,
                                                     reads=lambda m: (m.module,))
                 for f in fs]
        # tables and labels first: foreign keys name them ("users.id", "blog.Post")
        for f in found:
            if f.table:
                self.by_table.setdefault(f.table, f.fqn)
            if f.kind.orm == "django":
                self.django_models[(f.label, _short(f.qualname))] = f.fqn
        self.auth_user = self.settings_user_model()
        self.r.derive(_TABLES, value_digest((self.by_table, self.django_models, self.auth_user)))
        models = dict(zip((f.fqn for f in found), self.ctx.memoized_each(
            "orm.model", found, key=lambda f: (f.module, f.qualname, f.kind, f.table), bucket=attrgetter("module"),
            compute=self.model, reads=lambda f: (f.module,))))
        for name, model in models.items():
            self.r.derive(_FIELDS + name, tuple(x.name for x in model.fields))
        return _OrmIndex(models=models, auth_user=self.auth_user)

    def module_models(self, m: ModuleFacts) -> tuple[_Found, ...]:
        out = []
        for c in m.classes:
            sym = Symbol("class", m.module, c.qualname, c)
            kind = self.kind(sym)
            if kind is not None and kind.role == "model":
                label = ""
                if kind.orm == "django":
                    label = string(self.meta(sym).get("app_label")) or _django_label(sym.module)
                out.append(_Found(module=m.module, qualname=c.qualname, kind=kind, table=self.table(m, sym, kind),
                                  label=label))
        return tuple(out)

    def model(self, f: _Found) -> OrmModel:
        self.r.use(_TABLES)  # foreign keys and relations name other models' tables and labels
        m = self.r.module(f.module)
        cls = m.cls(f.qualname) if m is not None else None
        assert m is not None and cls is not None  # found in this scan's facts
        sym = Symbol("class", f.module, f.qualname, cls)
        return OrmModel(name=f.fqn, orm=f.kind.orm, table=f.table, fields=tuple(self.fields(sym, f.kind)),
                        file=m.path, line=cls.line)

    # classification --------------------------------------------------------------------------
    def kind(self, sym: Symbol) -> _Kind | None:
        key = sym.fqn
        cached = self.kinds.get(key)
        if cached is not None:
            if self.r.trackers:
                self.r.trackers[-1].update(cached[1])
            return cached[0]
        self.kinds[key] = (None, frozenset())  # breaks inheritance cycles
        consulted = self.r.begin()
        try:
            self.r.use(sym.module)  # its bases, as written
            parent = None
            for base in sym.facts.bases:
                parent = self.base_kind(sym.module, base)
                if parent is not None:
                    break
            result = self.derive(sym, parent) if parent is not None else None
        finally:
            deps = self.r.end(consulted)
        self.kinds[key] = (result, deps)
        return result

    def base_kind(self, module: str, e: MaybeExpr, hops: int = 0) -> _Kind | None:
        if e and e[0] == "s":  # Generic[...] style bases
            e = e[1]
        target = self.r.resolve_expr(module, e)
        if target is None:
            return self.flask_model(module, e)
        if target.kind == "class":
            return self.kind(target)
        if target.kind == "external":
            return _external_kind(target.name)
        if target.kind == "assign" and hops < _MAX_ALIAS_HOPS:
            value = target.facts[0]
            if is_call(value) and _callee_name(value) in _SA_BASE_FACTORIES:
                return _Kind("sqlalchemy", "base")
            if value and value[0] in ("n", "a"):
                return self.base_kind(target.module, value, hops + 1)
        return None

    def flask_model(self, module: str, e: MaybeExpr) -> _Kind | None:
        """`db.Model` where `db = SQLAlchemy(...)`: the resolver stops at the instance."""
        if not e or e[0] != "a" or e[2] != "Model":
            return None
        db = self.r.resolve_expr(module, e[1])
        if (db is not None and db.kind == "assign" and is_call(db.facts[0])
                and _callee_name(db.facts[0]) == "SQLAlchemy"):
            return _Kind("sqlalchemy", "base", "flask")
        return None

    def derive(self, sym: Symbol, parent: _Kind) -> _Kind:
        if parent.role == "declarative":
            return _Kind("sqlalchemy", "base")
        if parent.orm == "sqlmodel":
            table = const(dict(sym.facts.keywords).get("table")) is True
            return _Kind("sqlmodel", "model" if table else "abstract")
        if parent.orm == "django":
            abstract = const(self.meta(sym).get("abstract")) is True
            return _Kind("django", "abstract" if abstract else "model")
        own = {name: value for name, _ann, value, _line in sym.facts.attrs}
        abstract = const(own.get("__abstract__")) is True
        return _Kind("sqlalchemy", "abstract" if abstract else "model", parent.flavor)

    def meta(self, sym: Symbol) -> dict[str, Expr]:
        m = self.r.module(sym.module)
        meta = m.cls(f"{sym.name}.Meta") if m else None
        return {name: value for name, _ann, value, _line in meta.attrs} if meta else {}

    # tables ----------------------------------------------------------------------------------
    def table(self, m: ModuleFacts, sym: Symbol, kind: _Kind) -> str | None:
        name = _short(sym.name)
        if kind.orm == "django":
            meta = self.meta(sym)
            label = string(meta.get("app_label")) or _django_label(sym.module)
            return string(meta.get("db_table")) or f"{label}_{name.lower()}"
        declared = self.r.member(sym, "__tablename__")
        if declared is not None and declared.kind == "assign" and string(declared.facts[0]):
            return string(declared.facts[0])
        if declared is not None and declared.kind == "function":
            # `@declared_attr def __tablename__(cls): return cls.__name__.lower()`
            if any(v == ("c", ("a", ("a", ("n", "cls"), "__name__"), "lower"), (), (), v[4])
                   for v in declared.facts.returns_values if is_call(v)):
                return name.lower()
        elif kind.orm == "sqlmodel":
            return name.lower()
        elif kind.flavor == "flask":
            return _snake(name)
        for anc in self.r.mro(sym)[1:]:  # single-table inheritance shares the parent's table
            parent = self.kind(anc) if anc.kind == "class" else None
            if parent is not None and parent.role == "model":
                return self.table(m, anc, parent)
        _report(self.ctx, "orm-table-unknown", f"Cannot tell the table name of model {sym.fqn} statically.",
                file=m.path, line=sym.facts.line)
        return None

    def settings_user_model(self) -> str:
        for m in self.r.iter_modules():
            found = m.assigned("AUTH_USER_MODEL")
            value = string(found[0]) if found else None
            if value and "." in value:
                label, _, cls = value.rpartition(".")
                return self.django_models.get((label, cls), value)
        return _AUTH_USER

    # fields ----------------------------------------------------------------------------------
    def fields(self, sym: Symbol, kind: _Kind) -> list[SchemaField]:
        out: dict[str, SchemaField] = {}
        for anc in reversed(self.r.mro(sym)):  # bases first, so subclasses override
            if anc.kind != "class":
                continue
            for name, ann, value, _line in anc.facts.attrs:
                if name.startswith("_") or name in _NON_FIELDS:
                    continue
                if kind.orm == "django":
                    field = self.django_field(anc.module, sym, name, value)
                elif kind.orm == "sqlmodel":
                    field = self.sqlmodel_field(anc.module, name, ann, value)
                else:
                    field = self.sqlalchemy_field(anc.module, name, ann, value)
                if field is not None:
                    out[name] = field
        fields = list(out.values())
        if kind.orm == "django" and not any(("primary_key", "true") in f.constraints for f in fields):
            fields.insert(0, SchemaField(name="id", type="int", required=False, read_only=True,
                                         constraints=(("primary_key", "true"),)))
        return self.django_unique_sets(sym, fields) if kind.orm == "django" else fields

    def django_unique_sets(self, sym: Symbol, fields: list[SchemaField]) -> list[SchemaField]:
        """Meta's `unique_together` and unconditional `UniqueConstraint(fields=...)`: a one-field set
        makes its field unique, a wider one adds ("unique_together", "owner,name") to each member."""
        meta = self.meta(sym)
        raw = items(meta.get("unique_together"))
        groups = [raw] if raw and all(string(x) for x in raw) else [items(x) for x in raw]
        for c in items(meta.get("constraints")):
            if is_call(c) and _callee_name(c) == "UniqueConstraint" and "condition" not in call_kwargs(c):
                groups.append(items(call_kwargs(c).get("fields")))
        out = {f.name: f for f in fields}
        for group in groups:
            cols = [string(x) for x in group]
            if not cols or not all(c in out for c in cols):
                continue
            extra = ("unique", "true") if len(cols) == 1 else ("unique_together", ",".join(cols))  # type: ignore[arg-type]
            for col in cols:
                if extra not in out[col].constraints:  # type: ignore[index]
                    out[col] = replace(out[col], constraints=(*out[col].constraints, extra))  # type: ignore[index]
        return list(out.values())

    def sqlalchemy_field(self, module: str, name: str, ann: MaybeExpr, value: MaybeExpr) -> SchemaField | None:
        mapped = bool(ann) and ann[0] == "s" and last_name(ann[1]) == "Mapped"  # type: ignore[index]
        column = value if is_call(value) and _callee_name(value) in ("Column", "mapped_column") \
            else self.helper_column(module, value)
        if column is None and not (mapped and value is None):
            return None  # relationship(), column_property(), plain class constants
        inner = ann[2] if mapped else None  # type: ignore[index]
        inner, extra = self.annotated_column(module, inner)
        args: list = []
        kw: dict[str, Expr] = {}
        for c in (*extra, column):
            if c is not None:
                args.extend(call_args(c))
                kw.update(call_kwargs(c))
        type_expr = fk = None
        for a in args:
            callee = _callee_name(a) if is_call(a) else last_name(a)
            if callee == "ForeignKey":
                fk = arg(a, 0, "column")
            elif is_call(a) and callee in ("Sequence", "Identity", "Computed", "FetchedValue", "CheckConstraint"):
                continue
            elif type_expr is None and not (a and a[0] == "k"):  # Column("name", ...) names the column
                type_expr = a
        type_, enum, max_length = self.sa_type(module, type_expr) if type_expr else ("Any", (), None)
        optional = False
        if inner is not None:
            ann_type, ann_enum, optional = self.annotation_type(module, inner)
            if type_expr is None or type_ == "Any":
                type_, enum = ann_type, enum or ann_enum
        pk = const(kw.get("primary_key")) is True
        nullable = const(kw.get("nullable"))
        if nullable is None:
            nullable = optional if mapped else not pk  # Column() is nullable unless it is the key
        default = next((render(kw[k]) for k in ("default", "server_default", "insert_default", "default_factory")
                        if k in kw), None)
        auto = pk and type_ == "int" and const(kw.get("autoincrement")) is not False
        return self.column_field(module, name, type_=type_, nullable=bool(nullable) and not pk, default=default,
                                 pk=pk, auto=auto, unique=const(kw.get("unique")) is True, max_length=max_length,
                                 fk=fk, enum=enum)

    def helper_column(self, module: str, value: MaybeExpr) -> MaybeExpr:
        """`author_id = reference_col("userprofile", nullable=False)`: the app's own function that
        returns `Column(ForeignKey("{0}.{1}".format(tablename, pk_name)), nullable=nullable)` (as
        cookiecutter-flask apps have). The column it returns, with the call's arguments put in for
        its parameters and constant `str.format` calls worked out; None for anything else."""
        if not is_call(value):
            return None
        fn = self.r.resolve_expr(module, call_func(value))
        if fn is None or fn.kind != "function":
            return None
        returned = [e for e in fn.facts.returns_values if is_call(e) and _callee_name(e) in ("Column", "mapped_column")]
        if len(returned) != 1:
            return None
        params = [p for p in fn.facts.params if p[1] in ("pos", "kwonly")]
        bound = {p[0]: p[3] for p in params}
        bound.update(zip([p[0] for p in params if p[1] == "pos"], call_args(value)))
        bound.update((k, v) for k, v in call_kwargs(value).items() if k in bound)
        return _with_arguments(returned[0], bound)

    def annotated_column(self, module: str, inner: MaybeExpr) -> tuple[MaybeExpr, tuple]:
        """`intpk = Annotated[int, mapped_column(primary_key=True)]` used as `Mapped[intpk]`."""
        if inner and inner[0] in ("n", "a"):
            sym = self.r.resolve_expr(module, inner)
            if sym is not None and sym.kind == "assign" and sym.facts[0]:
                inner = sym.facts[0]
        if inner and inner[0] == "s" and last_name(inner[1]) == "Annotated":
            parts = items(inner[2]) or (inner[2],)
            return parts[0], tuple(p for p in parts[1:] if is_call(p) and _callee_name(p) == "mapped_column")
        return inner, ()

    def sqlmodel_field(self, module: str, name: str, ann: MaybeExpr, value: MaybeExpr) -> SchemaField | None:
        if ann is None or last_name(ann) == "ClassVar" or (ann[0] == "s" and last_name(ann[1]) == "ClassVar"):
            return None
        if is_call(value) and _callee_name(value) == "Relationship":
            return None
        type_, enum, optional = self.annotation_type(module, ann)
        is_field = is_call(value) and _callee_name(value) == "Field"
        kw = call_kwargs(value) if is_field else {}
        if is_call(kw.get("sa_column")):
            column = self.sqlalchemy_field(module, name, None, kw["sa_column"])
            if column is not None:
                return column if column.type != "Any" else SchemaField(
                    **{**{s: getattr(column, s) for s in SchemaField.__dataclass_fields__}, "type": type_})
        if is_field:
            given = arg(value, 0, "default")
            default = (render(kw["default_factory"]) + "()" if "default_factory" in kw
                       else None if given is None or is_ellipsis(given) else render(given))
        else:
            default = None if value is None else render(value)
        pk = const(kw.get("primary_key")) is True
        nullable = const(kw.get("nullable"))
        max_length = const(kw.get("max_length"))
        return self.column_field(module, name, type_=type_, nullable=bool(optional if nullable is None else nullable),
                                 default=default, pk=pk, auto=pk and type_ == "int",
                                 unique=const(kw.get("unique")) is True,
                                 max_length=max_length if isinstance(max_length, int) else None,
                                 fk=kw.get("foreign_key"), enum=enum)

    def column_field(self, module: str, name: str, *, type_: str, nullable: bool, default: str | None, pk: bool,
                     auto: bool, unique: bool, max_length: int | None, fk: MaybeExpr,
                     enum: tuple[str, ...]) -> SchemaField:
        constraints: list[tuple[str, str]] = []
        if max_length is not None:
            constraints.append(("max_length", str(max_length)))
        if unique:
            constraints.append(("unique", "true"))
        if pk:
            constraints.append(("primary_key", "true"))
        if fk is not None:
            target = string(fk)
            if target is None:  # ForeignKey(User.id)
                owner = self.r.resolve_expr(module, fk[1]) if fk[0] == "a" else None
                model = owner.fqn if owner is not None and owner.kind == "class" else None
                target = render(fk)
            else:
                model = self.by_table.get(target.rsplit(".", 1)[0])
            constraints.append(("foreign_key", target))
            if model:
                type_ = f"fk:{model}"
        return SchemaField(name=name, type=type_, required=not nullable and default is None and not auto,
                           default=default, read_only=auto, constraints=tuple(constraints), enum=enum)

    def sa_type(self, module: str, e: MaybeExpr) -> tuple[str, tuple[str, ...], int | None]:
        call = e if is_call(e) else None
        base = call_func(call) if call else e
        tname = last_name(base)
        max_length = const(arg(call, 0, "length")) if call and _SA_TYPES.get(tname) == "str" else None
        if tname == "Enum" and call:
            first = arg(call, 0)
            if first and first[0] in ("n", "a"):
                type_, values = self.enum_of(module, first)
                return type_ or "str", values, None
            return "str", tuple(v for v in (string(a) for a in call_args(call)) if v is not None), None
        type_ = _SA_TYPES.get(tname) or (render(base) if base else "Any")
        return type_, (), max_length if isinstance(max_length, int) else None

    def annotation_type(self, module: str, ann: MaybeExpr) -> tuple[str, tuple[str, ...], bool]:
        """(readable type, enum values, optional) of a Python annotation."""
        inner, many, optional = unwrap_type(ann)
        if inner and inner[0] == "s" and last_name(inner[1]) == "Literal":
            values = items(inner[2]) or (inner[2],)
            kinds = {type(const(v)).__name__ for v in values}
            return ("int" if kinds == {"int"} else "str"), tuple(text(v) for v in values), optional
        type_, enum = self.enum_of(module, inner) if inner and inner[0] in ("n", "a") else (None, ())
        if type_ is None:
            type_ = _PY_TYPES.get(last_name(inner), render(inner) or "Any")
        return (f"list[{type_}]" if many else type_), enum, optional

    def enum_of(self, module: str, e: MaybeExpr) -> tuple[str | None, tuple[str, ...]]:
        sym = self.r.resolve_expr(module, e)
        if sym is None or sym.kind != "class" or not self.r.inherits(sym, _ENUM_BASES):
            return None, ()
        values = _enum_values(sym)
        ints = bool(values) and all(v.lstrip("-").isdigit() for v in values)
        return ("int" if ints else "str"), values

    def django_field(self, module: str, model: Symbol, name: str, value: MaybeExpr) -> SchemaField | None:
        if not is_call(value):
            return None
        cls = self.django_field_class(module, call_func(value))
        if cls is None:
            return None
        kw = call_kwargs(value)
        relation = cls in _DJANGO_RELATIONS
        constraints: list[tuple[str, str]] = []
        if isinstance(const(kw.get("max_length")), int):
            constraints.append(("max_length", str(const(kw["max_length"]))))
        pk = const(kw.get("primary_key")) is True
        for key, flag in (("unique", const(kw.get("unique")) is True or cls == "OneToOneField"), ("primary_key", pk)):
            if flag:
                constraints.append((key, "true"))
        type_ = FIELD_TYPES.get(cls, "Any")
        if relation:
            target = self.django_target(module, model, arg(value, 0, "to"))
            constraints.append(("foreign_key", target))
            type_ = f"fk:{target}"
        auto = cls in _DJANGO_AUTO or any(const(kw.get(k)) is True for k in ("auto_now", "auto_now_add"))
        optional = any(const(kw.get(k)) is True for k in ("null", "blank"))
        default = render(kw["default"]) if "default" in kw else None
        return SchemaField(name=name, type=type_, required=not (optional or auto or default is not None
                                                                 or cls == "ManyToManyField"),
                           default=default, read_only=auto, constraints=tuple(constraints),
                           enum=self.choices(module, kw.get("choices"), owner=model), many=cls == "ManyToManyField")

    def django_field_class(self, module: str, func: MaybeExpr) -> str | None:
        """"CharField" for `models.CharField` or a project field class deriving from one."""
        sym = self.r.resolve_expr(module, func)
        if sym is None:
            return None
        if sym.kind == "external":
            cls = _short(sym.name)
            known = cls in FIELD_TYPES or cls in _DJANGO_RELATIONS
            return cls if sym.name.startswith("django.") and known else None
        if sym.kind == "class":
            found = self.r.inherits(sym, frozenset(FIELD_TYPES) | _DJANGO_RELATIONS)
            return _short(found) if found and found.startswith("django.") else None
        return None

    def django_target(self, module: str, model: Symbol, e: MaybeExpr) -> str:
        ref = string(e)
        if ref is not None:
            if ref == "self":
                return model.fqn
            label, _, cls = ref.rpartition(".")
            label = label or _django_label(model.module)
            if (label, cls) not in self.django_models and label in _CONTRIB_LABELS:
                return f"django.contrib.{label}.models.{cls}"  # "auth.User"
            return self.django_models.get((label, cls), ref)
        if (dotted(e) or "").endswith("AUTH_USER_MODEL"):
            return self.auth_user
        sym = self.r.resolve_expr(module, e)
        return sym.fqn if sym is not None else render(e)

    def choices(self, module: str, e: MaybeExpr, hops: int = 0, owner: Symbol | None = None) -> tuple[str, ...]:
        """Stored values of `choices=`: a list of pairs, a module constant, or `Status.choices` (a
        module-level class or one nested in the model, `owner`)."""
        if not e or hops > _MAX_ALIAS_HOPS:
            return ()
        if e[0] == "l":
            return tuple(text((items(pair) or (pair,))[0]) for pair in e[1] if items(pair))
        if e[0] == "a" and e[2] == "choices":
            sym = self.r.resolve_expr(module, e[1])
            if sym is None and owner is not None and e[1][0] == "n":  # class Task: class Status(TextChoices)
                sym = self.r.member(owner, e[1][1])
            return _enum_values(sym) if sym is not None and sym.kind == "class" else ()
        sym = self.r.resolve_expr(module, e)
        if sym is not None and sym.kind == "assign":
            return self.choices(sym.module, sym.facts[0], hops + 1)
        return ()


def _external_kind(name: str) -> _Kind | None:
    head, last = name.split(".", 1)[0], _short(name)
    if name in _DJANGO_MODEL or (name.startswith("django.contrib.auth.") and last in _DJANGO_USER_BASES):
        return _Kind("django", "base")
    if head == "sqlalchemy" and last in _SA_DECLARATIVE:
        return _Kind("sqlalchemy", "declarative")
    if head == "sqlmodel" and last == "SQLModel":
        return _Kind("sqlmodel", "base")
    return None


def _enum_values(sym: Symbol) -> tuple[str, ...]:
    """Member values of an Enum / Django Choices class: `A = "a"`, `A = "a", "Label"`, `A = auto()`."""
    out = []
    for name, _ann, value, _line in sym.facts.attrs:
        if name.startswith("_") or value is None:
            continue
        first = (items(value) or (value,))[0]
        if first and first[0] == "k":
            out.append(text(first))
        elif is_call(first) and _callee_name(first) == "auto":
            out.append(name)
    return tuple(out)


# ---- effects --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Chain:
    """What a call chain does: the model, its effects, and what the value is (a new or a
    loaded instance, for later `add`/`save`/`delete` on it)."""

    model: str
    actions: tuple[str, ...]
    origin: str | None  # "new" | "loaded" | "either" (assigned both ways) | None


def _unchain(e: MaybeExpr) -> tuple[MaybeExpr, list[tuple[str, MaybeExpr]]]:
    """`db.query(Item).filter(x).first()` -> (db, [("query", call), ("filter", call), ("first", call)]);
    attribute steps carry None: `Item.objects.get(...)` -> (Item, [("objects", None), ("get", call)]).
    The root is None when the chain starts by calling a bare name: `select(Item).where(...)`."""
    steps: list[tuple[str, MaybeExpr]] = []
    while e:
        if is_call(e):
            func = e[1]
            if func and func[0] == "a":
                steps.append((func[2], e))
                e = func[1]
            elif func and func[0] == "n":
                steps.append((func[1], e))
                e = None
            else:
                break
        elif e[0] == "a":
            steps.append((e[2], None))
            e = e[1]
        else:
            break
    steps.reverse()
    return e, steps


def _actions(names: list[str], default: str | None, origin: str | None = None) -> tuple[str, ...]:
    present = set(names)
    if "delete" in present:
        return ("delete",)
    if "update_or_create" in present:
        return ("update", "create")
    if present & _UPDATE:
        return ("update",)
    if present & _CREATE:
        return ("create",)
    if "save" in present and origin:
        return _write_actions(origin)
    return (default,) if default else ()


def _write_actions(origin: str) -> tuple[str, ...]:
    """Saving or adding an instance: a new row is created, a loaded one updated."""
    return {"new": ("create",), "loaded": ("update",)}.get(origin, ("create", "update"))


def effects_of(ctx: AppContext, module: ModuleFacts, fn: FunctionFacts) -> tuple[DataEffect, ...]:
    """The models `fn` (and the app helpers it calls) creates, reads, updates or deletes, one
    DataEffect per (model, action), the handler's own evidence first."""
    def compute() -> tuple[DataEffect, ...]:
        finder = _EffectFinder(ctx, _index(ctx))  # asked in here, so the entry depends on the index
        return finder.effects(_Frame(finder, module, fn, {}, 0))

    # the same handler under several routes, and again in the next scan if nothing it reads changed
    return ctx.memoized(("orm.effects", module.module, fn.qualname), compute,
                        reads=(binding_name(module.module, fn.qualname),))


# DRF generic views and viewsets: actions their mixins implement, and the hook each one calls
_DRF_ACTIONS = {"list": ("read",), "retrieve": ("read",), "create": ("create",), "update": ("read", "update"),
                "partial_update": ("read", "update"), "destroy": ("read", "delete")}
_DRF_HOOKS = {"create": "perform_create", "update": "perform_update", "partial_update": "perform_update",
              "destroy": "perform_destroy"}


def view_action_effects(ctx: AppContext, module: ModuleFacts, cls: ClassFacts, action: str
                        ) -> tuple[DataEffect, ...]:
    """Effects of a DRF view action the class inherits rather than defines (`SnippetViewSet.list`):
    what an overridden `perform_*` hook does, then the view's model with the mixin's actions."""
    return ctx.memoized(("orm.view-effects", module.module, cls.qualname, action),
                        lambda: _view_action_effects(ctx, _index(ctx), module, cls, action),
                        reads=(binding_name(module.module, cls.qualname),))


def _view_action_effects(ctx: AppContext, index: _OrmIndex, module: ModuleFacts, cls: ClassFacts, action: str
                         ) -> tuple[DataEffect, ...]:
    finder = _EffectFinder(ctx, index)
    sym = Symbol("class", module.module, cls.qualname, cls)
    view = _Frame(finder, module, None, {}, 0, sym)
    found: dict[tuple[str, str], DataEffect] = {}
    hook = ctx.resolver.member(sym, _DRF_HOOKS.get(action, "")) if action in _DRF_HOOKS else None
    hook_module = ctx.resolver.module(hook.module) if hook is not None and hook.kind == "function" else None
    if hook_module is not None:
        for eff in finder.effects(_Frame(finder, hook_module, hook.facts, {}, 1, sym)):  # type: ignore[union-attr]
            found.setdefault((eff.model, eff.action), eff)
    model = view.view_model()
    for act in _DRF_ACTIONS.get(action, ()) if model else ():
        found.setdefault((model, act), DataEffect(model=model, action=act,  # type: ignore[arg-type]
                                                  via=f"{module.module}.{cls.qualname}.{action}",
                                                  file=module.path, line=cls.line))
    return tuple(found.values())


class _EffectFinder:
    """State for one `effects_of` call: memo and cycle guards for the helpers it follows."""

    def __init__(self, ctx: AppContext, index: _OrmIndex) -> None:
        self.ctx = ctx
        self.r = ctx.resolver
        self.index = index
        self.memo: dict[tuple, tuple[DataEffect, ...]] = {}
        self.returns: dict[tuple, tuple[str, str] | None] = {}
        self.active: set[tuple] = set()

    def model_fqn(self, sym: Symbol | None, hops: int = 0) -> str | None:
        if sym is None:
            return None
        if sym.kind == "class":
            return sym.fqn if sym.fqn in self.index.models else None
        if sym.kind == "external":
            return sym.name if sym.name in _EXTERNAL_MODELS else None
        if sym.kind == "assign" and hops < _MAX_ALIAS_HOPS:
            value = sym.facts[0]
            if is_call(value) and _callee_name(value) == "get_user_model":
                return self.index.auth_user
            if value and value[0] in ("n", "a") and sym.facts[1]:  # a module-level alias `Model = models.Item`
                return self.model_fqn(self.r.resolve_expr(sym.module, value), hops + 1)
        return None

    def effects(self, frame: _Frame) -> tuple[DataEffect, ...]:
        key = frame.key
        if key in self.memo:
            return self.memo[key]
        if key in self.active or frame.depth > _MAX_DEPTH or frame.fn is None:
            return ()
        self.active.add(key)
        found: dict[tuple[str, str], DataEffect] = {}
        for model, action, line in frame.own_effects():
            found.setdefault((model, action), DataEffect(model=model, action=action, via=frame.via,
                                                         file=frame.module.path, line=line))
        for call in frame.fn.calls:
            child = frame.callee(call)
            if child is not None:
                for eff in self.effects(child):
                    found.setdefault((eff.model, eff.action), eff)
        self.active.discard(key)
        self.memo[key] = tuple(found.values())
        return self.memo[key]

    def result_of(self, frame: _Frame, call: Expr) -> tuple[str, str] | None:
        """The model instance an app helper returns (`crud.get_item(db, id)`)."""
        child = frame.callee(call)
        if child is None or child.fn is None:
            return None
        key = child.key
        if key in self.returns:
            return self.returns[key]
        if key in self.active or child.depth > _MAX_DEPTH:
            return None
        self.active.add(key)
        result = None
        if child.fn.returns:
            model = child.model_class(unwrap_type(child.fn.returns)[0])
            result = (model, "loaded") if model else None
        for value in child.fn.returns_values:
            result = result or child.instance(value)
        self.active.discard(key)
        self.returns[key] = result
        return result


class _Frame:
    """One function being read: its module, locals, and what its parameters are bound to by
    the caller (`("class", model)` or `("inst", model, origin)`, keyed by name or `self.x`)."""

    def __init__(self, finder: _EffectFinder, module: ModuleFacts, fn: FunctionFacts | None,
                 bindings: dict[str, tuple], depth: int, cls: Symbol | None = None) -> None:
        self.finder = finder
        self.r = finder.r
        self.module = module
        self.fn = fn
        self.bindings = bindings
        self.depth = depth
        self.env, self.imports = local_env(fn) if fn is not None else ({}, {})
        self.params = {p[0]: p for p in fn.params} if fn is not None else {}
        if cls is None and fn is not None and "." in fn.qualname and "<locals>" not in fn.qualname:
            owner = module.cls(fn.qualname.rsplit(".", 1)[0])
            cls = Symbol("class", module.module, owner.qualname, owner) if owner is not None else None
        self.cls = cls
        self._types: dict[str, tuple[str, str]] | None = None

    @property
    def key(self) -> tuple:
        return (self.module.module, self.fn.qualname if self.fn else "", tuple(sorted(self.bindings.items())))

    @property
    def via(self) -> str:
        return f"{self.module.module}.{self.fn.qualname}" if self.fn else self.module.module

    def resolve(self, e: MaybeExpr) -> Symbol | None:
        return self.r.resolve_expr(self.module.module, e, self.env or None, self.imports or None)

    def module_frame(self, module: str) -> _Frame | None:
        m = self.r.module(module)
        return _Frame(self.finder, m, None, {}, self.depth) if m is not None else None

    # what names are ------------------------------------------------------------------------
    def model_class(self, e: MaybeExpr) -> str | None:
        if is_call(e):
            return self.finder.index.auth_user if _callee_name(e) == "get_user_model" else None
        name = dotted(e)
        if name is None:
            return None
        bound = self.bindings.get(name)
        if bound is not None:
            return bound[1] if bound[0] == "class" else None
        if name in self.types():
            return None
        if name.startswith("self.") and self.cls is not None:
            member = self.r.member(self.cls, name[5:])
            if member is not None and member.kind == "assign" and member.facts[0]:
                scope = self.module_frame(member.module)
                return scope.model_class(member.facts[0]) if scope is not None else None
            return self.finder.model_fqn(member)
        return self.finder.model_fqn(self.resolve(e))

    def types(self) -> dict[str, tuple[str, str]]:
        """Locals and parameters that hold a model instance (or queryset): name -> (model, origin)."""
        if self._types is not None:
            return self._types
        self._types = types = {}
        for name, _kind, ann, default in self.params.values():
            bound = self.bindings.get(name)
            if bound is not None:
                if bound[0] == "inst":
                    types[name] = (bound[1], bound[2])
                continue
            model = self.model_class(unwrap_type(ann)[0]) if ann else None
            if model is not None:
                injected = default is not None or "Depends" in render(ann)
                # a handler's un-injected model parameter is the request body: a new row
                types[name] = (model, "new" if self.depth == 0 and not injected else "loaded")
        for target, value, _line in self.fn.assigns if self.fn else ():
            if "." not in target:
                found = self.instance(value)
                known = types.get(target)
                if known is None and found is not None:
                    types[target] = found
                elif known is not None and found is not None and found[0] == known[0] and found[1] != known[1]:
                    types[target] = (known[0], "either")  # `x = get(...)`, then `if not x: x = Model()`
        return types

    def instance(self, e: MaybeExpr) -> tuple[str, str] | None:
        if not e:
            return None
        if e[0] == "n":
            return self.types().get(e[1])
        name = dotted(e)
        if name is not None:
            bound = self.bindings.get(name)
            return (bound[1], bound[2]) if bound is not None and bound[0] == "inst" else None
        if not is_call(e):
            return None
        found = self.chain(*_unchain(e))
        if found is not None and found.origin:
            return found.model, found.origin
        returned = self.finder.result_of(self, e)
        if returned is not None:
            return returned
        for sub in walk(e):  # session.scalars(select(Item)).first(), session.merge(Item(...))
            if sub is not e and is_call(sub):
                found = self.chain(*_unchain(sub))
                if found is not None and found.origin:
                    return found.model, found.origin
        return None

    def chain(self, root: MaybeExpr, steps: list[tuple[str, MaybeExpr]]) -> _Chain | None:
        cur = root
        for i, (name, call) in enumerate(steps):
            after = [n for n, _ in steps[i + 1:]]
            if cur is not None and cur[0] in ("n", "a", "c"):
                model = self.model_class(cur)
                if model is not None:
                    return self.class_chain(model, [name, *after])
                held = self.instance(cur) if cur[0] != "c" else None
                if held is not None:
                    if call is None:
                        return None  # article.comments.filter_by(...): a related model, not this one
                    return _Chain(held[0], _actions([name, *after], None, held[1]), held[1])
            func = ("n", name) if cur is None else ("a", cur, name)
            if call is None:
                cur = func
                continue
            model = self.model_class(func)
            if model is not None:  # Item(...), Item(...).save()
                return _Chain(model, _actions(after, None, "new"), "new")
            source = self.call_source(name, call, func, cur)
            if source is not None:
                return _Chain(source[0], _actions(after, source[1]), "loaded")
            cur = call
        return None

    def class_chain(self, model: str, names: list[str]) -> _Chain | None:
        first = names[0]
        if first in _NEW_CLASSMETHODS:
            return _Chain(model, _actions(names[1:], None, "new"), "new")
        self.r.use(_FIELDS + model)  # what follows reads the model's field names
        declared = self.finder.index.models.get(model)
        if first.startswith("_") or (declared and any(f.name == first for f in declared.fields)):
            return None  # Item.price.desc(), Item._meta: expressions about the model, not queries
        return _Chain(model, _actions(names, "read"), "loaded")

    def call_source(self, name: str, call: Expr, func: Expr, cur: MaybeExpr) -> tuple[str, str] | None:
        """A call that names the model it reads or writes: `query(Item)`, `select(Item)`,
        `session.get(Item, 1)`, `get_object_or_404(Item, pk=1)`, `self.get_object()`."""
        args = call_args(call)
        if name == "query" or (name in _STATEMENTS and args) or (name in _GETTERS and args):
            for a in (args if name == "query" else args[:1]):
                model = self.model_class(a) or (self.model_class(a[1]) if a and a[0] == "a" else None)
                if model is None:
                    continue
                if name in _STATEMENTS:
                    target = self.resolve(func)
                    if target is not None and target.kind == "function":
                        return None  # the app's own `update(Model, ...)`: followed as a helper
                    return model, _STATEMENTS[name]
                return model, "read"
        if name in _VIEW_GETTERS and cur == ("n", "self") and self.cls is not None:
            model = self.view_model()
            return (model, "read") if model else None
        return None

    # DRF ---------------------------------------------------------------------------------------
    def view_model(self) -> str | None:
        """The model of a DRF/Django class-based view: `queryset`, `model`, or its serializer's."""
        for attr in ("queryset", "model"):
            member = self.r.member(self.cls, attr)  # type: ignore[arg-type]
            if member is not None and member.kind == "assign" and member.facts[0]:
                scope = self.module_frame(member.module)
                for sub in walk(member.facts[0]) if scope is not None else ():
                    if sub[0] in ("n", "a"):
                        model = scope.model_class(sub)  # type: ignore[union-attr]
                        if model is not None:
                            return model
        serializer = view_serializer(self.finder.ctx, self.cls)  # type: ignore[arg-type]
        return self.serializer_model(serializer) if serializer is not None else None

    def serializer_model(self, sym: Symbol) -> str | None:
        for anc in self.r.mro(sym):
            m = self.r.module(anc.module) if anc.kind == "class" else None
            meta = m.cls(f"{anc.name}.Meta") if m is not None else None
            for name, _ann, value, _line in meta.attrs if meta is not None else ():
                if name == "model":
                    return self.finder.model_fqn(self.r.resolve_expr(anc.module, value))
        return None

    def serializer_save(self, name: str) -> tuple[str, str] | None:
        """`serializer.save()` / `form.save()`: (model, action) for a ModelSerializer or ModelForm."""
        value = self.env.get(name)
        ctx = self.finder.ctx
        if is_call(value):
            func = call_func(value)
            model_form = False
            if dotted(func) == "self.get_serializer" and self.cls is not None:
                sym = view_serializer(ctx, self.cls)
            else:
                sym = self.resolve(func)
                model_form = sym is not None and sym.kind == "class" and self.r.inherits(sym, _MODEL_FORMS)
                sym = sym if is_serializer(ctx, sym) or model_form else None
            # a serializer takes the instance first; a ModelForm takes data first and instance= by name
            positional = bool(call_args(value)) and not model_form
            action = "update" if positional or "instance" in call_kwargs(value) else "create"
        elif name in self.params and self.cls is not None and self.fn is not None:
            sym = view_serializer(ctx, self.cls)  # perform_create(self, serializer)
            verb = self.fn.qualname.rsplit(".", 1)[-1]
            action = "create" if "create" in verb or "post" in verb else "update"
        else:
            return None
        model = self.serializer_model(sym) if sym is not None else None
        return (model, action) if model else None

    # one function's own effects ----------------------------------------------------------------
    def own_effects(self) -> list[tuple[str, str, int]]:
        assert self.fn is not None
        out: list[tuple[str, str, int]] = []
        chains = [(call, *_unchain(call)) for call in self.fn.calls]
        inner = {step for _call, _root, steps in chains for _n, step in steps[:-1] if step is not None}
        flushed = any(steps and steps[-1][0] in _FLUSHES for _call, _root, steps in chains)
        pending: list[tuple[str, str, int]] = []  # attribute writes on loaded rows: updates if flushed
        for call, root, steps in chains:
            if call in inner or not steps:
                continue
            line = call_line(call)
            last = steps[-1][0]
            if last == "save" and len(steps) == 1 and root and root[0] == "n":
                saved = self.serializer_save(root[1])
                if saved is not None:
                    out.append((saved[0], saved[1], line))
                    continue
            if last in _WRITES or (last == "delete" and call_args(call)):
                out.extend(self.write_effects(call, root, steps, line))
                continue
            if last == "setattr" and root is None:
                held = self.instance(arg(call, 0))
                if held is not None and held[1] == "loaded":
                    pending.append((held[0], "update", line))
                continue
            found = self.chain(root, steps)
            if found is not None:
                out.extend((found.model, action, line) for action in found.actions)
        for target, _value, line in self.fn.assigns:
            head, _, rest = target.partition(".")
            held = self.types().get(head) if rest and "." not in rest else None
            if held is not None and held[1] == "loaded":
                pending.append((held[0], "update", line))
        return out + (pending if flushed else [])

    def write_effects(self, call: Expr, root: MaybeExpr, steps: list, line: int) -> list[tuple[str, str, int]]:
        """`session.add(obj)`, `add_all([...])`, `merge(obj)`, `session.delete(obj)`."""
        last = steps[-1][0]
        args = [a for first in call_args(call)[:1] for a in (items(first) or (first,))]
        out = []
        for a in args:
            held = self.instance(a) or self.jedi_instance(a, line)
            if held is None:
                receiver = dotted(call_func(call)[1]) or ""  # type: ignore[index]
                if "session" in receiver.rsplit(".", 1)[-1] or receiver == "db":
                    _report(self.finder.ctx, "orm-effect-unresolved",
                            f"Cannot tell which model `{render(a)}` is in `{receiver}.{last}(...)` in {self.via}; "
                            "that data effect is left out.", file=self.module.path, line=line)
                continue
            if last == "delete":
                out.append((held[0], "delete", line))
            else:
                out.extend((held[0], action, line) for action in _write_actions(held[1]))
        return out

    def jedi_instance(self, e: MaybeExpr, line: int) -> tuple[str, str] | None:
        """Last resort for `session.delete(obj)` when the facts can't type `obj` (its value came
        through code the resolver doesn't follow): ask jedi, and accept only a known model."""
        name = e[1] if e and e[0] == "n" else None
        # only a value returned by a call is worth jedi's time: comprehensions and loop variables
        # make jedi iterate generics for seconds and rarely settle anything
        value = self.env.get(name) if name else None
        if name is None or not is_call(value):
            return None
        models = _index(self.finder.ctx).models
        for inferred in self.finder.ctx.jedi().infer(self.finder.ctx.root / self.module.path, line, name):
            if inferred.full_name in models:
                return (inferred.full_name, "loaded")
        return None

    # following calls ---------------------------------------------------------------------------
    def callee(self, call: Expr) -> _Frame | None:
        """The frame of an app function `call` runs, with its parameters bound to what the
        caller passes (model classes and instances)."""
        func = call_func(call)
        name = dotted(func)
        if name is None or self.depth >= _MAX_DEPTH:
            return None
        if name.startswith("self.") and self.cls is not None and "." not in name[5:]:
            target = self.r.member(self.cls, name[5:])
            if target is None or target.kind != "function":
                return None
            inherited = {k: v for k, v in self.bindings.items() if k.startswith("self.")}
            return self.child(target, call, skip_self=True, bindings=inherited, cls=self.cls)
        target = self.resolve(func)
        if target is not None and target.kind == "function":
            return self.child(target, call, skip_self=False, bindings={})
        if target is None and func[0] == "a":  # type: ignore[index]
            held = self.instance(func[1])  # type: ignore[index]
            if held is not None:  # user.save() on a model with its own save(): `self` is that row
                model = self.r.resolve_dotted(held[0])
                method = self.r.member(model, func[2]) if model and model.kind == "class" else None  # type: ignore[index]
                if method is None or method.kind != "function":
                    return None
                return self.child(method, call, skip_self=True, bindings={"self": ("inst", *held)}, cls=model)
            owner = self.instance_class(func[1])  # type: ignore[index]
            if owner is not None:
                method = self.r.member(owner[0], func[2])  # type: ignore[index]
                if method is not None and method.kind == "function":
                    return self.child(method, call, skip_self=True, bindings=owner[1], cls=owner[0])
        return None

    def child(self, target: Symbol, call: Expr, *, skip_self: bool, bindings: dict[str, tuple],
              cls: Symbol | None = None) -> _Frame | None:
        m = self.r.defining_module(target)  # a frame reads its function (and class), the path and name
        if m is None:
            return None
        return _Frame(self.finder, m, target.facts, {**bindings, **self.bind_args(call, target.facts, skip_self)},
                      self.depth + 1, cls)

    def bind_args(self, call: Expr, fn: FunctionFacts, skip_self: bool) -> dict[str, tuple]:
        positional = [p[0] for p in fn.params if p[1] == "pos"]
        if skip_self or (positional[:1] in (["self"], ["cls"])):
            positional = positional[1:]
        names = {p[0] for p in fn.params}
        pairs = list(zip(positional, call_args(call)))
        pairs += [(k, v) for k, v in call_kwargs(call).items() if k in names]
        out = {}
        for name, value in pairs:
            model = self.model_class(value)
            if model is not None:
                out[name] = ("class", model)
                continue
            held = self.instance(value) if value and value[0] in ("n", "a") else None
            if held is not None:
                out[name] = ("inst", held[0], held[1])
        return out

    def instance_class(self, e: MaybeExpr) -> tuple[Symbol, dict[str, tuple]] | None:
        """The app class of an object a method is called on, with what its constructor bound
        (`item = CRUDItem(Item)` -> self.model = Item), for repositories and CRUD objects."""
        if e and e[0] == "n" and e[1] in self.params and self.params[e[1]][2]:
            sym = self.resolve(unwrap_type(self.params[e[1]][2])[0])
            return (sym, {}) if sym is not None and sym.kind == "class" else None
        name = dotted(e)
        if name and name.startswith("self.") and self.cls is not None:
            init = self.r.member(self.cls, "__init__")
            for target, value, _line in init.facts.assigns if init is not None and init.kind == "function" else ():
                if target == name and is_call(value):
                    scope = self.module_frame(init.module)
                    return scope.constructed(value) if scope is not None else None
            return None
        sym = self.resolve(e)
        if sym is None or sym.kind != "assign" or not is_call(sym.facts[0]):
            return None
        local = sym.facts[1] == 0 and sym.module == self.module.module
        scope = self if local else self.module_frame(sym.module)
        return scope.constructed(sym.facts[0]) if scope is not None else None

    def constructed(self, ctor: Expr) -> tuple[Symbol, dict[str, tuple]] | None:
        cls = self.resolve(call_func(ctor))
        if cls is None or cls.kind != "class" or self.finder.model_fqn(cls):
            return None
        init = self.r.member(cls, "__init__")
        bindings: dict[str, tuple] = {}
        if init is not None and init.kind == "function":
            given = self.bind_args(ctor, init.facts, skip_self=True)
            for target, value, _line in init.facts.assigns:
                if target.startswith("self.") and value and value[0] == "n" and value[1] in given:
                    bindings[target] = given[value[1]]
        return cls, bindings
