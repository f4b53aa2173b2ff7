"""convert.py: the one place model positions (1-based lines, code-point columns) become LSP ones."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types
from pygls.workspace import TextDocument
from pygls.workspace.position_codec import PositionCodec
from seamline.core.model import Endpoint, Finding, Span
from seamline.lsp import convert

SOURCE = 'x = "😀😀"; y = 1\n\n@app.get("/é")\ndef 𝒉andler(): pass\n'


def doc(encoding: types.PositionEncodingKind = types.PositionEncodingKind.Utf16) -> TextDocument:
    return TextDocument("file:///w/app.py", SOURCE, position_codec=PositionCodec(encoding))


def test_span_after_astral_characters_counts_utf16_units():
    # "y" is code point 10 on line 1; each emoji is two UTF-16 units, so the client sees 12.
    r = convert.span_range(doc(), Span(line=1, col=10, end_line=1, end_col=11))
    assert (r.start.line, r.start.character, r.end.character) == (0, 12, 13)


def test_the_negotiated_encoding_is_honoured():
    r = convert.span_range(doc(types.PositionEncodingKind.Utf32), Span(line=1, col=10, end_line=1, end_col=11))
    assert r.start.character == 10
    r8 = convert.span_range(doc(types.PositionEncodingKind.Utf8), Span(line=1, col=10, end_line=1, end_col=11))
    assert r8.start.character == 16  # 'x = "' + two 4-byte emoji + '"; '


def test_client_positions_map_back_to_code_points():
    assert convert.model_position(doc(), types.Position(line=0, character=12)) == (1, 10)


def test_def_line_range_covers_the_def_with_an_astral_name():
    e = Endpoint(method="GET", path="/é", framework="fastapi", handler="app.𝒉andler", file="app.py", line=4,
                 span=Span(line=4, col=0, end_line=4, end_col=20), decorator_lines=(3,))
    r = convert.def_line_range(doc(), e)
    assert (r.start.line, r.start.character, r.end.line, r.end.character) == (3, 0, 3, len("def 𝒉andler(): pass") + 1)


def test_finding_and_out_of_range_lines_never_raise():
    d = convert.finding_diagnostic(doc(), Finding(code="syntax-error", message="bad", file="app.py", line=99))
    assert d.code == "syntax-error" and d.range.start.line >= 4
    r = convert.span_range(doc(), Span(line=50, col=3, end_line=51, end_col=0))
    assert r.start.line >= 4


def test_uris_round_trip(tmp_path: Path):
    uri = convert.uri_for(tmp_path, "app/api/items.py")
    assert convert.rel_path(tmp_path.resolve(), uri) == "app/api/items.py"
    assert convert.rel_path(tmp_path.resolve(), "file:///elsewhere/x.py") is None


def test_whole_document_range_ends_after_the_last_line():
    r = convert.whole_document_range(doc())
    assert (r.end.line, r.end.character) == (4, 0)
