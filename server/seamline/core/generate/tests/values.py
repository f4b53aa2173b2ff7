"""Deterministic values from declared types and constraints: valid payloads, the invalid variants a
validator must reject, and seed values for ORM rows. No randomness: the same schema always gives
the same values, so generated files are stable and tests reproducible."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from ...model import OrmModel, Param, Schema, SchemaField

_OPTIONAL = re.compile(r"^(Optional\[(?P<inner>.+)\]|(?P<a>.+?)\s*\|\s*None|None\s*\|\s*(?P<b>.+))$")
_LIST = re.compile(r"^(list|List|Sequence|tuple|Tuple|set|Set)\[(?P<inner>.+)\]$")
_INT_TYPES = {"int", "conint", "PositiveInt", "NonNegativeInt", "BigInteger", "Integer", "SmallInteger"}
_FLOAT_TYPES = {"float", "Decimal", "condecimal", "confloat", "Float", "Numeric"}
_STR_TYPES = {"str", "constr", "String", "Text", "Unicode", "AnyStr", "SecretStr"}


def base_type(type_: str) -> str:
    """`Optional[int]`, `int | None` -> `int`; `fk:app.models.User` -> `int`; dotted names -> the last part."""
    t = type_.strip()
    m = _OPTIONAL.match(t)
    if m:
        t = (m.group("inner") or m.group("a") or m.group("b")).strip()
    if t.startswith("fk:"):
        return "int"
    return t.rsplit(".", 1)[-1]


def is_list(type_: str) -> bool:
    return bool(_LIST.match(base_type(type_)))


def constraint(constraints: tuple[tuple[str, str], ...], *names: str) -> float | None:
    for key, value in constraints:
        if key in names:
            try:
                return float(value)
            except ValueError:
                return None
    return None


def kind_of(type_: str, name: str = "") -> str:
    """A coarse kind: int | float | bool | str | email | url | datetime | date | uuid | dict | list | any."""
    t = base_type(type_)
    lname = name.lower()
    if is_list(type_):
        return "list"
    if t in ("EmailStr", "EmailField") or (t in _STR_TYPES and lname.endswith("email")):
        return "email"
    if t in ("AnyUrl", "HttpUrl", "AnyHttpUrl", "URLField"):
        return "url"
    if t in _INT_TYPES or t.endswith("IntegerField") or t == "AutoField":
        return "int"
    if t in _FLOAT_TYPES or t in ("FloatField", "DecimalField"):
        return "float"
    if t in ("bool", "Boolean", "BooleanField", "StrictBool"):
        return "bool"
    if t in ("datetime", "DateTime", "DateTimeField"):
        return "datetime"
    if t in ("date", "Date", "DateField"):
        return "date"
    if t in ("UUID", "uuid", "UUIDField", "Uuid"):
        return "uuid"
    if t.startswith(("dict", "Dict", "JSON")) or t == "JSONField":
        return "dict"
    if t in _STR_TYPES or t.endswith(("CharField", "TextField", "SlugField")):
        return "str"
    return "any"


def _fit(text: str, constraints: tuple[tuple[str, str], ...]) -> str:
    low = constraint(constraints, "min_length", "min_items")
    high = constraint(constraints, "max_length", "max_items")
    if low is not None and len(text) < low:
        text = text + "x" * (int(low) - len(text))
    if high is not None and len(text) > high:
        text = text[: max(int(high), 0)]
    return text


def _number(constraints: tuple[tuple[str, str], ...], preferred: float) -> float:
    low = constraint(constraints, "ge")
    gt = constraint(constraints, "gt")
    high = constraint(constraints, "le")
    lt = constraint(constraints, "lt")
    if gt is not None:
        low = max(low if low is not None else gt + 1, gt + 1)
    if lt is not None:
        high = min(high if high is not None else lt - 1, lt - 1)
    value = preferred
    if low is not None and value < low:
        value = low
    if high is not None and value > high:
        value = high
    return value


def _words(name: str) -> str:
    return name.replace("_", " ").strip() or "value"


def _is_identifier(lname: str) -> bool:
    return lname in ("username", "login", "slug", "handle") or lname.endswith(("_username", "_slug"))


_LINK_NAMES = ("image", "avatar", "photo", "picture", "icon", "thumbnail", "website", "homepage", "link", "url", "uri")


def _valid_kind(type_: str, name: str, constraints: tuple[tuple[str, str], ...]) -> str:
    """The kind a *valid* value is made for: `kind_of`, except that a text field whose name says it
    holds a link (`image`, `avatar_url`, `website`) gets a URL when one fits, since an app often
    checks it as one (a serializer's Url field) where the column is plain text. Invalid values
    follow the declared type (`kind_of`)."""
    kind = kind_of(type_, name)
    lname = name.lower()
    if kind in ("str", "any") and (lname in _LINK_NAMES or lname.endswith(("_url", "_uri", "_link", "_image",
                                                                             "_avatar"))):
        high = constraint(constraints, "max_length")
        if high is None or high >= 48:
            return "url"
    return kind


def valid_value(name: str, type_: str, constraints: tuple[tuple[str, str], ...] = (), enum: tuple[str, ...] = (),
                *, n: int | None = None, schemas: Mapping[str, Schema] | None = None, nested: str | None = None,
                depth: int = 0) -> Any:
    """A realistic value for one field; `n` makes unique values for seeds (user3@example.com)."""
    if enum:
        return enum[0]
    fixed = next((v for k, v in constraints if k == "const"), None)
    if fixed is not None:  # the one value the app accepts (a fixed query key)
        return fixed
    suffix = "" if n is None else f" {n}"
    kind = _valid_kind(type_, name, constraints)
    if nested and schemas and nested in schemas and depth < 3:
        inner = payload(schemas[nested], schemas=schemas, depth=depth + 1)
        return [inner] if kind == "list" else inner
    if kind == "email":
        return f"user{'' if n is None else n}@example.com"
    if kind == "url":
        return f"https://example.com/{name}{'' if n is None else n}"
    if kind == "int":
        preferred = 7 if n is None else 100 + n
        return int(_number(constraints, preferred))
    if kind == "float":
        return float(_number(constraints, 9.5 if n is None else 10.5 + n))
    if kind == "bool":
        return True
    if kind == "datetime":
        return "2024-01-02T03:04:05+00:00"
    if kind == "date":
        return "2024-01-02"
    if kind == "uuid":
        return f"00000000-0000-4000-8000-{(n or 1):012d}"
    if kind == "dict":
        return {}
    if kind == "list":
        return []
    lname = name.lower()
    if "password" in lname:
        return _fit(f"S3cret-password{'' if n is None else n}", constraints)
    if _is_identifier(lname):  # usernames and slugs: no spaces (Django's username validator)
        return _fit(f"sample_{lname}{'' if n is None else n}", constraints)
    return _fit(f"Sample {_words(name)}{suffix}", constraints)


def field_value(f: SchemaField, *, schemas: Mapping[str, Schema] | None = None, n: int | None = None,
                depth: int = 0) -> Any:
    return valid_value(f.name, f.type, f.constraints, f.enum, n=n, schemas=schemas, nested=f.nested, depth=depth)


def writable(schema: Schema) -> tuple[SchemaField, ...]:
    """The fields a client sends. A marshmallow schema often declares one schema for both ways,
    with optional nested schemas and timestamps that only its answers carry (`author`,
    `createdAt`): those are left out unless required."""
    if schema.kind == "marshmallow":
        return tuple(f for f in schema.fields if not f.read_only and
                     (f.required or not (f.nested or kind_of(f.type, f.name) in ("dict", "datetime", "date"))))
    return tuple(f for f in schema.fields if not f.read_only)


def payload(schema: Schema, *, schemas: Mapping[str, Schema] | None = None, depth: int = 0) -> dict[str, Any]:
    """Every writable field (optional ones too: the happy path should exercise them)."""
    return {f.name: field_value(f, schemas=schemas, depth=depth) for f in writable(schema)}


def wrong_type_value(kind: str) -> Any | None:
    """A value of another JSON type, which a validating framework rejects without coercion."""
    return {"int": "not-a-number", "float": "not-a-number", "bool": "not-a-bool", "str": ["not-a-string"],
            "email": "not-an-email", "url": "not a url", "datetime": "not-a-date", "date": "not-a-date",
            "uuid": "not-a-uuid", "dict": "not-an-object", "list": "not-a-list"}.get(kind)


def _wrong_label(kind: str) -> str:
    return "malformed" if kind in ("email", "url", "uuid", "datetime", "date") else "wrong-type"


def violations(name: str, type_: str, constraints: tuple[tuple[str, str], ...], enum: tuple[str, ...]
               ) -> list[tuple[str, Any]]:
    """(id, value) pairs that break one declared constraint each."""
    out: list[tuple[str, Any]] = []
    slug = name.replace("_", "-")
    kind = kind_of(type_, name)
    if enum:
        out.append((f"{slug}-not-a-choice", "not-a-choice"))
    if kind == "str":
        low = constraint(constraints, "min_length")
        high = constraint(constraints, "max_length")
        if low is not None and low >= 1:
            out.append((f"{slug}-too-short" if low > 1 else f"empty-{slug}", "x" * (int(low) - 1)))
        if high is not None:
            out.append((f"{slug}-too-long", "x" * (int(high) + 1)))
    if kind in ("int", "float"):
        cast = int if kind == "int" else float
        for key, label, delta in (("ge", "below", -1), ("gt", "at-or-below", 0), ("le", "above", 1),
                                  ("lt", "at-or-above", 0)):
            bound = constraint(constraints, key)
            if bound is not None:
                bound_text = str(int(bound)) if bound == int(bound) else str(bound)
                out.append((f"{slug}-{label}-{bound_text}", cast(bound + delta)))
    return out


def invalid_payloads(schema: Schema, valid: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(id, payload) pairs that differ from `valid` in one way each: a missing required field, a wrong
    type, a violated constraint. Ordered as declared; ids are stable."""
    out: list[tuple[str, dict[str, Any]]] = []
    for f in writable(schema):
        slug = f.name.replace("_", "-")
        if f.required:
            out.append((f"missing-{slug}", {k: v for k, v in valid.items() if k != f.name}))
        kind = kind_of(f.type, f.name)
        wrong = wrong_type_value(kind)
        if wrong is not None and not f.nested and not f.enum:
            out.append((f"{slug}-{_wrong_label(kind)}", {**valid, f.name: wrong}))
        for vid, value in violations(f.name, f.type, f.constraints, f.enum):
            out.append((vid, {**valid, f.name: value}))
    return out


def _query_params(params: tuple[Param, ...]) -> Iterator[tuple[Param, str, str]]:
    """(param, its slug for test ids, its kind) for each query parameter."""
    for p in params:
        if p.location == "query":
            yield p, p.name.replace("_", "-"), kind_of(p.type, p.name)


def edge_query(params: tuple[Param, ...]) -> list[tuple[str, dict[str, Any]]]:
    """(id, query) pairs with one boundary value each, the values handlers divide by or page with: 0
    for numbers, the empty string for text; then -1 for the integers whose bounds allow it."""
    out: list[tuple[str, dict[str, Any]]] = []
    for p, slug, kind in _query_params(params):
        if kind in ("int", "float"):
            out.append((f"{slug}-zero", {p.name: 0}))
        elif kind in ("str", "any"):
            out.append((f"empty-{slug}", {p.name: ""}))
    return out + _negative_edges(params)


def _negative_edges(params: tuple[Param, ...]) -> list[tuple[str, dict[str, Any]]]:
    """One query with -1 for every integer query parameter whose declared bounds (`ge=`, `gt=`, `le=`,
    `lt=`) allow it. Edge values stay inside what the app declares, so an answer of 500 to one is the
    app's bug (an undeclared edge case: `skip=-1` reaching the database as a negative OFFSET), never
    the generator's; values outside the declared bounds are the invalid-query cases, which expect the
    validation status. One request for all of them: they fail for one reason, the missing lower bound."""
    names = []
    for p, _, kind in _query_params(params):
        if kind != "int":
            continue
        low, above = constraint(p.constraints, "ge"), constraint(p.constraints, "gt")
        high = constraint(p.constraints, "le", "lt")
        if (low is None or low <= -1) and (above is None or above < -1) and (high is None or high > -1):
            names.append(p.name)
    if not names:
        return []
    return [("negative-" + "-".join(n.replace("_", "-") for n in names), dict.fromkeys(names, -1))]


def invalid_query(params: tuple[Param, ...]) -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = []
    for p, slug, kind in _query_params(params):
        if kind in ("int", "float", "bool", "uuid", "datetime", "date"):
            out.append((f"{slug}-{_wrong_label(kind)}", {p.name: wrong_type_value(kind)}))
        for vid, value in violations(p.name, p.type, p.constraints, ()):
            out.append((vid, {p.name: value}))
    return out


def seed_expr(f: SchemaField) -> str:
    """A Python expression for one column of a factory's row, unique per row through the factory's
    counter `n` (f"user{n}@example.com"). Needs `datetime` and `uuid` imported where it is used."""
    if f.enum:
        return repr(f.enum[0])
    kind = _valid_kind(f.type, f.name, f.constraints)
    lname = f.name.lower()
    high = constraint(f.constraints, "max_length")
    if kind == "email":
        return 'f"user{n}@example.com"'
    if kind == "url":
        return f'f"https://example.com/{f.name}/{{n}}"'
    if kind == "int":
        return "100 + n"
    if kind == "float":
        return "10.5 + n"
    if kind == "bool":
        return "True" if lname.removeprefix("is_").startswith(("active", "enabled", "verified")) else "False"
    if kind == "datetime":
        return "datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)"
    if kind == "date":
        return "datetime.date(2024, 1, 2)"
    if kind == "uuid":
        return "uuid.UUID(int=n)"
    if kind == "dict":
        return "{}"
    if kind == "list":
        return "[]"
    if kind == "str" or kind == "any":
        if _is_identifier(lname):
            return f'f"{lname}{{n}}"'
        text = "not-a-real-hash" if "password" in lname else f"Sample {_words(f.name)}"
        if high is not None and len(text) + 7 > high:
            text = "s"
        return f'f"{text} {{n}}"' if text != "s" else 'f"s{n}"'
    return "None"


def seed_fields(model: OrmModel, *, fk_fields: Mapping[str, str]) -> tuple[SchemaField, ...]:
    """The columns a factory fills: required ones without a default, never generated keys or FKs
    (`fk_fields`, filled from parent rows) or relationships."""
    return tuple(f for f in model.fields
                 if not (f.read_only or f.name in fk_fields or f.nested or f.many)
                 and (f.required or f.default is None) and not f.type.startswith("fk:"))


def missing_value(type_: str) -> str:
    """A Python expression for a path parameter that points at nothing."""
    kind = kind_of(type_)
    if kind == "int":
        return "999999"
    if kind == "uuid":
        return '"00000000-0000-4000-8000-999999999999"'
    return '"does-not-exist"'
