"""Planner and factory mistakes found on public apps (docs/accuracy.md, "Generated tests on public apps"),
on a Conduit-like fixture (tests/fixtures/apps/flask_conduit): DELETEs of sub-resources, several ids in one
path, models with an `__init__` of their own, a list inside a dict body, bodies a view never reads; and
required query parameters in flows, the redirect of the Flask tutorial's logged-in `POST /create`."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from generated import function_source
from generated import test_names as names_of
from seamline.core.analyze.scan import scan
from seamline.core.generate.tests import generate_tests
from workspace import write_packages

APPS = Path(__file__).resolve().parents[1] / "fixtures" / "apps"


def _generated(tmp_path_factory, app: str, **kw) -> dict[str, str]:
    root = tmp_path_factory.mktemp("gen") / app
    shutil.copytree(APPS / app, root, ignore=shutil.ignore_patterns("__pycache__"))
    return {Path(f.path).name: f.content for f in generate_tests(scan(root), root=root, **kw)}


@pytest.fixture(scope="module")
def conduit(tmp_path_factory) -> dict[str, str]:
    return _generated(tmp_path_factory, "flask_conduit")


def test_a_delete_that_only_updates_its_row_does_not_expect_the_row_gone(conduit):
    text = conduit["test_conduit_api.py"]
    assert "test_unfavorite_article_removes_article" not in names_of(text)
    body = function_source(text, "test_unfavorite_article_returns_200")
    assert "assert response.status_code == 200" in body and "row is None" not in body
    # the DELETE of the article itself still checks its row is gone
    assert 'row = db.get(Article, article_id)\n    assert row is None' in function_source(
        text, "test_delete_article_removes_article")


def test_a_delete_of_a_child_row_seeds_it_under_its_parent_and_checks_only_it_is_gone(conduit):
    body = function_source(conduit["test_conduit_api.py"], "test_delete_comment_removes_comment")
    assert "article = make_article()\n    comment = make_comment(article_id=article.id)" in body
    # each path parameter gets its own row's value: the article's slug, the comment's id
    assert 'client.delete(f"/api/articles/{article.slug}/comments/{comment_id}")' in body
    gone, stays = body.index("db.get(Comment, comment_id)"), body.index("db.get(Article, article_id)")
    assert gone < stays
    assert body[gone:stays].count("assert row is None") == 1
    assert "assert row is not None" in body[stays:]


def test_a_factory_calls_a_models_own_init_with_its_parameters(conduit):
    conftest = conduit["conftest.py"]
    assert "row = _new_row(db, Comment, values)" in conftest and "Comment(**values)" not in conftest
    # the helper the factories use: the init's parameters by name, a relationship from its foreign key
    helper = function_source(conftest, "_new_row")
    namespace: dict = {}
    exec(compile("import inspect\n" + helper, "conftest", "exec"), namespace)  # the generated helper itself

    class Rel:
        def __init__(self, target):
            self.local_columns = [type("C", (), {"key": "article_id"})()]
            self.mapper = type("M", (), {"class_": target})()

    class Parent:
        pass

    class Child:
        def __init__(self, article, body):
            self.article, self.body = article, body

    class Db:
        def get(self, model, pk):
            return (model, pk)

    namespace["mapper_of"] = lambda model: type("I", (), {"relationships": {"article": Rel(Parent)}})()
    row = namespace["_new_row"](Db(), Child, {"body": "b", "article_id": 7, "extra": 1})
    assert (row.article, row.body, row.extra) == ((Parent, 7), "b", 1)


def test_a_dict_wrapping_a_list_is_checked_as_that_dict(conduit):
    text = conduit["test_conduit_api.py"]
    body = function_source(text, "test_get_tags_returns_tags_list")
    assert 'assert set(body) >= {"tags"}, body' in body
    assert 'assert isinstance(body["tags"], list), body' in body
    assert 'entry["id"]' not in body and "make_tag" not in body


def test_a_view_that_reads_no_body_is_sent_none(conduit):
    text = conduit["test_conduit_api.py"]
    body = function_source(text, "test_favorite_article_saves_its_changes")
    assert "payload" not in body and 'client.post(f"/api/articles/{article.slug}/favorite")' in body
    assert "test_favorite_article_rejects_invalid_payload" not in names_of(text)


def test_flows_send_the_required_query_parameters(tmp_path):
    root = write_packages(tmp_path, {
        "svc/main.py": """
            from fastapi import FastAPI, HTTPException
            from pydantic import BaseModel
            from sqlalchemy import Integer, String
            from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
            app = FastAPI()

            class Base(DeclarativeBase):
                pass

            class Item(Base):
                __tablename__ = "items"
                id: Mapped[int] = mapped_column(Integer, primary_key=True)
                title: Mapped[str] = mapped_column(String(50))

            class ItemIn(BaseModel):
                title: str

            class ItemOut(BaseModel):
                id: int
                title: str

            @app.post("/items", response_model=ItemOut)
            def create_item(data: ItemIn, lang: str):
                item = Item(title=data.title)
                session = Session()
                session.add(item)
                session.commit()
                return item

            @app.get("/items/{item_id}", response_model=ItemOut)
            def read_item(item_id: int, lang: str):
                item = Session().get(Item, item_id)
                if item is None:
                    raise HTTPException(status_code=404)
                return item
        """,
    }, requirements="fastapi\nsqlalchemy\n")
    files = {Path(f.path).name: f.content for f in generate_tests(scan(root), root=root, flows=True)}
    flow = function_source(files["test_flows_api.py"], "test_flow_item_create_read_update_delete")
    assert 'params = {"lang": ' in flow
    assert flow.count("params=params") == 2


@pytest.fixture(scope="module")
def tutorial(tmp_path_factory) -> dict[str, str]:
    return _generated(tmp_path_factory, "flask_tutorial")


def test_a_logged_in_form_post_checks_where_it_redirects(tutorial):
    text = tutorial["test_blog_api.py"]
    happy = function_source(text, "test_create_returns_302")
    assert 'assert response.headers["Location"] in ["/", "http://localhost/"]' in happy
    # the logged-out post is redirected too, but to the login page: it has no such check
    assert "Location" not in function_source(text, "test_create_without_token_returns_302_again")
