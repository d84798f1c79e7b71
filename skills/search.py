"""Full-text search over the registry's own text, ranked.

PostgreSQL: a weighted `tsvector` per type (name A, description B, body C), matched with
`websearch_to_tsquery` and ranked with `ts_rank`; migration 0008 builds a GIN index on exactly
these expressions, so a search is an index scan, not a sequential one. SQLite has no full-text
index that Django speaks: every word of the query must appear (case-insensitive) in one of the
fields, and the rank is the sum of the weights of the fields that hold each word — correct,
slower, for one machine.
"""

from collections.abc import Sequence

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connections
from django.db.models import Case, F, FloatField, Model, Q, QuerySet, Value, When
from django.db.models.functions import Cast

from skills.models import Skill, SkillCollection, SkillMarketplace, SkillPlugin

CONFIG = "english"
# PostgreSQL's default weights for A, B, C; the SQLite ranking uses the same.
WEIGHTS = {"A": 1.0, "B": 0.4, "C": 0.2}
# The fields searched per type, with their weight. Migration 0008 indexes these expressions:
# change both together.
SEARCHED: dict[type[Model], Sequence[tuple[str, str]]] = {
    Skill: (("name", "A"), ("description", "B"), ("body", "C")),
    SkillCollection: (("name", "A"), ("root_path", "B")),
    SkillPlugin: (("name", "A"), ("description", "B")),
    SkillMarketplace: (("name", "A"), ("description", "B")),
}
# Words of a query taken into account on SQLite (each one is a LIKE over every field).
MAX_TERMS = 16


def search_vector(fields: Sequence[tuple[str, str]]) -> SearchVector:
    vector = None
    for name, weight in fields:
        part = SearchVector(name, weight=weight, config=CONFIG)
        vector = part if vector is None else vector + part
    return vector


def search(queryset: QuerySet, text: str) -> QuerySet:
    """`queryset` narrowed to rows matching `text`, annotated with `search_rank`."""
    fields = SEARCHED[queryset.model]
    if connections[queryset.db].vendor == "postgresql":
        vector = search_vector(fields)
        query = SearchQuery(text, search_type="websearch", config=CONFIG)
        return (
            queryset.annotate(search_document=vector)
            .filter(search_document=query)
            # ts_rank is a `real`, read back rounded to its shortest text: as a double it reads
            # back exactly, so a cursor holding it compares equal to the row it came from.
            .annotate(search_rank=Cast(SearchRank(F("search_document"), query), FloatField()))
        )
    terms = text.split()[:MAX_TERMS]
    if not terms:
        return queryset.none()
    rank = Value(0.0, output_field=FloatField())
    for term in terms:
        queryset = queryset.filter(
            Q.create([(f"{name}__icontains", term) for name, _ in fields], connector=Q.OR)
        )
        for name, weight in fields:
            rank = rank + Case(
                When(**{f"{name}__icontains": term}, then=Value(WEIGHTS[weight])),
                default=Value(0.0),
                output_field=FloatField(),
            )
    return queryset.annotate(search_rank=rank)
