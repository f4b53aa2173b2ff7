"""Image version hints outside compose files: `FROM postgres:16` in a Dockerfile, CI service
containers (`.github/workflows/*.yml` `services: postgres: image: postgres:14`, `.gitlab-ci.yml`
`services: [postgres:14]`). The analysis already reads compose files (Service.version); these
are read here, at generation time, because only the compose generator uses them.

Reading is cheap and bounded: a few well-known paths plus Dockerfiles at most two folders deep.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..analyze.compose_files import split_image
from ..analyze.discover import DEFAULT_SKIP_DIRS
from ..analyze.services import IMAGE_KINDS

log = logging.getLogger(__name__)

_FROM = re.compile(r"^\s*FROM\s+(?:--\S+\s+)*(\S+)", re.IGNORECASE)
_DOCKERFILE = re.compile(r"^(Dockerfile([._-][\w.-]*)?|[\w.-]+\.Dockerfile|Containerfile)$", re.IGNORECASE)
_MAX_DEPTH = 2


@dataclass(frozen=True, slots=True, kw_only=True)
class VersionHint:
    kind: str  # the Service kind the image stands for ("postgres", "mysql" ...)
    image: str  # repository without tag ("postgres", "mariadb")
    tag: str
    file: str  # relative to the workspace root
    line: int
    source: str  # "dockerfile" | "github-actions" | "gitlab-ci"

    @property
    def ref(self) -> str:
        return f"{self.image}:{self.tag}"


def image_kind(image: str) -> str | None:
    """`docker.io/library/postgres` -> "postgres"; None for images that are no backing service."""
    return IMAGE_KINDS.get(image.rsplit("/", 1)[-1].lower())


def version_hints(root: Path) -> list[VersionHint]:
    """Every tagged backing-service image named by the workspace's Dockerfiles and CI config,
    in file order (GitHub workflows, GitLab CI, then Dockerfiles)."""
    root = Path(root)
    out: list[VersionHint] = []
    workflows = root / ".github" / "workflows"
    if workflows.is_dir():
        for path in sorted(workflows.iterdir()):
            if path.suffix in (".yml", ".yaml"):
                out += _from_ci(root, path, "github-actions")
    gitlab = root / ".gitlab-ci.yml"
    if gitlab.is_file():
        out += _from_ci(root, gitlab, "gitlab-ci")
    for path in _dockerfiles(root):
        out += _from_dockerfile(root, path)
    return out


def _dockerfiles(root: Path, depth: int = 0) -> Iterator[Path]:
    try:
        entries = sorted(root.iterdir())
    except OSError as e:
        log.debug("cannot list %s: %s", root, e)
        return
    for p in entries:
        if p.is_file() and _DOCKERFILE.match(p.name):
            yield p
        elif p.is_dir() and depth < _MAX_DEPTH and p.name not in DEFAULT_SKIP_DIRS and not p.name.startswith("."):
            yield from _dockerfiles(p, depth + 1)


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        log.info("version hints: cannot read %s (%s); skipped", path, e)
        return None


def _hint(root: Path, path: Path, ref: str, line: int, source: str) -> VersionHint | None:
    image, tag = split_image(ref)
    kind = image_kind(image)
    if kind is None or tag is None:
        return None
    return VersionHint(kind=kind, image=image.rsplit("/", 1)[-1].lower(), tag=tag,
                       file=path.relative_to(root).as_posix(), line=line, source=source)


def _from_dockerfile(root: Path, path: Path) -> list[VersionHint]:
    text = _read(path)
    if text is None:
        return []
    out = []
    for n, raw in enumerate(text.splitlines(), 1):
        m = _FROM.match(raw)
        hint = _hint(root, path, m.group(1), n, "dockerfile") if m else None
        if hint:
            out.append(hint)
    return out


def _from_ci(root: Path, path: Path, source: str) -> list[VersionHint]:
    """Service containers of CI jobs. The YAML node tree gives each image's line."""
    text = _read(path)
    if text is None:
        return []
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as e:
        log.info("version hints: %s is not valid YAML (%s); skipped", path, str(e).splitlines()[0])
        return []
    out = []
    for value, line in _service_images(node):
        hint = _hint(root, path, value, line, source)
        if hint:
            out.append(hint)
    return out


def _service_images(node: Any) -> Iterator[tuple[str, int]]:
    """(image ref, line) for every entry under a `services:` key anywhere in the document:
    GitHub's `services: {name: {image: ref}}` / `{name: ref}`, GitLab's `services: [ref, {name: ref}]`."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if getattr(key, "value", None) == "services":
                yield from _entries(value)
            else:
                yield from _service_images(value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _service_images(item)


def _entries(node: Any) -> Iterator[tuple[str, int]]:
    items = [v for _k, v in node.value] if isinstance(node, yaml.MappingNode) else \
        node.value if isinstance(node, yaml.SequenceNode) else []
    for item in items:
        if isinstance(item, yaml.ScalarNode) and item.value:
            yield str(item.value), item.start_mark.line + 1
        elif isinstance(item, yaml.MappingNode):
            fields = {getattr(k, "value", None): v for k, v in item.value}
            ref = fields.get("image") or fields.get("name")
            if isinstance(ref, yaml.ScalarNode) and ref.value:
                yield str(ref.value), ref.start_mark.line + 1
