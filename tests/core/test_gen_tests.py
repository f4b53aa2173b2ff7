"""Test generation for FastAPI + SQLAlchemy: what is planned for the example app, and how it reads."""

from __future__ import annotations

import ast
import re

import pytest
from generated import generated_files, scanned_example
from seamline.core.analyze.scan import scan
from seamline.core.generate.tests import generate_tests, plan_tests
from seamline.core.generate.tests.code_facts import CodeFacts, raised_statuses
from seamline.core.generate.tests.values import invalid_payloads, invalid_query, payload, seed_expr
from seamline.core.model import Param, Schema, SchemaField
from workspace import write_packages


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    return scanned_example(tmp_path_factory, "fastapi_items")


@pytest.fixture(scope="module")
def files(example) -> dict[str, str]:
    return generated_files(*example)


def _tests(text: str) -> list[str]:
    return [n.name for n in ast.parse(text).body if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")]


def test_files_follow_routers_under_the_output_folder(example):
    root, project = example
    generated = generate_tests(project, root=root)
    assert [(f.path, f.endpoints) for f in generated] == [
        ("tests/integration/conftest.py", ()),
        ("tests/integration/test_health_api.py", ("GET /health",)),
        ("tests/integration/test_items_api.py", (
            "GET /api/v1/items/", "POST /api/v1/items/", "GET /api/v1/items/search", "GET /api/v1/items/{item_id}",
            "PUT /api/v1/items/{item_id}", "DELETE /api/v1/items/{item_id}")),
        ("tests/integration/test_login_api.py", ("POST /api/v1/login/access-token",)),
        ("tests/integration/test_prices_api.py", ("GET /api/v1/items/{item_id}/price",)),
        ("tests/integration/test_users_api.py", ("POST /api/v1/users/", "GET /api/v1/users/me", "GET /api/v1/users/")),
    ]


def test_items_tests_cover_happy_path_auth_ownership_validation_and_not_found(files):
    assert _tests(files["tests/integration/test_items_api.py"]) == [
        "test_list_items_includes_item_of_current_user",
        "test_list_items_without_token_returns_401",
        "test_list_items_with_invalid_token_returns_401",
        "test_list_items_with_expired_token_returns_401",
        "test_list_items_survives_edge_query_values",
        "test_list_items_rejects_invalid_query",
        "test_create_item_persists_item_for_owner",
        "test_create_item_without_token_returns_401",
        "test_create_item_with_invalid_token_returns_401",
        "test_create_item_with_expired_token_returns_401",
        "test_create_item_rejects_invalid_payload",
        "test_search_items_includes_item_of_current_user",
        "test_search_items_without_token_returns_401",
        "test_search_items_with_invalid_token_returns_401",
        "test_search_items_with_expired_token_returns_401",
        "test_search_items_survives_edge_query_values",  # q="" is the deliberate 500
        "test_read_item_returns_item_of_current_user",
        "test_read_item_without_token_returns_401",
        "test_read_item_with_invalid_token_returns_401",
        "test_read_item_with_expired_token_returns_401",
        "test_read_item_of_other_user_returns_404",
        "test_read_item_missing_returns_404",
        "test_read_item_with_non_integer_item_id_returns_422",
        "test_update_item_persists_changes",
        "test_update_item_without_token_returns_401",
        "test_update_item_with_invalid_token_returns_401",
        "test_update_item_with_expired_token_returns_401",
        "test_update_item_of_other_user_returns_404",
        "test_update_item_missing_returns_404",
        "test_update_item_rejects_invalid_payload",
        "test_update_item_with_non_integer_item_id_returns_422",
        "test_delete_item_removes_item",
        "test_delete_item_without_token_returns_401",
        "test_delete_item_with_invalid_token_returns_401",
        "test_delete_item_with_expired_token_returns_401",
        "test_delete_item_of_other_user_returns_404",
        "test_delete_item_missing_returns_404",
        "test_delete_item_with_non_integer_item_id_returns_422",
    ]


def test_users_and_login_tests_use_roles_conflicts_and_the_apps_sign_up(files):
    assert _tests(files["tests/integration/test_users_api.py"]) == [
        "test_register_user_persists_user",
        "test_register_user_rejects_invalid_payload",
        "test_register_user_with_taken_email_returns_409",
        "test_read_me_returns_current_user",
        "test_read_me_without_token_returns_401",
        "test_read_me_with_invalid_token_returns_401",
        "test_read_me_with_expired_token_returns_401",
        "test_list_users_includes_user",
        "test_list_users_without_token_returns_401",
        "test_list_users_with_invalid_token_returns_401",
        "test_list_users_with_expired_token_returns_401",
        "test_list_users_for_non_admin_returns_403",
        "test_list_users_survives_edge_query_values",
        "test_list_users_rejects_invalid_query",
    ]
    login = files["tests/integration/test_login_api.py"]
    assert _tests(login) == ["test_login_access_token_returns_token_for_registered_user",
                             "test_login_access_token_with_wrong_password_returns_400",
                             "test_login_access_token_with_unknown_user_returns_400"]
    assert 'client.post("/api/v1/users/", json=credentials)' in login
    assert 'data=form' in login


def test_mutating_tests_check_the_database_afterwards(files):
    items = files["tests/integration/test_items_api.py"]
    update = items[items.index("def test_update_item_persists_changes"):]
    update = update[:update.index("\n\n\n")]
    assert "db.expire_all()\n    row = db.get(Item, item_id)" in update
    assert 'assert row.title == payload["title"]' in update
    create = items[items.index("def test_create_item_persists_item_for_owner"):]
    assert "assert row.owner_id == user.id" in create[:create.index("\n\n\n")]
    delete = items[items.index("def test_delete_item_of_other_user_returns_404"):]
    assert 'assert row is not None' in delete[:delete.index("\n\n\n")]
    invalid = items[items.index("@pytest.mark.parametrize(\n    \"payload\""):]
    for param_id in ("missing-title", "empty-title", "title-too-long", "price-cents-below-0",
                     "price-cents-wrong-type", "currency-not-a-choice"):
        assert f'id="{param_id}"' in invalid
    assert '"x" * 101' in invalid  # long values are written as expressions, not walls of x


def test_conftest_loads_the_env_file_truncates_and_makes_tokens_the_apps_way(files):
    conftest = files["tests/integration/conftest.py"]
    assert conftest.startswith("# Generated by Seamline: fixtures for the integration tests of app.main:app.\n"
                               "# Regenerate with `seamline gen tests .`")
    assert conftest.index("_load_env_file()\n") < conftest.index("from app.main import app")
    assert 'f"Bearer {create_access_token(str(user.id))}"' in conftest
    assert "from app.core.security import create_access_token" in conftest
    assert "TRUNCATE {names} RESTART IDENTITY CASCADE" in conftest
    assert "metadata = User.metadata" in conftest
    for fixture in ("client", "db", "make_user", "make_item", "user", "other_user", "auth_headers", "headers_for",
                    "count_items", "count_users"):
        assert re.search(rf"^def {fixture}\(", conftest, re.MULTILINE), fixture
    assert 'values["owner_id"] = make_user().id' in conftest  # FK parents first
    assert 'f"user{n}@example.com"' in conftest  # unique, deterministic seeds


def test_generated_code_is_valid_deterministic_and_free_of_randomness(example, files):
    root, project = example
    again = {f.path: f.content for f in generate_tests(project, root=root)}
    assert again == files
    for path, text in files.items():
        compile(text, path, "exec")
        assert "random" not in text and "sleep" not in text and "\t" not in text
        assert max(len(line) for line in text.splitlines()) <= 110, path
        assert text.startswith("# Generated by Seamline")


def test_endpoint_selection_gives_the_conftest_and_that_routers_file(example):
    root, project = example
    picked = generate_tests(project, root=root, endpoints=["DELETE /api/v1/items/{item_id}"], output="it")
    assert [f.path for f in picked] == ["it/conftest.py", "it/test_items_api.py"]
    assert "parents[1]" in picked[0].content and "--out it" in picked[0].content


def test_plan_reports_what_it_could_not_generate(tmp_path):
    root = write_packages(tmp_path, {
        "svc/main.py": """
            from fastapi import FastAPI, Depends
            from fastapi.security import OAuth2PasswordBearer
            app = FastAPI()
            scheme = OAuth2PasswordBearer(tokenUrl="/token")

            @app.get("/things/{slug}")
            def read_thing(slug: str, token: str = Depends(scheme)):
                return {}
        """,
    }, requirements="fastapi\nsqlalchemy\n")
    project = scan(root)
    # no models: the app is served with no database (nodb.py), but nothing can call its protected endpoint
    assert not any("def test_" in f.content for f in generate_tests(project, root=root))
    notes = [n for s in plan_tests(project, root=root) for n in s.notes]
    assert any("no way to make a token was found" in n for n in notes), notes


def test_statuses_come_from_the_raises_of_handlers_and_dependencies(tmp_path):
    root = write_packages(tmp_path, {
        "svc/deps.py": """
            from fastapi import HTTPException, status

            def admin_only(user):
                if not user.is_admin:
                    raise HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail="no")
                if user.locked:
                    raise HTTPException(423)
                return user

            def checked(x):
                abort(410)
        """,
    })
    facts = CodeFacts(app_dir=root)
    assert raised_statuses(facts.function("svc.deps.admin_only")) == (403, 423)
    assert raised_statuses(facts.function("svc.deps.checked")) == (410,)
    assert raised_statuses(facts.function("svc.deps.missing")) == ()


def test_payloads_and_their_invalid_variants_follow_types_and_constraints():
    schema = Schema(name="m.S", kind="pydantic", fields=(
        SchemaField(name="name", type="str", constraints=(("min_length", "3"), ("max_length", "5"))),
        SchemaField(name="age", type="int | None", required=False, constraints=(("gt", "0"), ("le", "150"))),
        SchemaField(name="email", type="EmailStr"),
        SchemaField(name="kind", type="Kind", required=False, enum=("a", "b")),
        SchemaField(name="id", type="int", read_only=True),
    ))
    valid = payload(schema)
    assert valid == {"name": "Sampl", "age": 7, "email": "user@example.com", "kind": "a"}
    variants = dict(invalid_payloads(schema, valid))
    assert list(variants) == ["missing-name", "name-wrong-type", "name-too-short", "name-too-long", "age-wrong-type",
                              "age-at-or-below-0", "age-above-150", "missing-email", "email-malformed",
                              "kind-not-a-choice"]
    assert variants["name-too-short"]["name"] == "xx" and variants["age-above-150"]["age"] == 151
    assert dict(invalid_query((Param(name="page", location="query", type="int", required=False,
                                     constraints=(("ge", "1"),)),))) == {
        "page-wrong-type": {"page": "not-a-number"}, "page-below-1": {"page": 0}}
    assert seed_expr(SchemaField(name="email", type="str")) == 'f"user{n}@example.com"'
    assert seed_expr(SchemaField(name="code", type="str", constraints=(("max_length", "4"),))) == 'f"s{n}"'


def test_flows_chain_sign_up_login_and_a_resources_lifecycle(example):
    root, project = example
    (flows,) = [f for f in generate_tests(project, root=root, flows=True) if f.path.endswith("test_flows_api.py")]
    assert _tests(flows.content) == ["test_flow_sign_up_log_in_and_call_read_me",
                                     "test_flow_item_create_read_update_delete"]
    text = flows.content
    assert 'token = response.json()["access_token"]' in text
    assert 'headers={"Authorization": f"Bearer {token}"}' in text
    assert 'item_id = response.json()["id"]' in text
    assert 'assert body["title"] == changes["title"], body' in text  # a write seen through another endpoint
    assert '"price_cents": 8' in text  # updated values differ from the created ones
    assert text.rstrip().endswith('assert row is None, "the items row outlived its deletion"')
    assert flows.endpoints[:3] == ("POST /api/v1/users/", "POST /api/v1/login/access-token", "GET /api/v1/users/me")
    assert not [f for f in generate_tests(project, root=root) if f.path.endswith("test_flows_api.py")]
