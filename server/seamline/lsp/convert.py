"""The LSP boundary: model values <-> lsprotocol types.

This is the only module that shifts position bases. The model counts lines from 1 and columns in
code points (`Span`); LSP counts lines from 0 and columns in the negotiated encoding (UTF-16 unless
the client chose otherwise). Every conversion goes through the document's `PositionCodec`, so a
line with an emoji before a symbol still lands on the symbol.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.uris import from_fs_path, to_fs_path
from pygls.workspace import TextDocument

from ..core.model import Endpoint, Finding, Span

SOURCE = "seamline"
_SEVERITY = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "info": types.DiagnosticSeverity.Information,
}


# --- paths and URIs -----------------------------------------------------------------------------


def uri_for(root: Path, rel: str) -> str:
    return from_fs_path(str(root / rel)) or ""


def rel_path(root: Path, uri: str) -> str | None:
    """The POSIX path of `uri` relative to `root` (the model's `file`), or None when outside it."""
    fs = to_fs_path(uri)
    if fs is None:
        return None
    try:
        return Path(fs).resolve().relative_to(root).as_posix()
    except ValueError:
        return None


# --- positions ----------------------------------------------------------------------------------


def _client_position(doc: TextDocument, line0: int, col: int) -> types.Position:
    lines = doc.lines
    if line0 >= len(lines):  # the model is ahead of (or behind) the buffer: clamp, never raise
        return types.Position(line=max(len(lines), 0), character=0)
    col = min(col, len(lines[line0].rstrip("\r\n")))
    return doc.position_codec.position_to_client_units(lines, types.Position(line=line0, character=col))


def span_range(doc: TextDocument, span: Span) -> types.Range:
    return types.Range(start=_client_position(doc, span.line - 1, span.col),
                       end=_client_position(doc, span.end_line - 1, span.end_col))


def line_range(doc: TextDocument, line: int) -> types.Range:
    """The text of 1-based `line` without its indentation (the whole line when blank)."""
    line0 = max(line - 1, 0)
    text = doc.lines[line0].rstrip("\r\n") if line0 < len(doc.lines) else ""
    start = len(text) - len(text.lstrip())
    return types.Range(start=_client_position(doc, line0, start), end=_client_position(doc, line0, len(text)))


def def_line_range(doc: TextDocument, endpoint: Endpoint) -> types.Range:
    """The handler's `def`/`class` line, from the def's first column to the end of that line."""
    if endpoint.span is None:
        return line_range(doc, endpoint.line)
    line0 = endpoint.span.line - 1
    end = len(doc.lines[line0].rstrip("\r\n")) if line0 < len(doc.lines) else 0
    return types.Range(start=_client_position(doc, line0, endpoint.span.col), end=_client_position(doc, line0, end))


def model_position(doc: TextDocument, position: types.Position) -> tuple[int, int]:
    """A client position as (1-based line, code-point column)."""
    server = doc.position_codec.position_from_client_units(doc.lines, position)
    return server.line + 1, server.character


def whole_document_range(doc: TextDocument) -> types.Range:
    lines = doc.lines
    if not lines:
        return types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=0))
    last = len(lines) - 1
    if lines[last].endswith("\n"):
        end = types.Position(line=len(lines), character=0)
    else:
        end = _client_position(doc, last, len(lines[last]))
    return types.Range(start=types.Position(line=0, character=0), end=end)


# --- model -> LSP -------------------------------------------------------------------------------


def finding_diagnostic(doc: TextDocument, finding: Finding) -> types.Diagnostic:
    return types.Diagnostic(range=line_range(doc, finding.line or 1), message=finding.message, source=SOURCE,
                            code=finding.code,
                            severity=_SEVERITY.get(finding.severity, types.DiagnosticSeverity.Warning))


def endpoint_item(root: Path, endpoint: Endpoint, test_status: str) -> dict[str, Any]:
    """One entry of `seamline.listEndpoints` / `seamline/projectModel`. `line` is 1-based, as in the
    scan JSON; editors subtract one."""
    return {
        "key": endpoint.key, "method": endpoint.method, "path": endpoint.path, "handler": endpoint.handler,
        "file": uri_for(root, endpoint.file), "line": endpoint.line, "app": endpoint.app,
        "framework": endpoint.framework, "testStatus": test_status,
    }
