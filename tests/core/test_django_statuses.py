"""The success status of Django/DRF handlers that choose their own (tests/fixtures/apps/django_statuses):
`return Response(..., status=status.HTTP_201_CREATED)` in an `@action`, an APIView or a function view is
the endpoint's status, and the generated happy-path tests expect it, not 200."""

from __future__ import annotations

from pathlib import Path

import pytest
from seamline.core.analyze.scan import scan
from seamline.core.generate.tests import plan_tests

ROOT = Path(__file__).parent.parent / "fixtures" / "apps" / "django_statuses"


@pytest.fixture(scope="module")
def project():
    return scan(ROOT)


def test_a_handler_s_own_success_status_is_the_endpoint_s(project):
    got = {e.key: e.status_code for e in project.endpoints}
    assert got == {
        "GET /": None,
        "POST /import/": 201,  # APIView.post: Response(data, status=status.HTTP_201_CREATED)
        "GET /notes/": None,
        "POST /notes/": 201,  # an overriding create that returns super().create(...): still DRF's 201
        "GET /notes/count/": None,  # @action answering Response(data): 200
        "DELETE /notes/{pk}/": 204,
        "GET /notes/{pk}/": None,
        "PATCH /notes/{pk}/": None,
        "PUT /notes/{pk}/": None,  # an overriding update answering Response(data)
        "POST /notes/{pk}/archive/": 204,  # Response(status=204)
        "POST /notes/{pk}/copy/": 201,  # Response(data, 201)
        "POST /notes/{pk}/export/": 201,  # the 409 branch before it is not a success status
        "POST /ping/": 202,  # JsonResponse(data, status=202) in an @api_view
    }


def test_the_happy_path_tests_expect_the_handler_s_status(project):
    happy = {c.endpoint: c.expect_status for s in plan_tests(project, root=ROOT) for m in s.modules
             for c in m.cases if c.kind == "happy"}
    assert happy["POST /notes/{pk}/export/"] == 201
    assert happy["POST /notes/{pk}/archive/"] == 204
    assert happy["POST /notes/{pk}/copy/"] == 201
    assert happy["POST /import/"] == 201
    assert happy["POST /notes/"] == 201
    assert happy["POST /ping/"] == 202
    assert happy["GET /notes/count/"] == 200
