"""The workspace's compose test environment: which file it lives in, what regenerating it would do,
and which kinds of service it provides. Shared by `seamline gen compose`/`seamline env` and the
language server, so both front doors make the same decisions."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..errors import SeamlineError
from ..model import Project
from .compose import (
    INIT_SQL_DIR,
    KIND_LABEL,
    ComposeSpec,
    generate_compose,
    project_name,
    render_compose,
    validate_compose,
)
from .compose_hints import version_hints
from .compose_stack import StackPlan, add_app_services
from .writer import WriteResult, beside_path, plan_write

log = logging.getLogger(__name__)

COMPOSE_FILES = ("compose.test.yaml", "compose.seamline.yaml")


@dataclass(frozen=True, slots=True, kw_only=True)
class ComposePlan:
    spec: ComposeSpec
    text: str | None  # None: no service the code uses needs a container
    result: WriteResult | None  # what writing `text` would do (nothing is written here)


def plan_compose(project: Project, root: Path, *, output: str = COMPOSE_FILES[0],
                 images: Mapping[str, str] | None = None, stub_http: bool = False,
                 regenerate: str = "seamline gen compose", force: bool = False,
                 stack: StackPlan | None = None) -> ComposePlan:
    """`stack`: full-stack mode (the app and its worker as services too, see compose_stack.py).
    Image versions follow the project's Dockerfiles and CI config; `.seamline/init/*.sql` seeds databases."""
    seeded = any((root / INIT_SQL_DIR).glob("*.sql"))
    spec = generate_compose(project.services, project_name=project_name(root), images=images, stub_http=stub_http,
                            hints=version_hints(root), init_sql=INIT_SQL_DIR if seeded else None)
    if stack is not None:
        spec = add_app_services(spec, stack)
    if not spec.document["services"]:
        return ComposePlan(spec=spec, text=None, result=None)
    problems = validate_compose(spec.document)
    if problems:  # our own output is wrong: a Seamline bug, not the user's
        raise SeamlineError("the generated compose file is invalid (please report this): " + "; ".join(problems))
    text = render_compose(spec, regenerate=regenerate)
    target = root / output
    return ComposePlan(spec=spec, text=text, result=plan_write(target, text, force=force, beside=beside_path(target)))


def find_compose_files(root: Path, names: Iterable[str] = ()) -> tuple[Path, ...]:
    """The compose file(s) of the test environment: `names` when given, else the first of
    COMPOSE_FILES that carries Seamline's wiring (else the first that exists)."""
    names = tuple(names)
    if names:
        return tuple(root / n for n in names)
    present = [root / f for f in COMPOSE_FILES if (root / f).is_file()]
    ours = [f for f in present if "x-seamline" in f.read_text(encoding="utf-8", errors="replace")]
    return tuple((ours or present)[:1])


def file_service_kinds(path: Path) -> dict[str, str]:
    """`service_kinds` of the compose file at `path`."""
    return service_kinds(path.read_text(encoding="utf-8", errors="replace"))


def service_kinds(compose_text: str) -> dict[str, str]:
    """Service name -> the kind of service it provides: Seamline's kind label, else the name."""
    try:
        doc: Any = yaml.safe_load(compose_text)
    except yaml.YAMLError as e:
        log.info("compose file is not valid YAML (%s); treating it as providing nothing", e)
        return {}
    services = doc.get("services") if isinstance(doc, dict) else None
    if not isinstance(services, dict):
        return {}
    kinds = {}
    for name, body in services.items():
        labels = body.get("labels") if isinstance(body, dict) else None
        label = labels.get(KIND_LABEL) if isinstance(labels, dict) else None
        kinds[str(name)] = str(label or name)
    return kinds
