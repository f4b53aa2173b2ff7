"""Happy-path body checks: the fields a response schema declares, the constants a handler answers with,
the caller's column it echoes and a path parameter it echoes by name (never a test double's value)."""

from __future__ import annotations

import ast

import pytest
from generated import function_source as _function
from generated import generated_files, scanned_example
from seamline.core.analyze.facts import extract
from seamline.core.generate.tests.code_facts import success_body


def _handler(source: str):
    facts = extract(ast.parse(source), module="m", path="m.py", is_package=False, source=source)
    return facts.function("view")


@pytest.mark.parametrize(("source", "expected"), [
    ('def view():\n    return {"status": "ok"}\n', ({"status": ("k", "ok")}, False)),
    ('def view():\n    if x:\n        return jsonify(error="no"), 503\n    return jsonify(sent_to=u.email), 202\n',
     ({"sent_to": ("a", ("n", "u"), "email")}, False)),
    ('def view():\n    return JSONResponse({"a": 1}, status_code=201)\n', ({"a": ("k", 1)}, False)),
    ('def view():\n    return Token(access_token=t)\n', ({"access_token": ("n", "t")}, True)),
    # which of two success answers the test gets is not known; `**` hides keys; a row says nothing
    ('def view():\n    if x:\n        return {"a": 1}\n    return {"a": 2}\n', None),
    ('def view():\n    return jsonify(**d)\n', None),
    ('def view():\n    return {**d, "a": 1}\n', None),
    ("def view():\n    return item\n", None),
])
def test_success_body_reads_the_only_success_return(source, expected):
    assert success_body(_handler(source), "Token") == expected


@pytest.fixture(scope="module")
def fastapi_files(tmp_path_factory) -> dict[str, str]:
    return generated_files(*scanned_example(tmp_path_factory, "fastapi_items"))


def test_constants_and_schema_defaults_are_asserted(fastapi_files):
    health = _function(fastapi_files["tests/integration/test_health_api.py"], "test_health_returns_200")
    assert 'assert body["status"] == "ok", body' in health
    login = _function(fastapi_files["tests/integration/test_login_api.py"],
                      "test_login_access_token_returns_token_for_registered_user")
    # `Token(access_token=...)` leaves token_type to its default
    assert 'assert body["token_type"] == "bearer", body' in login
    assert 'assert set(body) >= {"access_token", "token_type"}, body' in login


def test_declared_fields_and_echoed_path_parameter_but_not_the_doubles_value(fastapi_files):
    price = _function(fastapi_files["tests/integration/test_prices_api.py"],
                      "test_read_item_price_returns_item_of_current_user")
    assert 'assert set(body) >= {"amount_cents", "currency", "item_id"}, body' in price
    assert 'assert body["item_id"] == item_id, body' in price
    assert 'body["amount_cents"] ==' not in price  # the pricing double's answer: unknown here


def test_a_listed_row_has_every_declared_field(fastapi_files):
    items = fastapi_files["tests/integration/test_items_api.py"]
    assert 'assert set(body[0]) >= {"description", "id", "owner_id", "price_cents", "title"}, body' in items


def test_the_callers_column_is_asserted(tmp_path_factory):
    files = generated_files(*scanned_example(tmp_path_factory, "flask_notes"))
    text = _function(files["tests/integration/test_notes_notes_api.py"], "test_email_note_returns_202")
    assert 'assert body["sent_to"] == user.email, body' in text
