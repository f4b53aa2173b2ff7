"""What a framework linker gets to see of one app, and what it gives back."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..config import AppConfig
from ..model import Endpoint, Finding, OrmModel, Schema, TokenSource
from .facts import ModuleFacts
from .jedi_infer import JediInfer
from .resolve import Resolver


@dataclass
class AppContext:
    root: Path  # workspace root (absolute)
    app: str  # app folder relative to the root, "." for the root
    resolver: Resolver
    config: AppConfig
    findings: list[Finding] = field(default_factory=list)
    # every app root of the workspace, and each app's non-Python project files (requirements,
    # lock, .env, compose; see project_files.file_role), for analyses that read beyond .py files
    app_roots: tuple[str, ...] = ()
    other_files: dict[str, list[str]] = field(default_factory=dict)
    # per-app results analyses share (e.g. the ORM models effects_of looks up), keyed by
    # "<module>.<what>"; lives and dies with this context, so no module-level caches
    memo: dict[str, object] = field(default_factory=dict, repr=False)
    # state that outlives one scan, owned by the Index (jedi's answers, keyed by file content)
    lasting: dict[str, object] = field(default_factory=dict, repr=False)

    def jedi(self) -> JediInfer:
        """The app's jedi helper, created on first use (most scans never need it)."""
        found = self.lasting.get("jedi")
        if not isinstance(found, JediInfer):
            found = JediInfer(self.app_dir)
            self.lasting["jedi"] = found
        if not self.memo.get("jedi-round"):
            found.begin_round()
            self.memo["jedi-round"] = True
        return found

    @property
    def app_dir(self) -> Path:
        return self.root if self.app == "." else self.root / self.app

    def modules(self) -> list[ModuleFacts]:
        return list(self.resolver.iter_modules())

    def imports_any(self, prefixes: tuple[str, ...]) -> bool:
        """True when some module imports a package starting with one of `prefixes`."""
        for m in self.resolver.iter_modules():
            for _alias, target in m.imports:
                if target.startswith(prefixes):
                    return True
            for f in m.functions:
                for _alias, target in f.imports:
                    if target.startswith(prefixes):
                        return True
        return False

    def finding(self, code: str, message: str, *, file: str = "", line: int = 0, severity: str = "warning") -> None:
        self.findings.append(Finding(code=code, message=message, severity=severity, file=file, line=line,
                                     app=self.app))


@dataclass
class LinkResult:
    endpoints: list[Endpoint] = field(default_factory=list)
    schemas: list[Schema] = field(default_factory=list)
    models: list[OrmModel] = field(default_factory=list)
    token_sources: list[TokenSource] = field(default_factory=list)
    entry: str | None = None  # "module:attr" of the app object / factory, or the Django settings module
