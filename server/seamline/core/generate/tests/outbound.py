"""The outside services an endpoint's handler calls, directly or through the app's own helpers: HTTP
APIs (httpx, requests, aiohttp), mail relays (smtplib) and S3 (boto3). Read from the handler's
module and the modules of the helpers it calls (a few calls deep), statically, like the analysis.

For each call: which settings name the target (`settings.PRICING_API_URL`, `config["SMTP_HOST"]`,
`os.environ["X"]`), so generated tests can point them at a test double; for HTTP, the keys the code
reads from the response JSON, so the double answers with a body the app accepts; for mail, whether it
goes to the caller's own address and carries a subject. Facts drop f-string placeholders and most
subscripts, so this reads the full syntax tree of the few modules involved.
"""

from __future__ import annotations

import ast
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from ...analyze.facts import ModuleFacts
from .code_facts import CodeFacts

log = logging.getLogger(__name__)

_DEPTH = 3  # helper calls followed from the handler
_HTTP_VERBS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "request", "stream"})
_CALLER_ADDRESS = re.compile(r"^(current_user|user|request\.user|g\.user)\.email$")
_ENV_READERS = frozenset({"getenv", "get", "environ"})


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboundCall:
    """One call to an outside service, found in the handler or a helper it calls."""

    kind: str  # "http" | "smtp" | "s3"
    client: str  # the library: "httpx" | "requests" | "aiohttp" | "smtplib" | "boto3"
    via: str  # dotted name of the function that makes the call
    file: str
    line: int
    settings: tuple[str, ...] = ()  # names the address is read from (http: the URL; smtp: the host)
    port_settings: tuple[str, ...] = ()  # smtp: names the port is read from
    hosts: tuple[str, ...] = ()  # http: hosts of URLs written in the code itself
    json_keys: tuple[tuple[str, ...], ...] = ()  # http: key paths read from the response JSON ("" = any key)
    method: str = ""  # http: the verb the code sends ("POST"), "" when it names none (`request`, a session)
    bucket_settings: tuple[str, ...] = ()  # s3: names the bucket is read from
    buckets: tuple[str, ...] = ()  # s3: bucket names written in the code itself
    key_prefix: str = ""  # s3: the fixed start of the object key the code writes ("exports/")
    to_caller: bool = False  # smtp: the mail goes to the caller's own address
    subject: bool = False  # smtp: the code sets a Subject header
    tls: bool = False  # smtp: SMTP_SSL or STARTTLS, which a plain fake server cannot answer


def outbound_calls(code: CodeFacts, handler: str) -> tuple[OutboundCall, ...]:
    """Every outside call the handler makes, in the order the code reaches them, without duplicates."""
    found: list[OutboundCall] = []
    _Walker(code, found).visit(handler, {}, (), _DEPTH)
    return tuple(dict.fromkeys(found))


def classify(qual: str, call: ast.Call) -> tuple[str, str] | None:
    """(kind, library) when `qual` (the callee, imports resolved) opens or uses an outside service."""
    module, _, name = qual.rpartition(".")
    if module == "httpx" and (name in _HTTP_VERBS or name in ("Client", "AsyncClient")):
        return "http", "httpx"
    if module == "requests" and (name in _HTTP_VERBS or name in ("Session", "session")):
        return "http", "requests"
    if qual in ("aiohttp.ClientSession", "aiohttp.request"):
        return "http", "aiohttp"
    if qual in ("smtplib.SMTP", "smtplib.SMTP_SSL"):
        return "smtp", "smtplib"
    if qual in ("boto3.client", "boto3.resource") or qual.endswith(".Session.client"):
        service = _arg(call, 0, "service_name")
        if isinstance(service, ast.Constant) and service.value == "s3":
            return "s3", "boto3"
    return None


class _Scope:
    """One function of the app: its module's names, its own imports and simple local assignments."""

    def __init__(self, facts: ModuleFacts, tree: ast.Module, node: ast.FunctionDef | ast.AsyncFunctionDef,
                 qual: str, bindings: dict[str, ast.expr]) -> None:
        self.facts, self.tree, self.node, self.qual, self.bindings = facts, tree, node, qual, bindings
        self.imports = {alias: target for alias, target in facts.imports if alias != "*"}
        fn = facts.function(qual.removeprefix(facts.module + "."))
        self.imports.update({alias: target for alias, target in (fn.imports if fn else ())})
        self.locals: dict[str, ast.expr] = {}
        for sub in own_nodes(node):
            if isinstance(sub, ast.Assign) and len(sub.targets) == 1 and isinstance(sub.targets[0], ast.Name):
                self.locals.setdefault(sub.targets[0].id, sub.value)
            elif isinstance(sub, (ast.With, ast.AsyncWith)):
                for item in sub.items:
                    if isinstance(item.optional_vars, ast.Name):
                        self.locals.setdefault(item.optional_vars.id, item.context_expr)

    def resolve(self, dotted_name: str) -> str:
        """`pricing.convert_cents` -> `app.core.pricing.convert_cents`; unknown heads stay as they are."""
        head, _, rest = dotted_name.partition(".")
        if head in self.imports:
            return self.imports[head] + ("." + rest if rest else "")
        if self.facts.function(head) is not None or self.facts.cls(head) is not None:
            return f"{self.facts.module}.{dotted_name}"
        return dotted_name

    def value(self, node: ast.expr, depth: int = 3) -> ast.expr:
        """What a plain name stands for: the caller's argument for a parameter, a local assignment."""
        while depth and isinstance(node, ast.Name):
            if node.id in self.bindings:
                node = self.bindings[node.id]
            elif node.id in self.locals:
                node = self.locals[node.id]
            else:
                break
            depth -= 1
        return node

    def module_value(self, name: str) -> ast.expr | None:
        """The value of a module-level `name = ...` (a client built at import time)."""
        for stmt in self.tree.body:
            if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in stmt.targets):
                return stmt.value
        return None


class _Walker:
    def __init__(self, code: CodeFacts, found: list[OutboundCall]) -> None:
        self.code, self.found = code, found
        self.seen: set[str] = set()

    def visit(self, qual: str, bindings: dict[str, ast.expr], path: tuple[_Scope, ...], depth: int) -> None:
        scope = self._scope(qual, bindings)
        if scope is None or qual in self.seen:
            return
        self.seen.add(qual)
        path = (*path, scope)
        bound = {id(v) for v in scope.locals.values()}  # clients kept in a name: their requests are the calls
        for call in _calls(scope.node):
            name = _dotted(call.func)
            if name is None:
                continue
            target = scope.resolve(name)
            kind = classify(target, call)
            if kind is not None and kind[0] == "http" and id(call) in bound and _is_client(target):
                continue
            client = self._client_of(name, scope)
            if kind is None and client is not None:  # `client.get(...)` on a client made here or at import
                kind = classify(scope.resolve(_dotted(client.func) or ""), client)
                self.found.append(_describe(kind, call, scope, path, made_by=client))
            elif kind is not None:
                self.found.append(_describe(kind, call, scope, path))
            elif depth > 0 and self.code.locate(target) is not None:
                self.visit(target, _bind(self.code, target, call, scope), path, depth - 1)
        self.seen.discard(qual)  # another handler path may reach it again with other arguments

    def _client_of(self, name: str, scope: _Scope) -> ast.Call | None:
        """The HTTP client constructor behind `client.get` (a local, a `with` target, a module name)."""
        head, _, method = name.rpartition(".")
        if not head or "." in head or method not in _HTTP_VERBS:
            return None
        made = scope.value(ast.Name(id=head))
        made = made if not isinstance(made, ast.Name) else scope.module_value(head)
        if isinstance(made, ast.Call) and _is_client(scope.resolve(_dotted(made.func) or "")):
            return made
        return None

    def _scope(self, qual: str, bindings: dict[str, ast.expr]) -> _Scope | None:
        found = self.code.locate(qual)
        if found is None:
            return None
        facts, fn = found
        tree = self.code.tree(facts.module)
        node = _function_node(tree, fn.line, fn.qualname.rsplit(".", 1)[-1]) if tree is not None else None
        return _Scope(facts, tree, node, qual, bindings) if node is not None else None


def _describe(kind: tuple[str, str], call: ast.Call, scope: _Scope, path: tuple[_Scope, ...], *,
              made_by: ast.Call | None = None) -> OutboundCall:
    """The call's details; `made_by` is the constructor of the client `call` is a request of."""
    service, client = kind
    base = dict(kind=service, client=client, via=scope.qual, file=scope.facts.path, line=call.lineno)
    if service == "smtp":
        host, port = _arg(call, 0, "host"), _arg(call, 1, "port")
        tls = (_dotted(call.func) or "").endswith("SMTP_SSL") or \
            any((_dotted(c.func) or "").endswith(".starttls") for s in path for c in _calls(s.node))
        to = next((v for s in path for v in _header_values(s, "To")), None)
        return OutboundCall(**base, settings=_settings(host, scope), port_settings=_settings(port, scope),
                            to_caller=to is not None and bool(_CALLER_ADDRESS.match(ast.unparse(to))),
                            subject=any(True for s in path for _ in _header_values(s, "Subject")), tls=tls)
    urls = [_arg(call, 0, "url")] + [v for c in (call, made_by) if c is not None for k, v in _keywords(c)
                                      if k in ("base_url", "endpoint_url")]
    settings = tuple(dict.fromkeys(n for u in urls for n in _settings(u, scope)))
    hosts = tuple(dict.fromkeys(h for u in urls for h in _url_hosts(u, scope) if h))
    if service == "s3":
        return _s3_call(OutboundCall(**base, settings=settings), scope)
    verb = (_dotted(call.func) or "").rsplit(".", 1)[-1]
    return OutboundCall(**base, settings=settings, hosts=hosts, json_keys=_json_keys(scope),
                        method=verb.upper() if verb in _HTTP_VERBS - {"request", "stream"} else "")


def _s3_call(found: OutboundCall, scope: _Scope) -> OutboundCall:
    """The bucket and key of the S3 writes in the function that made the client: `put_object(Bucket=,
    Key=)`, `upload_file(path, bucket, key)`, `upload_fileobj(f, bucket, key)`, `resource.Bucket(name)`."""
    buckets: list[ast.expr] = []
    keys: list[ast.expr] = []
    for call in _calls(scope.node):
        method = call.func.attr if isinstance(call.func, ast.Attribute) else ""
        at = 1 if method in ("upload_file", "upload_fileobj") else None
        bucket = _arg(call, 0, "Bucket") if method == "Bucket" else \
            _arg(call, at, "Bucket") if at is not None else next((v for k, v in _keywords(call) if k == "Bucket"), None)
        key = _arg(call, at + 1, "Key") if at is not None else next((v for k, v in _keywords(call) if k == "Key"), None)
        buckets += [bucket] if bucket is not None else []
        keys += [key] if key is not None and method != "Bucket" else []
    names = tuple(dict.fromkeys(n for b in buckets for n in _settings(b, scope)))
    literal = tuple(dict.fromkeys(t for b in buckets if (t := _const_str(scope.value(b)))))
    prefix = _fixed_start(keys[0], scope) if keys else ""
    return replace(found, bucket_settings=names, buckets=literal, key_prefix=prefix)


def _fixed_start(node: ast.expr, scope: _Scope) -> str:
    """The text a string expression always starts with: all of a literal, the head of an f-string."""
    node = scope.value(node)
    if isinstance(node, ast.JoinedStr):
        node = node.values[0] if node.values else None
    return _const_str(node) or ""


def _settings(node: ast.expr | None, scope: _Scope) -> tuple[str, ...]:
    """Settings names an expression reads: `settings.X`, `config["X"]`, `os.getenv("X")`, also inside
    f-strings and through locals and the caller's arguments."""
    names: list[str] = []
    for sub in _expanded(node, scope):
        if isinstance(sub, ast.Attribute) and _is_setting(sub.attr):
            names.append(sub.attr)
        elif isinstance(sub, ast.Subscript) and _is_setting(_const_str(sub.slice)):
            names.append(_const_str(sub.slice) or "")
        elif isinstance(sub, ast.Call) and isinstance(sub.func, (ast.Attribute, ast.Name)) and \
                (_dotted(sub.func) or "").rsplit(".", 1)[-1] in _ENV_READERS and sub.args:
            if _is_setting(_const_str(sub.args[0])):
                names.append(_const_str(sub.args[0]) or "")
    return tuple(dict.fromkeys(names))


def _url_hosts(node: ast.expr | None, scope: _Scope) -> Iterator[str]:
    for sub in _expanded(node, scope):
        text = _const_str(sub)
        if text and "://" in text:
            yield urlsplit(text.strip()).hostname or ""


def _expanded(node: ast.AST | None, scope: _Scope, depth: int = 8) -> Iterator[ast.AST]:
    """Every node of `node`, with plain names replaced by what they stand for."""
    if node is None:
        return
    node = scope.value(node) if isinstance(node, ast.Name) else node
    yield node
    if depth:
        for child in ast.iter_child_nodes(node):
            yield from _expanded(child, scope, depth - 1)


def _json_keys(scope: _Scope) -> tuple[tuple[str, ...], ...]:
    """Key paths the function reads from a response's JSON: `response.json()["result"]`,
    `data = r.json(); data["rates"][code]` (a path ending in "" is a mapping read with a key the code
    computes), `data.get("x")`."""
    holders = {name for name, value in scope.locals.items() if _is_json_call(value)}
    paths: list[tuple[str, ...]] = []
    for sub in own_nodes(scope.node):
        keys: list[str] = []
        node = sub
        while True:
            if isinstance(node, ast.Subscript):
                keys.append(_const_str(node.slice) or "")
                node = node.value
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get" \
                    and node.args and node is sub:
                keys.append(_const_str(node.args[0]) or "")
                node = node.func.value
            else:
                break
        if keys and ((isinstance(node, ast.Name) and node.id in holders) or _is_json_call(node)):
            path = list(reversed(keys))
            cut = path.index("") + 1 if "" in path else len(path)
            paths.append(tuple(path[:cut]))
    paths = [p for p in dict.fromkeys(paths) if p and p[0]]
    # `data["rates"][code]` is also a read of `data["rates"]`: keep the whole reads only
    return tuple(p for p in paths if not any(len(q) > len(p) and q[:len(p)] == p for q in paths))


def _header_values(scope: _Scope, header: str) -> Iterator[ast.expr]:
    """`message["To"] = ...` in the function, and the `to_addrs` of `sendmail`/`send_message` for "To"."""
    for sub in own_nodes(scope.node):
        if isinstance(sub, ast.Assign) and any(isinstance(t, ast.Subscript) and _const_str(t.slice) == header
                                               for t in sub.targets):
            yield scope.value(sub.value)
        elif header == "To" and isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute):
            if sub.func.attr == "sendmail":
                to = _arg(sub, 1, "to_addrs")
            elif sub.func.attr == "send_message":
                to = _arg(sub, 2, "to_addrs")
            else:
                continue
            if to is not None:
                yield scope.value(to)


def _bind(code: CodeFacts, target: str, call: ast.Call, scope: _Scope) -> dict[str, ast.expr]:
    """The helper's parameters -> the caller's arguments (followed through the caller's own names)."""
    fn = code.function(target)
    if fn is None:
        return {}
    params = [p[0] for p in fn.params if p[1] in ("pos", "kwonly")]
    if params and params[0] in ("self", "cls"):
        params = params[1:]
    out = {name: scope.value(a) for name, a in zip(params, call.args) if not isinstance(a, ast.Starred)}
    out.update({k.arg: scope.value(k.value) for k in call.keywords if k.arg in params})
    return out


def _function_node(tree: ast.Module, line: int, name: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The `def` at `line`, looked for among statements only (a def is never inside an expression)."""
    stack: list[ast.stmt] = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.lineno == line and node.name == name:
            return node
        if node.lineno <= line <= (node.end_lineno or node.lineno):
            for field in ("body", "orelse", "finalbody", "handlers"):
                stack.extend(x for x in getattr(node, field, ()) if isinstance(x, (ast.stmt, ast.excepthandler)))
    return None


def own_nodes(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.AST]:
    """The nodes of a function's body in source order, without those of the functions, lambdas and
    classes defined inside it (their code runs at another time)."""
    out: list[ast.AST] = []
    todo: list[ast.AST] = list(reversed(fn.body))
    while todo:
        node = todo.pop()
        out.append(node)
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            todo.extend(reversed(list(ast.iter_child_nodes(node))))
    return out


def _calls(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.Call]:
    return sorted((n for n in own_nodes(fn) if isinstance(n, ast.Call)), key=lambda c: (c.lineno, c.col_offset))


def _is_json_call(node: ast.AST | None) -> bool:
    if isinstance(node, ast.Await):
        node = node.value
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "json" \
        and not node.args


def _arg(call: ast.Call, index: int, keyword: str) -> ast.expr | None:
    for k in call.keywords:
        if k.arg == keyword:
            return k.value
    if len(call.args) > index and not any(isinstance(a, ast.Starred) for a in call.args[:index + 1]):
        return call.args[index]
    return None


def _is_client(qual: str) -> bool:
    return qual in ("httpx.Client", "httpx.AsyncClient", "requests.Session", "requests.session",
                    "aiohttp.ClientSession")


def _keywords(call: ast.Call) -> list[tuple[str | None, ast.expr]]:
    return [(k.arg, k.value) for k in call.keywords]


def _dotted(node: ast.AST) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return ".".join([node.id, *reversed(parts)])
    return None


def _const_str(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _is_setting(name: str | None) -> bool:
    return bool(name) and name.isupper() and name.replace("_", "").isalnum() and not name.startswith("_")

