"""Schemathesis on `POST /api/operations` alone, with more examples than the whole-document run
(tests/api/test_openapi_conformance.py) gives each operation: no server error, every answer as
documented (status, media type, schema)."""

import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import given

from tests.api.test_openapi_conformance import CHECKS, bounded, seeded  # noqa: F401  (fixture)
from tests.conftest import JsonApiClient

EXAMPLES = 40


def test_the_operations_endpoint_answers_as_documented(seeded):  # noqa: F811
    document = JsonApiClient().get("/api/openapi.json", HTTP_ACCEPT="application/json").json()
    schema = schemathesis.openapi.from_dict(document)
    schema.app = get_wsgi_application()
    [operation] = [
        result.ok()
        for result in schema.get_all_operations()
        if result.ok().path == "/api/operations" and result.ok().method.upper() == "POST"
    ]

    @given(case=operation.as_strategy())
    @bounded(EXAMPLES)
    def call(case):
        case.call_and_validate(headers=seeded.headers, checks=CHECKS)

    call()
