"""The images an existing docker-compose file runs (`postgres:16`, `redis:7-alpine`), with the
line of each `image:`. PyYAML's node tree gives lines; without PyYAML, or for YAML it can't
read, a line scan of `image:` entries is used instead."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

from ..model import Finding
from .project_files import read_project_file

log = logging.getLogger(__name__)

_VARIABLE = re.compile(r"\$\{[^}:-]*(?::?-([^}]*))?\}")
_IMAGE_LINE = re.compile(r"""^\s*image\s*:\s*["']?([^"'\s#]+)""")


@dataclass(frozen=True, slots=True, kw_only=True)
class ComposeImage:
    service: str  # compose service name ("" when found by the line scan)
    image: str  # repository without tag, e.g. "postgres", "bitnami/redis"
    tag: str | None  # "16", "7-alpine"; None for untagged or "latest"
    file: str
    line: int


def split_image(ref: str) -> tuple[str, str | None]:
    """`docker.io/library/postgres:16@sha256:..` -> ("docker.io/library/postgres", "16").
    Compose variables take their default (`postgres:${PG_VERSION:-16}` -> "16")."""
    ref = _VARIABLE.sub(lambda m: m.group(1) or "", ref).split("@", 1)[0]
    repo, _, tag = ref.rpartition(":") if ":" in ref.rsplit("/", 1)[-1] else (ref, "", "")
    return repo, (tag if tag and tag != "latest" and "$" not in tag else None)


def compose_images(root: Path, rel: str, findings: list[Finding]) -> list[ComposeImage]:
    text = read_project_file(root, rel, findings)
    if text is None:
        return []
    try:
        import yaml
    except ImportError:  # pragma: no cover - PyYAML is a dependency, but keep working without it
        return _scan_lines(text, rel)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as e:
        findings.append(Finding(code="invalid-compose", file=rel, severity="info",
                                message=f"{rel} is not valid YAML ({str(e).splitlines()[0]}); "
                                        "its image lines were read without parsing it."))
        return _scan_lines(text, rel)
    return _from_nodes(node, rel)


def _mapping(node: object) -> list[tuple[str, object]]:
    """(key, value node) pairs of a YAML mapping node, else []."""
    if getattr(node, "tag", "").endswith(":map"):
        return [(k.value, v) for k, v in node.value if isinstance(k.value, str)]  # type: ignore[attr-defined]
    return []


def _from_nodes(node: object, rel: str) -> list[ComposeImage]:
    out = []
    services = dict(_mapping(node)).get("services")
    for name, svc in _mapping(services):
        image = dict(_mapping(svc)).get("image")
        value = getattr(image, "value", None)
        if isinstance(value, str) and value:
            repo, tag = split_image(value)
            out.append(ComposeImage(service=name, image=repo, tag=tag, file=rel,
                                    line=image.start_mark.line + 1))  # type: ignore[union-attr]
    return out


def _scan_lines(text: str, rel: str) -> list[ComposeImage]:
    out = []
    for i, raw in enumerate(text.splitlines()):
        m = _IMAGE_LINE.match(raw)
        if m:
            repo, tag = split_image(m.group(1))
            out.append(ComposeImage(service="", image=repo, tag=tag, file=rel, line=i + 1))
    return out
