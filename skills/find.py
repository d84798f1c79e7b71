"""`GET /api/search?q=&limit=`: the search the `skills` CLI's `find` sends to `SKILLS_API_URL`,
answered in its shape, `{"skills": [{"id", "name", "source", "installs"}]}`.

`source` is what `skills add` takes (the collection's git URL); Skillport counts no installs,
so `installs` is 0. Errors are JSON:API error objects under `errors`.
"""

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


def _limit(raw: str | None) -> int:
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise InvalidQueryParameter("limit", f"'limit' is a whole number from 1 to {MAX_LIMIT}.")
    return int(raw)


class SkillSearchView(TenantScopedMixin, generics.GenericAPIView):
    queryset = Skill.objects.select_related("skill_collection")
    renderer_classes = [JSONRenderer]
    schema = None  # not JSON:API: the skills CLI's shape, documented in docs/guides/search.md

    def get(self, request):
        unknown = set(request.query_params) - {"q", "limit", "owner"}
        if unknown:
            name = sorted(unknown)[0]
            raise InvalidQueryParameter(name, f"'{name}' is not a parameter of the search.")
        text = request.query_params.get("q", "").strip()
        limit = _limit(request.query_params.get("limit"))
        if not text:
            return Response({"skills": []})
        found = search(self.get_queryset(), text).order_by("-search_rank", "id")[:limit]
        return Response(
            {
                "skills": [
                    {
                        "id": str(skill.pk),
                        "name": skill.name,
                        "description": skill.description,
                        "source": git.git_url(skill.skill_collection),
                        "installs": 0,
                    }
                    for skill in found
                ]
            }
        )

    def handle_exception(self, exc: Exception) -> Response:
        response = super().handle_exception(exc)
        if isinstance(response.data, list):
            response.data = {"errors": response.data}
        return response
