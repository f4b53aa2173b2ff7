"""The user's own compose file and the services the code needs: drift (what the env lacks, as
findings the editor shows as diagnostics) and merging (a copy of the user's file with the missing
services added). The user's file itself is never written.

Both are pure: text and values in, text and values out.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from ... import __version__
from ..analyze.compose_files import split_image
from ..errors import UsageError
from ..model import Evidence, Finding, Service
from .compose import KIND_LABEL, ComposeSpec, container_kinds
from .compose_hints import image_kind

log = logging.getLogger(__name__)

DRIFT_CODE = "env-missing-service"
_CODE_EVIDENCE = ("code", "import", "setting", "url")  # where a diagnostic helps most: the code using it


def env_kinds(doc: Any) -> dict[str, str]:
    """Backing-service kind -> the compose service providing it, from Seamline's kind label or the
    image name (`postgres:15` -> postgres, `mariadb` -> mysql). Services built from source count as none."""
    out: dict[str, str] = {}
    services = doc.get("services") if isinstance(doc, dict) else None
    for name, body in (services or {}).items() if isinstance(services, dict) else ():
        if not isinstance(body, dict):
            continue
        labels = body.get("labels")
        kind = labels.get(KIND_LABEL) if isinstance(labels, dict) else None
        if kind is None and isinstance(body.get("image"), str):
            kind = image_kind(split_image(body["image"])[0])
        if kind:
            out.setdefault("mysql" if kind == "mariadb" else kind, str(name))
    return out


def _where(group: Iterable[Service]) -> Evidence | None:
    evidence = [e for s in group for e in s.evidence if e.file]
    code = [e for e in evidence if e.kind in _CODE_EVIDENCE and e.file.endswith(".py")]
    return (code or evidence or [None])[0]


def drift(services: Iterable[Service], compose_doc: Any, *, compose_file: str = "compose.test.yaml") -> list[Finding]:
    """Services the code uses that the compose document does not provide, one finding per kind,
    placed on the code (or file) that shows the use. Empty: the env covers the code."""
    services = list(services)
    present = env_kinds(compose_doc)
    findings = []
    for kind, group in sorted(container_kinds(services, present=present).items()):
        if kind in present:
            continue
        ev = _where(group)
        users = sorted({s.kind for s in group})
        why = f" ({ev.detail})" if ev and ev.detail else ""
        needed_by = f"{', '.join(users)} needs {kind}" if users != [kind] else f"the code uses {kind}"
        findings.append(Finding(
            code=DRIFT_CODE, severity="warning", file=ev.file if ev else "", line=ev.line if ev else 0,
            app=group[0].app if group else ".",
            message=f"{needed_by[0].upper()}{needed_by[1:]}{why} but {compose_file} has no {kind} service, so "
                    f"tests against that environment cannot reach it. Run `seamline gen compose --merge` "
                    f"(or regenerate the file) to add one."))
    return findings


# --- merging ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class MergeResult:
    text: str  # the merged copy (no hash stamp; the writer adds it)
    added: tuple[str, ...]  # service names added to the copy
    diff: str  # from the user's file to the copy: the preview shown before anything is written
    notes: tuple[str, ...] = ()


def merge_compose(user_text: str, spec: ComposeSpec, *, source: str) -> MergeResult:
    """A copy of the user's compose file (`source`, its text `user_text`) with each service of
    `spec` whose kind the file lacks appended, and the wiring of those services. The user's lines
    are kept as they are (comments too) when the file's layout allows; otherwise the copy is
    re-serialised, which loses comments (a note says so)."""
    try:
        user_doc = yaml.safe_load(user_text)
    except yaml.YAMLError as e:
        raise UsageError(f"{source} is not valid YAML ({str(e).splitlines()[0]}); fix it before merging.") from e
    if not isinstance(user_doc, dict) or not isinstance(user_doc.get("services", {}), dict):
        raise UsageError(f"{source} has no `services:` mapping; Seamline can only merge into a compose file.")
    present = env_kinds(user_doc)
    theirs = user_doc.get("services") or {}
    added: dict[str, Any] = {}
    renamed: dict[str, str] = {}
    for name, body in spec.document.get("services", {}).items():
        kind = body.get("labels", {}).get(KIND_LABEL)
        if kind and ("mysql" if kind == "mariadb" else kind) in present:
            continue
        new_name = name if name not in theirs else f"seamline-{name}"
        renamed[name] = new_name
        added[new_name] = body
    notes = [f"{source} already has {kind} (service {svc}); its settings are not wired by Seamline."
             for kind, svc in sorted(present.items())]
    if not added:
        return MergeResult(text=user_text, added=(), diff="", notes=tuple(notes))

    meta = spec.document.get("x-seamline", {})
    env = {k: {**b, "service": renamed[b["service"]]} for k, b in meta.get("env", {}).items()
           if b.get("service") in renamed}
    expected = {**user_doc, "services": {**theirs, **added}, "x-seamline": {**meta, "env": env}}
    header = (f"# Seamline {__version__}: a copy of {source} with the services the code needs added "
              f"({', '.join(added)}).\n# {source} itself is not changed. Regenerate: seamline gen compose --merge\n")
    body = _insert_services(user_text, added, {"x-seamline": expected["x-seamline"]})
    if body is None or yaml.safe_load(body) != expected:
        log.info("merging into %s by text was not exact; re-serialising the document", source)
        notes.append(f"the layout of {source} could not be kept line for line; comments are not in the copy.")
        body = _dump(expected)
    text = header + body
    diff = "".join(difflib.unified_diff(user_text.splitlines(keepends=True), text.splitlines(keepends=True),
                                        fromfile=source, tofile=f"{source} + Seamline"))
    return MergeResult(text=text, added=tuple(added), diff=diff, notes=tuple(notes))


def _dump(doc: Mapping[str, Any]) -> str:
    return yaml.safe_dump(dict(doc), sort_keys=False, default_flow_style=None, width=120, allow_unicode=True)


def _insert_services(text: str, added: dict[str, Any], tail: dict[str, Any]) -> str | None:
    """The user's text with `added` rendered at the end of its block-style `services:` mapping and
    `tail` appended as top-level keys; None when the file's layout is not one we can extend by text."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    if not isinstance(root, yaml.MappingNode) or root.flow_style:
        return None
    services = next((v for k, v in root.value if getattr(k, "value", None) == "services"), None)
    if not isinstance(services, yaml.MappingNode) or services.flow_style or not services.value:
        return None
    indent = services.value[0][0].start_mark.column
    block = "".join(" " * indent + line if line.strip() else line
                    for line in _dump(added).splitlines(keepends=True))
    lines = text.splitlines(keepends=True)
    end = services.end_mark
    at = end.line if end.column == 0 else end.line + 1  # the first line after the services block
    while at > 0 and (not lines[at - 1].strip() or lines[at - 1].startswith("#")):
        at -= 1  # before the blank lines and top-level comments that open the next section
    before = lines[:at]
    if before and not before[-1].endswith("\n"):
        before[-1] += "\n"
    after = "".join(lines[at:])
    if after and not after.endswith("\n"):
        after += "\n"
    return "".join(before) + block + after + _dump(tail)
