"""Field values the generator writes: fields whose name says they hold a link get URLs as valid
values (an app often checks them as URLs where the column is plain text); what counts as an invalid
value still follows the declared type."""

from __future__ import annotations

from seamline.core.generate.tests.values import invalid_payloads, seed_expr, valid_value
from seamline.core.model import Schema, SchemaField


def test_link_named_text_fields_get_urls_others_do_not():
    assert valid_value("image", "str") == "https://example.com/image"
    assert valid_value("avatar_url", "String", n=3) == "https://example.com/avatar_url3"
    assert not str(valid_value("title", "str")).startswith("https://")
    assert not str(valid_value("imagery", "str")).startswith("https://")
    # too short a column for a URL: left as plain text
    assert not str(valid_value("image", "str", (("max_length", "20"),))).startswith("https://")
    assert seed_expr(SchemaField(name="image", type="String")) == 'f"https://example.com/image/{n}"'
    assert seed_expr(SchemaField(name="bio", type="String")).startswith('f"Sample')


def test_a_plain_text_link_field_is_not_sent_a_malformed_url_as_invalid():
    schema = Schema(name="UserIn", kind="pydantic", fields=(SchemaField(name="image", type="str"),))
    cases = dict(invalid_payloads(schema, {"image": valid_value("image", "str")}))
    assert all(body.get("image") != "not a url" for body in cases.values()), cases
