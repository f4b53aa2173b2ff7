"""Which version of an endpoint a generated test was written for.

A generated test module names each endpoint it tests in its header, with a fingerprint of the
endpoint's signature at generation time:

    # seamline: endpoint POST /api/v1/items/ app.api.routes.items.create_item sig=3f9a0c1b2d4e

The signature is what the generated requests and assertions depend on: method, path, parameters
(name, location, type, required, constraints), the request body's schema (fields, recursively through
nested schemas), the declared status code and the auth requirements. Where the code lives (file,
line), names and response shapes are left out, so moving a handler or reformatting it changes nothing.
The editor compares the recorded fingerprint with the current one to say a test is out of date; the
handler name lets it follow an endpoint whose path changed.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..model import Endpoint, Project, Schema

PREFIX = "# seamline: endpoint "
_MARK = re.compile(r"^# seamline: endpoint (?P<method>[A-Z]+) (?P<path>/\S*) (?P<handler>\S+) "
                   r"sig=(?P<sig>[0-9a-f]{12})[ \t]*\r?$", re.MULTILINE)


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordedFingerprint:
    """One `# seamline: endpoint ...` line of a generated test file: the fingerprint it was made for."""

    method: str
    path: str
    handler: str
    sig: str
    line: int  # 1-based line of the marker in its file

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"


def _schema(name: str | None, schemas: Mapping[str, Schema], seen: frozenset[str] = frozenset()) -> Any:
    if name is None:
        return None
    schema = schemas.get(name)
    if schema is None or name in seen:
        return name  # unknown (or recursive): only its name counts
    inner = seen | {name}
    return [name, [[f.name, f.type, f.required, f.read_only, f.write_only, list(map(list, f.constraints)),
                    list(f.enum), f.many, _schema(f.nested, schemas, inner)] for f in schema.fields]]


def signature(endpoint: Endpoint, schemas: Mapping[str, Schema]) -> dict[str, Any]:
    """The parts of an endpoint its generated tests depend on, as plain JSON."""
    return {
        "method": endpoint.method,
        "path": endpoint.path,
        "params": sorted([p.name, p.location, p.type, p.required, list(map(list, p.constraints))]
                         for p in endpoint.params),
        "body": _schema(endpoint.request_schema, schemas),
        "status": endpoint.status_code,
        "auth": sorted([a.kind, list(a.scopes)] for a in endpoint.auth),
    }


def fingerprint(endpoint: Endpoint, schemas: Mapping[str, Schema]) -> str:
    text = json.dumps(signature(endpoint, schemas), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def fingerprints(project: Project) -> dict[Endpoint, str]:
    schemas = {s.name: s for s in project.schemas}
    return {e: fingerprint(e, schemas) for e in project.endpoints}


def marker(endpoint: Endpoint, sig: str) -> str:
    return f"{PREFIX}{endpoint.key} {endpoint.handler} sig={sig}"


def endpoint_markers(project: Project, *, app: str = ".") -> dict[str, str]:
    """Endpoint key -> its marker line, for the endpoints of `app`. Built once per generation and
    shared by every module's `stamp_fingerprints` (the schema map is built here, once)."""
    schemas = {s.name: s for s in project.schemas}
    return {e.key: marker(e, fingerprint(e, schemas)) for e in project.endpoints if e.app == app}


def stamp_fingerprints(content: str, markers: Mapping[str, str], keys: Iterable[str]) -> str:
    """`content` (a generated module, header first) with the marker line (from `markers`) of each
    endpoint of `keys` added at the end of its leading comment block."""
    lines = [markers[k] + "\n" for k in dict.fromkeys(keys) if k in markers]
    if not lines:
        return content
    head = content.splitlines(keepends=True)
    at = 0
    while at < len(head) and head[at].startswith("#"):
        at += 1
    return "".join(head[:at] + lines + head[at:])


def read_fingerprints(text: str) -> list[RecordedFingerprint]:
    """The fingerprints a test file records (its `# seamline: endpoint` lines), in order."""
    out = []
    line, seen = 1, 0
    for m in _MARK.finditer(text):
        line, seen = line + text.count("\n", seen, m.start()), m.start()  # counted on from the last marker
        out.append(RecordedFingerprint(method=m["method"], path=m["path"], handler=m["handler"], sig=m["sig"],
                                       line=line))
    return out
