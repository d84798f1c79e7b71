"""`GET /api/search?q=&limit=`: the search the `skills` CLI's `find` sends to `SKILLS_API_URL`,
answered in its shape, `{"skills": [{"id", "name", "source", "installs"}]}`.

Keyed, it searches the key's whole tenant and `source` is each skill's collection git URL; under
a share link (`SKILLS_API_URL=<share url>`, no key: the CLI sends none) it searches the skills the
link serves and `source` is the share URL, which `skills add` installs from. Skillport counts no
installs, so `installs` is 0. Errors are JSON:API error objects under `errors`.
"""

from collections.abc import Callable, Mapping

from django.db.models import QuerySet
from rest_framework import generics
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from api.exceptions import InvalidQueryParameter
from api.views import TenantScopedMixin
from skills.git import objects as git
from skills.models import Skill
from skills.search import search

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
PARAMETERS = {"q", "limit", "owner"}  # `owner` (a GitHub owner) is sent by the CLI, ignored


class BadParameter(ValueError):
    def __init__(self, parameter: str, detail: str):
        super().__init__(detail)
        self.parameter, self.detail = parameter, detail


def parameters(query: Mapping[str, str]) -> tuple[str, int]:
    """The search text and the limit, or BadParameter naming the parameter."""
    unknown = sorted(set(query) - PARAMETERS)
    if unknown:
        raise BadParameter(unknown[0], f"'{unknown[0]}' is not a parameter of the search.")
    raw = query.get("limit") or ""
    if raw and (not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT):
        raise BadParameter("limit", f"'limit' is a whole number from 1 to {MAX_LIMIT}.")
    return query.get("q", "").strip(), int(raw) if raw else DEFAULT_LIMIT


def answer(queryset: QuerySet, text: str, limit: int, source: Callable[[Skill], str]) -> dict:
    """The CLI's document: the best `limit` matches of `text` among `queryset`'s skills."""
    if not text:
        return {"skills": []}
    found = search(queryset, text).order_by("-search_rank", "id")[:limit]
    return {
        "skills": [
            {
                "id": str(skill.pk),
                "name": skill.name,
                "description": skill.description,
                "source": source(skill),
                "installs": 0,
            }
            for skill in found
        ]
    }


class SkillSearchView(TenantScopedMixin, generics.GenericAPIView):
    queryset = Skill.objects.select_related("skill_collection")
    renderer_classes = [JSONRenderer]
    schema = None  # not JSON:API: the skills CLI's shape, documented in docs/guides/search.md

    def get(self, request):
        try:
            text, limit = parameters(request.query_params)
        except BadParameter as error:
            raise InvalidQueryParameter(error.parameter, error.detail) from None
        source = lambda skill: git.git_url(skill.skill_collection)  # noqa: E731
        return Response(answer(self.get_queryset(), text, limit, source))

    def handle_exception(self, exc: Exception) -> Response:
        response = super().handle_exception(exc)
        if isinstance(response.data, list):
            response.data = {"errors": response.data}
        return response
