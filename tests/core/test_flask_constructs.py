"""The Flask linker on small inline apps, one construct at a time."""

import textwrap

from seamline.core.analyze.scan import scan


def _project(tmp_path, files):
    (tmp_path / "requirements.txt").write_text("flask\n")
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return scan(tmp_path)


def _rows(project):
    return sorted((e.method, e.path, e.handler) for e in project.endpoints)


def _codes(project):
    return sorted(f.code for f in project.findings)


def test_module_level_app_routes_methods_and_stacked_decorators(tmp_path):
    project = _project(tmp_path, {"app.py": """
        from flask import Flask
        app = Flask(__name__)

        @app.route("/items/<id>", strict_slashes=False)
        def show(id):
            return id

        @app.route("/a", methods=["GET", "POST", "HEAD", "OPTIONS"])
        @app.route("/b/<path:rest>", endpoint="bee")
        def multi(rest=""):
            return ""

        @app.put("/p/<int:pk>")
        def put(pk): ...

        @app.patch("/p/<int:pk>")
        def patch(pk): ...

        @app.delete("/p/<int:pk>")
        def delete(pk): ...
    """})
    assert _rows(project) == [
        ("DELETE", "/p/{pk}", "app.delete"),
        ("GET", "/a", "app.multi"),
        ("GET", "/b/{rest}", "app.multi"),
        ("GET", "/items/{id}", "app.show"),
        ("PATCH", "/p/{pk}", "app.patch"),
        ("POST", "/a", "app.multi"),
        ("PUT", "/p/{pk}", "app.put"),
    ]
    names = {e.key: e.name for e in project.endpoints}
    assert names["GET /b/{rest}"] == "bee" and names["GET /a"] == "multi"
    assert project.apps[0].entry == "app:app"
    show = next(e for e in project.endpoints if e.handler == "app.show")
    assert [(p.name, p.location, p.type) for p in show.params] == [("id", "path", "str")]


def test_registration_prefix_wins_and_nested_prefixes_compose(tmp_path):
    project = _project(tmp_path, {
        "pkg/__init__.py": """
            from flask import Flask
            from .bps import parent

            app = Flask(__name__)
            app.register_blueprint(parent, url_prefix="/api")
            app.register_blueprint(parent, url_prefix="/v2", name="v2")
        """,
        "pkg/bps.py": """
            from flask import Blueprint
            parent = Blueprint("parent", __name__, url_prefix="/own")
            child = Blueprint("child", __name__, url_prefix="/child")
            parent.register_blueprint(child)

            @parent.route("")
            def root(): ...

            @child.route("/x/")
            def x(): ...
        """,
    })
    assert _rows(project) == [
        ("GET", "/api", "pkg.bps.root"),
        ("GET", "/api/child/x/", "pkg.bps.x"),
        ("GET", "/v2", "pkg.bps.root"),
        ("GET", "/v2/child/x/", "pkg.bps.x"),
    ]
    names = sorted(e.name for e in project.endpoints)
    assert names == ["parent.child.x", "parent.root", "v2.child.x", "v2.root"]
    assert _codes(project) == []


def test_add_url_rule_with_function_and_positional_arguments(tmp_path):
    project = _project(tmp_path, {"views.py": """
        import flask

        def ping():
            return "pong"

        def make():
            app = flask.Flask(__name__)
            app.add_url_rule("/ping", "pinger", ping, methods=("POST",))
            app.add_url_rule("/alias", endpoint="alias")  # no view: an alias, not an endpoint
            return app
    """})
    assert _rows(project) == [("POST", "/ping", "views.ping")]
    assert project.endpoints[0].name == "pinger"
    assert project.apps[0].entry == "views:make"


def test_method_view_and_view_with_methods(tmp_path):
    project = _project(tmp_path, {"app.py": """
        from flask import Flask
        from flask.views import MethodView, View

        class Base(MethodView):
            def get(self, id):
                return ""

        class Thing(Base):
            def delete(self, id):
                return ""

            def helper(self):
                return ""

        class Report(View):
            methods = ["POST"]

            def dispatch_request(self):
                return ""

        app = Flask(__name__)
        thing = Thing.as_view("thing")
        app.add_url_rule("/things/<int:id>", view_func=thing)
        app.add_url_rule("/report", view_func=Report.as_view("report"))
        app.add_url_rule("/only-get/<int:id>", view_func=Thing.as_view("ro"), methods=["GET"])
    """})
    assert _rows(project) == [
        ("DELETE", "/things/{id}", "app.Thing.delete"),
        ("GET", "/only-get/{id}", "app.Thing.get"),
        ("GET", "/things/{id}", "app.Thing.get"),
        ("POST", "/report", "app.Report.dispatch_request"),
    ]
    get = next(e for e in project.endpoints if e.key == "GET /things/{id}")
    assert (get.line, get.name) == (6, "thing")  # the inherited def's line


def test_flask_restful_api_and_resources(tmp_path):
    project = _project(tmp_path, {"app.py": """
        from flask import Flask
        from flask_restful import Api, Resource

        class Todo(Resource):
            def get(self, todo_id): ...
            def put(self, todo_id): ...

        class TodoList(Resource):
            def get(self): ...

        app = Flask(__name__)
        api = Api(app, prefix="/api")
        api.add_resource(TodoList, "/todos", "/todos/")
        api.add_resource(Todo, "/todos/<int:todo_id>", endpoint="one")
    """})
    assert _rows(project) == [
        ("GET", "/api/todos", "app.TodoList.get"),
        ("GET", "/api/todos/", "app.TodoList.get"),
        ("GET", "/api/todos/{todo_id}", "app.Todo.get"),
        ("PUT", "/api/todos/{todo_id}", "app.Todo.put"),
    ]
    assert sorted({e.name for e in project.endpoints}) == ["one", "todolist"]


def test_flask_restful_api_attached_with_init_app_inside_a_blueprint(tmp_path):
    project = _project(tmp_path, {"app.py": """
        from flask import Blueprint, Flask
        from flask_restful import Api, Resource

        class Ping(Resource):
            def post(self): ...

        bp = Blueprint("v1", __name__, url_prefix="/v1")
        api = Api()
        api.add_resource(Ping, "/ping")

        def create_app():
            app = Flask(__name__)
            api.init_app(bp)
            app.register_blueprint(bp)
            return app
    """})
    assert _rows(project) == [("POST", "/v1/ping", "app.Ping.post")]
    assert project.endpoints[0].name == "v1.ping"


def test_flask_smorest_method_views_and_schemas(tmp_path):
    project = _project(tmp_path, {"app.py": """
        from flask import Flask
        from flask.views import MethodView
        from flask_smorest import Api, Blueprint
        import marshmallow as ma

        class PetSchema(ma.Schema):
            name = ma.fields.String(required=True)

        blp = Blueprint("pets", __name__, url_prefix="/pets")

        @blp.route("/")
        class Pets(MethodView):
            @blp.response(200, PetSchema(many=True))
            def get(self): ...

            @blp.arguments(PetSchema)
            @blp.response(201, PetSchema)
            def post(self, data): ...

        def create_app():
            app = Flask(__name__)
            api = Api(app)
            api.register_blueprint(blp)
            return app
    """})
    assert _rows(project) == [("GET", "/pets/", "app.Pets.get"), ("POST", "/pets/", "app.Pets.post")]
    post = next(e for e in project.endpoints if e.method == "POST")
    assert (post.request_schema, post.response_schema, post.status_code, post.name) == \
        ("app.PetSchema", "app.PetSchema", 201, "pets.Pets")
    assert _codes(project) == []


def test_unresolvable_registration_and_paths_become_findings(tmp_path):
    project = _project(tmp_path, {"app.py": """
        from flask import Blueprint, Flask
        app = Flask(__name__)
        a = Blueprint("a", __name__, url_prefix="/a")
        PREFIX = "/x"

        @a.route("/r")
        def r(): ...

        @app.route(PREFIX + dynamic())
        def dyn(): ...

        def register(app):
            for bp in (a,):
                app.register_blueprint(bp)

        register(app)
    """})
    assert _rows(project) == [("GET", "/a/r", "app.r")]
    assert _codes(project) == ["unregistered-blueprint", "unresolved-blueprint", "unresolved-route-path"]


def test_auth_libraries_and_token_sources(tmp_path):
    project = _project(tmp_path, {"app.py": """
        from flask import Flask, request, session
        from flask_httpauth import HTTPBasicAuth
        from flask_jwt_extended import create_access_token, jwt_required
        from flask_login import login_required, login_user

        app = Flask(__name__)
        basic = HTTPBasicAuth()

        def make_token(user):
            return create_access_token(identity=user)

        @app.post("/token")
        def token():
            return {"t": make_token(request.form["user"])}

        @app.route("/login", methods=["GET", "POST"])
        def login():
            login_user(object())
            return ""

        @app.get("/session")
        @login_required
        def s(): ...

        @app.get("/basic")
        @basic.login_required
        def b(): ...

        @app.get("/maybe")
        @jwt_required(optional=True)
        def maybe(): ...

        @app.get("/refresh")
        @jwt_required(refresh=True)
        def refresh(): ...
    """})
    auth = {e.path: [(a.kind, a.via, a.detail) for a in e.auth] for e in project.endpoints}
    assert auth["/session"] == [("session", "flask_login.login_required", "")]
    assert auth["/basic"] == [("basic", "app.basic.login_required", "flask_httpauth.HTTPBasicAuth")]
    assert auth["/maybe"] == []
    assert auth["/refresh"] == [("jwt", "flask_jwt_extended.jwt_required", "refresh")]
    assert sorted((t.kind, t.name, t.scheme) for t in project.token_sources) == [
        ("endpoint", "POST /login", "session"),
        ("endpoint", "POST /token", "jwt"),
        ("function", "app.make_token", "jwt"),
    ]


def test_custom_decorators_by_what_they_check(tmp_path):
    project = _project(tmp_path, {"app.py": """
        import functools
        from flask import Flask, abort, request, session
        from flask_jwt_extended import verify_jwt_in_request

        app = Flask(__name__)

        def token_required(f):
            @functools.wraps(f)
            def inner(*a, **kw):
                if not request.headers["Authorization"].startswith("Bearer "):
                    abort(401)
                return f(*a, **kw)
            return inner

        def roles(*names):
            def deco(f):
                def inner(*a, **kw):
                    verify_jwt_in_request()
                    return f(*a, **kw)
                return inner
            return deco

        def member_only(f):
            def inner(*a, **kw):
                if session.get("uid") is None:
                    abort(403)
                return f(*a, **kw)
            return inner

        def timed(f):
            def inner(*a, **kw):
                return f(*a, **kw)
            return inner

        @app.get("/t")
        @token_required
        def t(): ...

        @app.get("/r")
        @roles("admin")
        def r(): ...

        @app.get("/m")
        @member_only
        @timed
        def m(): ...
    """})
    auth = {e.path: [(a.kind, a.via) for a in e.auth] for e in project.endpoints}
    assert auth == {"/t": [("custom", "app.token_required")], "/r": [("jwt", "app.roles")],
                    "/m": [("session", "app.member_only")]}


def test_request_reads_become_params(tmp_path):
    project = _project(tmp_path, {"app.py": """
        from flask import Flask, request as rq

        app = Flask(__name__)

        @app.post("/search/<int:page>")
        def search(page):
            q = rq.args.get("q", "", type=str)
            tags = rq.args.getlist("tag")
            payload = rq.get_json()
            name = payload["name"]
            limit = payload.get("limit", 10)
            token = rq.headers.get("X-Token")
            return {}

        @app.post("/raw")
        def raw():
            return rq.get_json()
    """})
    params = {e.path: [(p.name, p.location, p.type, p.required, p.default) for p in e.params]
              for e in project.endpoints}
    assert params["/search/{page}"] == [
        ("page", "path", "int", True, None),
        ("q", "query", "str", False, "''"),
        ("tag", "query", "list", False, None),
        ("name", "body", "Any", True, None),
        ("limit", "body", "Any", False, "10"),
        ("X-Token", "header", "str", False, None),
    ]
    assert params["/raw"] == [("body", "body", "json", True, None)]
