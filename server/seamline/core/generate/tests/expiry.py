"""An expired token for the app's own users, made the way the app makes tokens: the tests expect it
refused with the status the app gives an invalid token.

Two ways, read statically from the app's token function:
- the function takes a lifetime (`expires_delta: timedelta`, `expires_minutes: int`, `expires_at:
  datetime`): call it the way the app's login does, with a lifetime already over;
- otherwise, where it signs with `jwt.encode(claims, <key>, algorithm=<alg>)` (PyJWT or python-jose)
  and the key and algorithm are names of its module (`settings.SECRET_KEY`, `ALGORITHM`): take a token
  it made, set `exp` in the past, and sign the claims again with that key and algorithm.
Anything else gets a note saying why there is no expired-token test.
"""

from __future__ import annotations

import ast
import json
import logging
import re

from ...analyze.expr import MaybeExpr, call_args, call_func, call_kwargs, dotted, render
from ...analyze.facts import FunctionFacts, ModuleFacts
from .code_facts import CodeFacts
from .model import ExpiredToken

log = logging.getLogger(__name__)

_LIFETIME = re.compile(r"expir|^exp_|_exp$|^exp$|ttl|lifetime|valid_for|duration|delta", re.IGNORECASE)
# names the conftest already uses: the token function's module is imported under another name then
_TAKEN = frozenset({"app", "client", "db", "user", "jwt", "time", "os", "re", "sys", "pytest", "engine", "metadata",
                    "datetime", "timedelta", "timezone", "itertools", "uuid", "token"})
_PAST = "five minutes ago"


def expired_token(code: CodeFacts, token_fn: str, token_call: str) -> ExpiredToken | str:
    """How a test makes an expired token for `user`, or why it cannot (a note for the plan)."""
    fn = code.function(token_fn)
    if fn is None:
        return f"{token_fn}: its source was not found; no expired-token tests"
    found = _through_lifetime(fn, token_call) or _signed_again(code, fn, token_fn, token_call)
    if found is not None:
        return found
    return (f"{token_fn}: takes no lifetime and signs with no `jwt.encode` key and algorithm its module names; "
            "no expired-token tests")


# --- a lifetime parameter --------------------------------------------------------------------------

def _through_lifetime(fn: FunctionFacts, token_call: str) -> ExpiredToken | None:
    positional = [p for p in fn.params if p[1] == "pos" and p[0] not in ("self", "cls")]
    for name, kind, annotation, _default in fn.params:
        if kind not in ("pos", "kwonly") or not _LIFETIME.search(name):
            continue
        value = _past_value(name, render(annotation))
        if value is None:
            continue
        index = next((i for i, p in enumerate(positional) if p[0] == name), None)
        call = _with_argument(token_call, name, index, value[0])
        if call is None:
            return None
        return ExpiredToken(lines=(f"token = {call}",), stdlib=value[1],
                            how=f"the app's own `{_callee(token_call)}` with `{name}={value[0]}`")
    return None


def _past_value(name: str, annotation: str) -> tuple[str, tuple[str, ...]] | None:
    """A lifetime that ended five minutes ago, in the unit the parameter's name or type says."""
    lowered = name.lower()
    if "timedelta" in annotation or ("delta" in lowered and "datetime" not in annotation):
        return "timedelta(minutes=-5)", ("from datetime import timedelta",)
    if "datetime" in annotation:  # an expiry instant (`expires_at: datetime`)
        return "datetime.now(timezone.utc) - timedelta(minutes=5)", ("from datetime import datetime, timedelta, "
                                                                     "timezone",)
    for unit, value in (("second", "-300"), ("minute", "-5"), ("hour", "-1"), ("day", "-1")):
        if unit in lowered:
            return value, ()
    return None  # an int of an unknown unit: no guess


def _with_argument(call_text: str, name: str, index: int | None, value: str) -> str | None:
    """`token_call` with `name` passed as `value`: replacing the argument the app passed (by keyword
    or at the parameter's position) or adding a keyword. Edits the text, so its style is kept."""
    try:
        call = ast.parse(call_text, mode="eval").body
    except SyntaxError:
        log.info("token call %r does not parse; no expired-token tests", call_text)
        return None
    if not isinstance(call, ast.Call):
        return None
    target = next((k.value for k in call.keywords if k.arg == name), None)
    if target is None and index is not None and index < len(call.args):
        target = call.args[index]
    if target is not None:
        return call_text[:target.col_offset] + value + call_text[target.end_col_offset:]
    head = call_text[:call.end_col_offset - 1].rstrip()
    sep = "" if head.endswith("(") else ", "
    return f"{head}{sep}{name}={value}){call_text[call.end_col_offset:]}"


# --- the claims signed again ------------------------------------------------------------------------

def _signed_again(code: CodeFacts, fn: FunctionFacts, token_fn: str, token_call: str) -> ExpiredToken | None:
    module_name = token_fn.rsplit(".", 1)[0]
    module = code.module(module_name)
    if module is None or "." not in token_fn:
        return None
    local_imports = dict(fn.imports)
    for call in fn.calls:
        callee = dotted(call_func(call)) or ""
        head, _, _ = callee.partition(".")
        target = local_imports.get(head) or module.imported(head) or ""
        full = f"{target}{callee[len(head):]}"
        library = "jose" if full.startswith("jose.jwt.") else "pyjwt" if full.startswith("jwt.") else None
        if library is None or not full.endswith(".encode"):
            continue
        args, kwargs = call_args(call), call_kwargs(call)
        key = _local_value(fn, args[1] if len(args) > 1 else kwargs.get("key"))
        algorithm = _local_value(fn, args[2] if len(args) > 2 else kwargs.get("algorithm"))
        alias = _module_alias(module_name)
        key_text = _module_expr(key, module, alias[0])
        algorithm_text = _module_expr(algorithm, module, alias[0]) if algorithm is not None else ""
        if key_text is None or algorithm_text is None:
            return None
        decode = ('jwt.decode({call}, options={{"verify_signature": False}})' if library == "pyjwt"
                  else "jwt.get_unverified_claims({call})").format(call=token_call)
        sign = f"token = jwt.encode(claims, {key_text}" + (f", algorithm={algorithm_text})" if algorithm_text
                                                              else ")")
        return ExpiredToken(
            lines=(f"claims = {decode}", f'claims["exp"] = int(time.time()) - 300  # {_PAST}', sign),
            stdlib=("import time",), third_party=("import jwt" if library == "pyjwt" else "from jose import jwt",),
            app=(alias[1],), how=f"the claims of a token from the app's own `{_callee(token_call)}`, with `exp` "
                                 f"{_PAST}, signed again with the app's key")
    return None


def _callee(call_text: str) -> str:
    return call_text.split("(", 1)[0]


def _local_value(fn: FunctionFacts, e: MaybeExpr) -> MaybeExpr:
    """`key` assigned once in the function (`key = settings.SECRET_KEY`) -> its value."""
    if isinstance(e, tuple) and e and e[0] == "n":
        values = [value for target, value, _line in fn.assigns if target == e[1]]
        if len(values) == 1:
            return values[0]
    return e


def _module_alias(module_name: str) -> tuple[str, str]:
    """The name the conftest gives the token function's module, and the import that binds it."""
    parent, _, last = module_name.rpartition(".")
    if last in _TAKEN or not parent:
        return "token_module", f"import {module_name} as token_module"
    return last, f"from {parent} import {last}"


def _module_expr(e: MaybeExpr, module: ModuleFacts, alias: str) -> str | None:
    """`settings.SECRET_KEY` as the conftest reaches it through the module (`security.settings.SECRET_KEY`);
    None unless it is a constant, or a name of the module (imported or assigned there) with attributes
    and argument-less calls on it."""
    if not isinstance(e, tuple) or not e:
        return None
    if e[0] == "k":
        return json.dumps(e[1]) if isinstance(e[1], str) else repr(e[1])
    if e[0] == "n":
        known = module.imported(e[1]) or module.assigned(e[1]) or module.function(e[1]) or module.cls(e[1])
        return f"{alias}.{e[1]}" if known else None
    if e[0] == "a":
        inner = _module_expr(e[1], module, alias)
        return f"{inner}.{e[2]}" if inner else None
    if e[0] == "c" and not e[2] and not e[3]:
        inner = _module_expr(e[1], module, alias)
        return f"{inner}()" if inner else None
    return None
