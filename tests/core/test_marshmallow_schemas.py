"""marshmallow schemas behind flask-apispec / webargs views (the RealWorld app's style): the scan reads
their fields and the envelope a `@pre_load` / `@post_dump` hook puts the body in, and the generated
tests send and read the body there, expecting webargs' 422 for what the schema refuses."""

from __future__ import annotations

from seamline.core.analyze.scan import scan
from seamline.core.generate.tests import generate_tests
from workspace import write_packages

FILES = {
    "conduit/app.py": """
        from flask import Flask
        from flask_sqlalchemy import SQLAlchemy
        db = SQLAlchemy()

        def create_app():
            app = Flask(__name__)
            db.init_app(app)
            from conduit.views import blueprint
            app.register_blueprint(blueprint)
            return app
    """,
    "conduit/models.py": """
        from conduit.app import db

        class Article(db.Model):
            id = db.Column(db.Integer, primary_key=True)
            title = db.Column(db.String(100), nullable=False)
            body = db.Column(db.Text, nullable=False)
    """,
    "conduit/serializers.py": """
        from marshmallow import Schema, fields, post_dump, pre_load, validate

        class AuthorSchema(Schema):
            username = fields.Str()

        class ArticleSchema(Schema):
            title = fields.Str(required=True, validate=validate.Length(max=100))
            body = fields.Str(required=True)
            contact = fields.Email()
            createdAt = fields.DateTime(attribute="created_at")
            slug = fields.Str(dump_only=True)
            secret = fields.Str(load_only=True)
            author = fields.Nested(AuthorSchema)
            tags = fields.List(fields.Str())
            labels = fields.List(fields.Raw())
            extra = fields.Dict()
            article = fields.Nested("self", exclude=("article",), load_only=True)

            @pre_load
            def unwrap(self, data, **kwargs):
                data = data["article"]
                return data

            @post_dump
            def wrap(self, data, **kwargs):
                return {"article": data}

        article_schema = ArticleSchema()
    """,
    "conduit/views.py": """
        from flask import Blueprint
        from flask_apispec import marshal_with, use_kwargs

        from conduit.app import db
        from conduit.models import Article
        from conduit.serializers import article_schema

        blueprint = Blueprint("articles", __name__)

        @blueprint.route("/api/articles", methods=("POST",))
        @use_kwargs(article_schema)
        @marshal_with(article_schema)
        def make_article(title, body, **kwargs):
            article = Article(title=title, body=body)
            db.session.add(article)
            db.session.commit()
            return article
    """,
}


def test_the_schema_its_fields_and_its_envelopes_are_read(tmp_path):
    root = write_packages(tmp_path, FILES, requirements="flask\nflask-sqlalchemy\nflask-apispec\nmarshmallow\n")
    project = scan(root)
    (post,) = [e for e in project.endpoints if e.key == "POST /api/articles"]
    assert post.request_schema == post.response_schema == "conduit.serializers.ArticleSchema"
    schemas = {s.name: s for s in project.schemas}
    article = schemas["conduit.serializers.ArticleSchema"]
    assert article.kind == "marshmallow" and article.envelope == article.dump_envelope == "article"
    fields = {f.name: f for f in article.fields}
    assert set(fields) == {"title", "body", "contact", "createdAt", "slug", "secret", "author", "tags", "labels",
                           "extra"}  # not 'self'
    assert fields["title"].required and ("max_length", "100") in fields["title"].constraints
    assert fields["contact"].type == "EmailStr" and not fields["contact"].required
    assert fields["slug"].read_only and fields["secret"].write_only
    assert fields["author"].nested == "conduit.serializers.AuthorSchema"
    assert fields["tags"].type == "list[str]" and fields["tags"].many
    assert schemas["conduit.serializers.AuthorSchema"].envelope is None


def test_generated_tests_send_and_read_the_body_in_its_envelope(tmp_path):
    root = write_packages(tmp_path, FILES, requirements="flask\nflask-sqlalchemy\nflask-apispec\nmarshmallow\n")
    files = {f.path: f.content for f in generate_tests(scan(root), root=root)}
    tests = next(text for path, text in files.items() if path.endswith("_api.py"))
    assert 'json={"article": payload}' in tests
    assert 'body = response.get_json()["article"]' in tests
    happy = tests.split("def test_make_article_persists_article")[1].split("\ndef ")[0]
    sent = happy.split("payload = ")[1].split("response = ")[0]
    # what a client sends: not the answer-only timestamp or nested author, nor dump-only fields
    assert '"title"' in sent and '"secret"' in sent and "createdAt" not in sent and "author" not in sent
    assert "slug" not in sent
    assert '"tags": [' in sent and '"labels": [' in sent  # a list field is sent a list
    assert "extra" not in sent  # an optional free-form object is the answer's, like the nested author
    assert "payload[\"secret\"]" not in happy  # load-only: never in an answer
    invalid = tests.split("def test_make_article_rejects_invalid_payload")[1].split("\ndef ")[0]
    assert "assert response.status_code == 422" in invalid  # webargs refuses what marshmallow refuses with 422
