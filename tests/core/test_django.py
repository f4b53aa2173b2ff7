"""The Django/DRF linker on two fixture projects, endpoint lists asserted exactly."""

from __future__ import annotations

from pathlib import Path

import pytest
from seamline.core.analyze.scan import scan

APPS = Path(__file__).parent.parent / "fixtures" / "apps"


@pytest.fixture(scope="module")
def snippets():
    return scan(APPS / "django_snippets")


@pytest.fixture(scope="module")
def mixed():
    return scan(APPS / "django_mixed")


def _by_key(project):
    return {e.key: e for e in project.endpoints}


def test_snippets_endpoints(snippets):
    got = [(e.method, e.path, e.handler) for e in snippets.endpoints]
    assert got == [
        ("GET", "/", "rest_framework.routers.APIRootView"),
        ("GET", "/api-auth/login/", "django.contrib.auth.views.LoginView"),
        ("POST", "/api-auth/login/", "django.contrib.auth.views.LoginView"),
        ("PUT", "/api-auth/login/", "django.contrib.auth.views.LoginView"),  # ProcessFormView.put
        ("POST", "/api-auth/logout/", "django.contrib.auth.views.LogoutView"),
        ("GET", "/snippets/", "snippets.views.SnippetViewSet.list"),
        ("POST", "/snippets/", "snippets.views.SnippetViewSet.create"),
        ("DELETE", "/snippets/{pk}/", "snippets.views.SnippetViewSet.destroy"),
        ("GET", "/snippets/{pk}/", "snippets.views.SnippetViewSet.retrieve"),
        ("PATCH", "/snippets/{pk}/", "snippets.views.SnippetViewSet.partial_update"),
        ("PUT", "/snippets/{pk}/", "snippets.views.SnippetViewSet.update"),
        ("GET", "/snippets/{pk}/highlight/", "snippets.views.SnippetViewSet.highlight"),
        ("GET", "/users/", "snippets.views.UserViewSet.list"),
        ("GET", "/users/{pk}/", "snippets.views.UserViewSet.retrieve"),
    ]
    assert [f.code for f in snippets.findings if f.code.startswith(("django", "drf"))] == []
    app = snippets.apps[0]
    assert app.entry == "tutorial.settings" and "django" in app.frameworks


def test_snippets_viewset_details(snippets):
    eps = _by_key(snippets)
    create = eps["POST /snippets/"]
    assert create.framework == "drf"
    assert (create.file, create.line) == ("snippets/views.py", 11)  # inherited action: the class
    assert create.decorator_lines == (7,)  # router.register(...) line
    assert create.request_schema == create.response_schema == "snippets.serializers.SnippetSerializer"
    assert create.status_code == 201
    assert [(a.kind, a.via) for a in create.auth] == [
        ("permission", "rest_framework.permissions.IsAuthenticatedOrReadOnly"),
        ("permission", "snippets.permissions.IsOwnerOrReadOnly"),
        ("session", "rest_framework.authentication.SessionAuthentication"),
        ("basic", "rest_framework.authentication.BasicAuthentication"),
    ]
    assert create.auth[1].file == "snippets/permissions.py"
    assert [(x.model, x.action) for x in create.effects] == [("snippets.models.Snippet", "create")]
    assert eps["GET /snippets/{pk}/"].auth == ()  # read-only methods stay open
    assert [p.name for p in eps["GET /snippets/{pk}/"].params] == ["pk"]
    highlight = eps["GET /snippets/{pk}/highlight/"]
    assert (highlight.line, highlight.name) == (19, "snippet-highlight")
    assert highlight.response_schema is None  # the action returns raw HTML, not the serializer
    assert eps["DELETE /snippets/{pk}/"].request_schema is None
    assert [(x.model, x.action) for x in eps["GET /users/"].effects] == [("django.contrib.auth.models.User", "read")]


def test_snippets_serializers_and_tokens(snippets):
    schemas = {s.name: s for s in snippets.schemas}
    snip = schemas["snippets.serializers.SnippetSerializer"]
    assert snip.kind == "drf-serializer" and snip.model == "snippets.models.Snippet"
    fields = {f.name: f for f in snip.fields}
    assert list(fields) == ["url", "id", "highlight", "owner", "title", "code", "linenos", "language", "style"]
    assert fields["owner"].read_only and fields["highlight"].read_only and fields["id"].read_only
    assert fields["code"].required and fields["code"].type == "str"
    assert not fields["title"].required and ("max_length", "100") in fields["title"].constraints
    assert fields["linenos"].type == "bool"
    user = {f.name: f for f in schemas["snippets.serializers.UserSerializer"].fields}
    assert user["snippets"].many and user["snippets"].read_only
    assert user["username"].type == "str"
    assert [(t.name, t.scheme) for t in snippets.token_sources] == [("POST /api-auth/login/", "session")]


def test_mixed_endpoints(mixed):
    got = [(e.method, e.path, e.handler, e.framework) for e in mixed.endpoints]
    assert got == [
        ("GET", "/", "blog.views.home", "django"),
        ("GET", "/accounts/login/", "blog.views.login_view", "django"),
        ("POST", "/accounts/login/", "blog.views.login_view", "django"),
        ("POST", "/api-token-auth/", "rest_framework.authtoken.views.obtain_auth_token", "drf"),
        ("POST", "/api/token/", "rest_framework_simplejwt.views.TokenObtainPairView", "drf"),
        ("GET", "/api/v1/comments/", "api.views.CommentViewSet.list", "drf"),
        ("POST", "/api/v1/comments/bulk-delete/", "api.views.CommentViewSet.bulk_delete", "drf"),
        ("POST", "/api/v1/comments/new/", "api.views.CommentCreate.post", "drf"),
        ("GET", "/api/v1/comments/{comment_id}/", "api.views.CommentViewSet.retrieve", "drf"),
        ("GET", "/api/v1/health/", "api.views.health", "drf"),
        ("GET", "/api/v1/posts/", "api.views.PostList.get", "drf"),
        ("POST", "/api/v1/posts/", "api.views.PostList.post", "drf"),
        ("DELETE", "/api/v1/posts/{slug}/", "api.views.PostDetail.delete", "drf"),
        ("GET", "/api/v1/posts/{slug}/", "api.views.PostDetail.get", "drf"),
        ("PATCH", "/api/v1/posts/{slug}/", "api.views.PostDetail.patch", "drf"),
        ("PUT", "/api/v1/posts/{slug}/", "api.views.PostDetail.put", "drf"),
        ("GET", "/api/v1/stats/", "api.views.stats", "drf"),
        ("POST", "/api/v1/stats/", "api.views.stats", "drf"),
        ("GET", "/api/v1/tags/", "api.views.TagViewSet.list", "drf"),
        ("POST", "/api/v1/tags/", "api.views.TagViewSet.create", "drf"),
        ("GET", "/archive/{year}/", "blog.views.archive", "django"),
        ("GET", "/blog/", "blog.views.PostListView.get", "django"),
        ("GET", "/blog/new/", "blog.views.PostCreateView.get", "django"),
        ("POST", "/blog/new/", "blog.views.PostCreateView.post", "django"),
        ("PUT", "/blog/new/", "blog.views.PostCreateView.put", "django"),
        ("GET", "/blog/ping/", "blog.views.PingView.get", "django"),
        ("POST", "/blog/ping/", "blog.views.PingView.post", "django"),
        ("POST", "/blog/purge/", "blog.views.purge", "django"),
        ("GET", "/blog/{slug}/", "blog.views.PostDetailView.get", "django"),
        ("GET", "/blog/{slug}/comment/", "blog.views.comment", "django"),
        ("POST", "/blog/{slug}/comment/", "blog.views.comment", "django"),
        ("DELETE", "/blog/{slug}/delete/", "blog.views.PostDeleteView.delete", "django"),
        ("GET", "/blog/{slug}/delete/", "blog.views.PostDeleteView.get", "django"),
        ("POST", "/blog/{slug}/delete/", "blog.views.PostDeleteView.post", "django"),
    ]
    assert [f.code for f in mixed.findings if f.code.startswith(("django", "drf"))] == []


def test_mixed_auth(mixed):
    eps = _by_key(mixed)

    def kinds(key):
        return [(a.kind, a.via.rsplit(".", 1)[-1]) for a in eps[key].auth]

    settings_default = [("permission", "IsAuthenticated"), ("drf-token", "TokenAuthentication"),
                        ("session", "SessionAuthentication")]
    assert kinds("GET /api/v1/health/") == settings_default
    assert kinds("GET /api/v1/posts/{slug}/") == settings_default
    assert kinds("GET /api/v1/posts/") == []
    assert kinds("POST /api/v1/posts/")[0] == ("permission", "IsAuthenticatedOrReadOnly")
    assert kinds("POST /api/v1/comments/new/") == []  # AllowAny
    assert kinds("POST /api/v1/stats/") == []  # @permission_classes([AllowAny])
    assert kinds("POST /api-token-auth/") == []  # token views need no credentials
    assert kinds("GET /blog/{slug}/comment/") == [("session", "login_required")]
    assert kinds("GET /blog/new/") == [("session", "LoginRequiredMixin")]
    delete = eps["POST /blog/{slug}/delete/"]
    assert [(a.kind, a.scopes) for a in delete.auth] == [("session", ()), ("permission", ("blog.delete_post",))]
    assert [(a.kind, a.scopes) for a in eps["POST /blog/purge/"].auth][1] == ("permission", ("blog.delete_post",))
    assert kinds("GET /blog/") == []


def test_mixed_tokens_schemas_and_effects(mixed):
    assert [(t.name, t.scheme) for t in mixed.token_sources] == [
        ("POST /api-token-auth/", "drf-token"), ("POST /api/token/", "jwt"), ("POST /accounts/login/", "session"),
    ]
    eps = _by_key(mixed)
    assert eps["GET /blog/{slug}/delete/"].name == "blog:delete"
    assert [(p.name, p.type) for p in eps["GET /archive/{year}/"].params] == [("year", "str")]
    assert eps["GET /api/v1/posts/"].response_schema == "api.serializers.PostSerializer"
    assert eps["POST /api/v1/stats/"].request_schema == "api.serializers.StatsSerializer"
    assert [(x.model, x.action) for x in eps["POST /blog/new/"].effects] == [("blog.models.Post", "create")]
    assert [(x.model, x.action) for x in eps["PATCH /api/v1/posts/{slug}/"].effects] == [("blog.models.Post", "update")]
    schemas = {s.name: s for s in mixed.schemas}
    post = {f.name: f for f in schemas["api.serializers.PostSerializer"].fields}
    assert post["comments"].nested == "api.serializers.CommentSerializer" and post["comments"].many
    assert post["status"].enum == ("draft", "published") and not post["status"].required
    assert post["created"].read_only
    assert post["title"].constraints == (("max_length", "200"),)
    stats = {f.name: f for f in schemas["api.serializers.StatsSerializer"].fields}
    assert stats["posts"].read_only and stats["posts"].type == "int"
    assert "api.serializers.CommentSerializer" in schemas
