"""The orjson renderer writes the very bytes DRF's stdlib JSON renderer writes."""

import datetime
import decimal
import uuid

import pytest
from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer

from api.renderers import JsonApiRenderer, OrjsonRenderer
from tests.factories import MemberFactory, TeamFactory
from tests.skills.factories import SkillCollectionFactory

UTC = datetime.UTC


class StdlibJsonApiRenderer(JsonApiRenderer):
    use_orjson = False


AWKWARD = {
    "text": 'quote " backslash \\ slash / tab \t newline \n nul \x00 unit \x1f del \x7f',
    "unicode": "café 日本 \U0001f600 line\u2028para\u2029end",
    "numbers": [0, -1, 2**63 - 1, 1.5, 0.1, 100.0, True, False, None],
    "decimal": decimal.Decimal("12.50"),
    "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "datetime": datetime.datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
    "naive": datetime.datetime(2026, 1, 2, 3, 4, 5),
    "date": datetime.date(2026, 1, 2),
    "time": datetime.time(3, 4, 5, 123456),
    "delta": datetime.timedelta(seconds=90),
    "lazy": gettext_lazy("Not found."),
    "bytes": b"raw",
    "tuple": (1, "two"),
    "nested": {"a": [{"b": {}}, []], "": "empty key"},
}


def _stdlib(data, media_type="application/vnd.api+json", context=None) -> bytes:
    return JSONRenderer().render(data, media_type, context or {})


def test_awkward_values_render_byte_identical():
    assert OrjsonRenderer().render(AWKWARD, "application/json", {}) == _stdlib(AWKWARD)


def test_what_orjson_cannot_encode_falls_back_to_the_stdlib():
    data = {"huge": 2**70, 1: "int key"}
    assert OrjsonRenderer().render(data, "application/json", {}) == _stdlib(data)


def test_indent_falls_back_to_the_stdlib():
    media_type = "application/json; indent=2"
    assert OrjsonRenderer().render(AWKWARD, media_type, {}) == _stdlib(AWKWARD, media_type)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/api/skill_collections?page[size]=100&include=created_by",
        "/api/members?include=organization,teams",
        "/api/teams?include=members",
        "/api/organizations?include=members",
        "/api/members?sort=shoe_size",
    ],
)
def test_api_documents_are_those_of_the_stdlib_renderer(client, organization, url):
    team = TeamFactory(organization=organization, name='Équipe \u2028 "quoted"')
    for _ in range(3):
        MemberFactory(organization=organization).teams.add(team)
    SkillCollectionFactory(organization=organization, root_path="日本 \\ \n")
    response = client.get(url)
    reference = StdlibJsonApiRenderer().render(
        response.data, response.accepted_media_type, response.renderer_context
    )
    assert isinstance(response.accepted_renderer, JsonApiRenderer)
    assert response.content == reference


def test_renderer_is_orjson_and_its_one_known_difference_is_the_same_number():
    # The stdlib writes 1e-07 (and 1e-05 for 0.00001); both parse to the same float.
    assert JsonApiRenderer().render({"x": 1e-7}, "application/vnd.api+json", {}) == b'{"x":1e-7}'
