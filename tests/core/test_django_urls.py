"""Focused Django/DRF linker cases on small projects written to tmp_path."""

from __future__ import annotations

import pytest
from seamline.core.analyze.django_urls import path_template, regex_template
from seamline.core.analyze.scan import scan
from workspace import write_packages


def _project(tmp_path, files: dict[str, str]):
    return scan(write_packages(tmp_path, files, requirements="Django\ndjangorestframework\n"))


def _keys(project):
    return [(e.method, e.path, e.handler) for e in project.endpoints]


SETTINGS = {"site/settings.py": 'ROOT_URLCONF = "site.urls"\n'}


@pytest.mark.parametrize(("route", "template", "params"), [
    ("posts/<int:pk>/", "posts/{pk}/", (("pk", "int"),)),
    ("<slug:slug>/edit/", "{slug}/edit/", (("slug", "str"),)),
    ("files/<path>/", "files/{path}/", (("path", "str"),)),
])
def test_path_template(route, template, params):
    assert path_template(route) == (template, params)


@pytest.mark.parametrize(("regex", "template", "ok"), [
    (r"^archive/(?P<year>[0-9]{4})/$", "archive/{year}/", True),
    (r"^snippets/(?P<pk>[^/.]+)/highlight/$", "snippets/{pk}/highlight/", True),
    (r"^api/", "api/", True),
    (r"^v(?P<v>\d+)\.json$", "v{v}.json", True),
    (r"^(post|page)/$", "(post|page)/", False),
])
def test_regex_template(regex, template, ok):
    got, _params, got_ok = regex_template(regex)
    assert (got, got_ok) == (template, ok)


def test_includes_compose_prefixes_and_namespaces(tmp_path):
    project = _project(tmp_path, {**SETTINGS,
        "site/urls.py": """
            from django.conf.urls import url
            from django.urls import include, path
            from shop import urls as shop_urls
            extra = [path("about/", include([path("team/", lambda r: None)]))]
            urlpatterns = [
                path("shop/", include((shop_urls.patterns, "shop"), namespace="store")),
                url(r"^legacy/", include("shop.urls")),
            ]
            urlpatterns += [path("mod/", include(shop_urls))]
            urlpatterns += extra
        """,
        "shop/views.py": """
            from django.views.decorators.http import require_http_methods
            @require_http_methods(["GET", "DELETE"])
            def item(request, item_id): ...
            def cart(request):
                if request.method in ("POST", "PUT"):
                    ...
        """,
        "shop/urls.py": """
            from django.urls import path
            from shop import views
            patterns = [path("items/<int:item_id>/", views.item, name="item")]
            urlpatterns = patterns + [path("cart/", views.cart)]
        """,
    })
    assert _keys(project) == [
        ("GET", "/legacy/cart/", "shop.views.cart"),
        ("POST", "/legacy/cart/", "shop.views.cart"),
        ("PUT", "/legacy/cart/", "shop.views.cart"),
        ("DELETE", "/legacy/items/{item_id}/", "shop.views.item"),
        ("GET", "/legacy/items/{item_id}/", "shop.views.item"),
        ("GET", "/mod/cart/", "shop.views.cart"),
        ("POST", "/mod/cart/", "shop.views.cart"),
        ("PUT", "/mod/cart/", "shop.views.cart"),
        ("DELETE", "/mod/items/{item_id}/", "shop.views.item"),
        ("GET", "/mod/items/{item_id}/", "shop.views.item"),
        ("DELETE", "/shop/items/{item_id}/", "shop.views.item"),
        ("GET", "/shop/items/{item_id}/", "shop.views.item"),
    ]
    shop_item = next(e for e in project.endpoints if e.path == "/shop/items/{item_id}/")
    assert shop_item.name == "store:item"
    assert [(p.name, p.type) for p in shop_item.params] == [("item_id", "int")]
    # the lambda view inside the inline include cannot be resolved: a finding, not a guess
    assert [f.code for f in project.findings] == ["django-view-unresolved"]


def test_routers_lookup_actions_and_trailing_slash(tmp_path):
    project = _project(tmp_path, {**SETTINGS,
        "site/urls.py": """
            from django.urls import include, path
            from rest_framework import routers
            from api.views import BookViewSet, NoteViewSet
            from rest_framework.urlpatterns import format_suffix_patterns
            router = routers.SimpleRouter(trailing_slash=False)
            router.register("books", BookViewSet)
            router.register(r"notes", NoteViewSet, basename="note")
            urlpatterns = [path("api/", include(router.urls))]
            urlpatterns = format_suffix_patterns(urlpatterns)
        """,
        "api/views.py": """
            from rest_framework import mixins, viewsets
            from rest_framework.decorators import action
            from api.models import Book
            class BookViewSet(mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
                queryset = Book.objects.filter(active=True)
                lookup_field = "isbn"
                @action(detail=True, methods=["post", "delete"], url_path="cover-image")
                def cover(self, request, isbn=None): ...
            class NoteViewSet(viewsets.ViewSet):
                def list(self, request): ...
                def retrieve(self, request, pk=None): ...
        """,
        "api/models.py": """
            from django.db import models
            class Book(models.Model):
                isbn = models.CharField(max_length=13)
        """,
    })
    assert _keys(project) == [
        ("POST", "/api/books", "api.views.BookViewSet.create"),
        ("DELETE", "/api/books/{isbn}", "api.views.BookViewSet.destroy"),
        ("DELETE", "/api/books/{isbn}/cover-image", "api.views.BookViewSet.cover"),
        ("POST", "/api/books/{isbn}/cover-image", "api.views.BookViewSet.cover"),
        ("GET", "/api/notes", "api.views.NoteViewSet.list"),
        ("GET", "/api/notes/{pk}", "api.views.NoteViewSet.retrieve"),
    ]
    destroy = next(e for e in project.endpoints if e.handler.endswith(".destroy"))
    assert [(x.model, x.action) for x in destroy.effects] == [("api.models.Book", "delete")]
    assert destroy.name == "book-detail"  # basename defaults to the queryset's model


def test_default_router_root_and_unresolved_settings(tmp_path):
    project = _project(tmp_path, {
        "api/urls.py": """
            from rest_framework.routers import DefaultRouter
            from api import views
            router = DefaultRouter()
            router.register(r"things", views.ThingViewSet)
            urlpatterns = router.urls
        """,
        "api/views.py": """
            from rest_framework.viewsets import ReadOnlyModelViewSet
            class ThingViewSet(ReadOnlyModelViewSet):
                pass
        """,
        "other/urls.py": """
            from django.urls import include, path
            urlpatterns = [path("v2/", include("api.urls"))]
        """,
    })
    # no settings: every urls.py that nobody includes is a root (other.urls, not api.urls)
    assert _keys(project) == [
        ("GET", "/v2/", "rest_framework.routers.APIRootView"),
        ("GET", "/v2/things/", "api.views.ThingViewSet.list"),
        ("GET", "/v2/things/{pk}/", "api.views.ThingViewSet.retrieve"),
    ]
    assert [f.code for f in project.findings] == ["django-settings-unresolved"]


def test_settings_from_manage_py_and_rest_defaults(tmp_path):
    project = _project(tmp_path, {
        "manage.py": """
            import os
            def main():
                os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conf.settings.dev")
        """,
        "conf/settings/base.py": """
            ROOT_URLCONF = "conf.urls"
            REST_FRAMEWORK = {
                "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAdminUser"],
                "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework_simplejwt.authentication.JWTAuthentication"],
            }
        """,
        "conf/settings/dev.py": "from .base import *\nDEBUG = True\n",
        "conf/urls.py": """
            from django.urls import path
            from rest_framework.decorators import api_view
            from rest_framework.views import APIView
            @api_view(["PUT"])
            def reset(request): ...
            class Open(APIView):
                permission_classes = []
                def get(self, request): ...
            urlpatterns = [path("reset/", reset), path("open/", Open.as_view())]
        """,
    })
    assert project.apps[0].entry == "conf.settings.dev"
    eps = {e.key: e for e in project.endpoints}
    assert list(eps) == ["GET /open/", "PUT /reset/"]
    assert [(a.kind, a.via) for a in eps["PUT /reset/"].auth] == [
        ("permission", "rest_framework.permissions.IsAdminUser"),
        ("jwt", "rest_framework_simplejwt.authentication.JWTAuthentication"),
    ]
    assert eps["GET /open/"].auth == ()


def test_unreadable_constructs_become_findings(tmp_path):
    project = _project(tmp_path, {**SETTINGS,
        "site/urls.py": """
            from django.urls import path, re_path
            from site import views
            urlpatterns = [
                path("ok/", views.ok),
                path(PREFIX, views.ok),
                re_path(r"^(a|b)/$", views.ok),
                path("vs/", views.VS.as_view()),
                *views.more,
            ]
        """,
        "site/views.py": """
            from rest_framework.viewsets import ModelViewSet
            def ok(request): ...
            class VS(ModelViewSet): ...
        """,
    })
    assert _keys(project) == [("GET", "/(a|b)/", "site.views.ok"), ("GET", "/ok/", "site.views.ok")]
    assert sorted(f.code for f in project.findings) == [
        "django-regex-route", "django-url-unresolved", "django-url-unresolved", "django-viewset-mapping"]
