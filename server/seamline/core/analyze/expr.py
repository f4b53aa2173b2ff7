"""A compact, marshal-able stand-in for `ast` expressions.

Caching full ASTs buys nothing (unpickling an AST is ~3x slower than re-parsing it), so facts
keep expressions as nested tuples of str/int/None that `marshal` loads very fast:

    ("n", name)                         Name
    ("a", base, attr)                   Attribute
    ("c", func, args, kwargs, line)     Call; kwargs = ((name | "**", expr), ...)
    ("k", value)                        Constant (str/int/float/bool/None/bytes)
    ("l", items)                        List / Tuple / Set
    ("d", ((key, value), ...))          Dict (key None for ** splats)
    ("s", base, index)                  Subscript (Annotated[...], Optional[...], list[X])
    ("u", left, right)                  `a | b` in annotations
    ("f", text)                         f-string (its literal parts; placeholders become {})
    ("x", node type name)               anything else
"""

from __future__ import annotations

import ast
from typing import Any

Expr = tuple  # see module docstring
MaybeExpr = Expr | None

_MAX_DEPTH = 40  # deeply nested expressions (generated code) are cut off rather than recursed


def convert(node: ast.AST | None, depth: int = 0) -> MaybeExpr:
    if node is None:
        return None
    if depth > _MAX_DEPTH:
        return ("x", "deep")
    t = type(node)
    d = depth + 1
    if t is ast.Name:
        return ("n", node.id)  # type: ignore[attr-defined]
    if t is ast.Attribute:
        return ("a", convert(node.value, d), node.attr)  # type: ignore[attr-defined]
    if t is ast.Call:
        args = tuple(convert(a, d) for a in node.args)  # type: ignore[attr-defined]
        kws = tuple((k.arg or "**", convert(k.value, d)) for k in node.keywords)  # type: ignore[attr-defined]
        return ("c", convert(node.func, d), args, kws, node.lineno)  # type: ignore[attr-defined]
    if t is ast.Constant:
        v = node.value  # type: ignore[attr-defined]
        if isinstance(v, (str, int, float, bool, bytes)) or v is None:
            if isinstance(v, (str, bytes)) and len(v) > 2000:
                v = v[:2000]
            return ("k", v)
        return ("x", "Constant")
    if t in (ast.List, ast.Tuple, ast.Set):
        return ("l", tuple(convert(e, d) for e in node.elts))  # type: ignore[attr-defined]
    if t is ast.Dict:
        return ("d", tuple((convert(k, d), convert(v, d)) for k, v in zip(node.keys, node.values)))  # type: ignore[attr-defined]
    if t is ast.Subscript:
        return ("s", convert(node.value, d), convert(node.slice, d))  # type: ignore[attr-defined]
    if t is ast.BinOp and isinstance(node.op, ast.BitOr):  # type: ignore[attr-defined]
        return ("u", convert(node.left, d), convert(node.right, d))  # type: ignore[attr-defined]
    if t is ast.JoinedStr:
        parts = []
        for v in node.values:  # type: ignore[attr-defined]
            parts.append(v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else "{}")
        return ("f", "".join(parts))
    if t is ast.Await:
        # `await session.get(Item, 1)` is the call for every reader of facts
        return convert(node.value, d)  # type: ignore[attr-defined]
    if t is ast.Starred:
        return ("x", "Starred")
    if t is ast.UnaryOp and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant):  # type: ignore[attr-defined]
        v = node.operand.value  # type: ignore[attr-defined]
        if isinstance(v, (int, float)):
            return ("k", -v)
    if t is ast.BinOp and isinstance(node.op, ast.Add):  # type: ignore[attr-defined]
        # "prefix" + "/x" is common in urlconfs and settings; keep it when both sides are strings
        left, right = convert(node.left, d), convert(node.right, d)  # type: ignore[attr-defined]
        if is_str(left) and is_str(right):
            return ("k", left[1] + right[1])  # type: ignore[index]
        return ("+", left, right)
    return ("x", t.__name__)


# ---- reading expressions -------------------------------------------------------------------


def is_str(e: MaybeExpr) -> bool:
    return bool(e) and e[0] == "k" and isinstance(e[1], str)  # type: ignore[index]


def const(e: MaybeExpr) -> Any:
    """The constant value, or None."""
    if e and e[0] == "k":
        return e[1]
    return None


def string(e: MaybeExpr) -> str | None:
    v = const(e)
    return v if isinstance(v, str) else None


def dotted(e: MaybeExpr) -> str | None:
    """`a.b.c` for Name/Attribute chains, else None."""
    parts: list[str] = []
    while e and e[0] == "a":
        parts.append(e[2])
        e = e[1]
    if e and e[0] == "n":
        parts.append(e[1])
        return ".".join(reversed(parts))
    return None


def chain(e: MaybeExpr) -> str | None:
    """Like `dotted`, but also walks through calls: `Item.objects.filter(x).first` ->
    "Item.objects.filter().first". Used to recognise ORM call chains."""
    parts: list[str] = []
    while e:
        k = e[0]
        if k == "a":
            parts.append(e[2])
            e = e[1]
        elif k == "c":
            if parts:
                parts[-1] = parts[-1]
            parts.append("()")
            e = e[1]
        elif k == "n":
            parts.append(e[1])
            break
        else:
            return None
    out = ""
    for p in reversed(parts):
        if p == "()":
            out += "()"
        else:
            out = f"{out}.{p}" if out else p
    return out or None


def is_call(e: MaybeExpr) -> bool:
    return bool(e) and e[0] == "c"  # type: ignore[index]


def call_func(e: MaybeExpr) -> MaybeExpr:
    return e[1] if is_call(e) else None  # type: ignore[index]


def call_args(e: MaybeExpr) -> tuple:
    return e[2] if is_call(e) else ()  # type: ignore[index]


def call_kwargs(e: MaybeExpr) -> dict[str, Expr]:
    return dict(e[3]) if is_call(e) else {}  # type: ignore[index]


def call_line(e: MaybeExpr) -> int:
    return e[4] if is_call(e) else 0  # type: ignore[index]


def arg(e: MaybeExpr, index: int, name: str | None = None) -> MaybeExpr:
    """Positional argument `index`, or keyword `name`."""
    if not is_call(e):
        return None
    if name is not None:
        for k, v in e[3]:  # type: ignore[index]
            if k == name:
                return v
    args = e[2]  # type: ignore[index]
    if 0 <= index < len(args):
        return args[index]
    return None


def items(e: MaybeExpr) -> tuple:
    """Elements of a list/tuple/set expression, else ()."""
    if e and e[0] == "l":
        return e[1]
    return ()


def strings(e: MaybeExpr) -> list[str]:
    """String elements of a list/tuple (or a single string)."""
    if is_str(e):
        return [e[1]]  # type: ignore[index]
    return [v for v in (string(i) for i in items(e)) if v is not None]


def render(e: MaybeExpr) -> str:
    """Readable source-like text for types and defaults."""
    if e is None:
        return ""
    k = e[0]
    if k == "n":
        return e[1]
    if k == "a":
        return f"{render(e[1])}.{e[2]}"
    if k == "k":
        return repr(e[1])
    if k == "c":
        parts = [render(a) for a in e[2]] + [f"{n}={render(v)}" if n != "**" else f"**{render(v)}" for n, v in e[3]]
        return f"{render(e[1])}({', '.join(parts)})"
    if k == "l":
        return "[" + ", ".join(render(i) for i in e[1]) + "]"
    if k == "d":
        return "{" + ", ".join(f"{render(a)}: {render(b)}" for a, b in e[1]) + "}"
    if k == "s":
        idx = e[2]
        inner = ", ".join(render(i) for i in idx[1]) if idx and idx[0] == "l" else render(idx)
        return f"{render(e[1])}[{inner}]"
    if k == "u":
        return f"{render(e[1])} | {render(e[2])}"
    if k == "f":
        return repr(e[1])
    if k == "+":
        return f"{render(e[1])} + {render(e[2])}"
    return "..."


def walk(e: MaybeExpr):
    """Yield `e` and every sub-expression (pre-order)."""
    if not e:
        return
    stack = [e]
    while stack:
        cur = stack.pop()
        if not cur or not isinstance(cur, tuple):
            continue
        yield cur
        k = cur[0]
        if k == "a":
            stack.append(cur[1])
        elif k == "c":
            stack.append(cur[1])
            stack.extend(cur[2])
            stack.extend(v for _, v in cur[3])
        elif k == "l":
            stack.extend(cur[1])
        elif k == "d":
            for a, b in cur[1]:
                stack.append(a)
                stack.append(b)
        elif k in ("s", "u", "+"):
            stack.append(cur[1])
            stack.append(cur[2])
