"""Full-text search: `filter[search]` on skills, collections, plugins and marketplaces, ranked;
`GET /api/search` in the `skills` CLI's shape. PostgreSQL uses its GIN indexes (the plan is
shown); SQLite gives the same answers, slower."""

import pytest
from django.db import connection

from skills.models import Skill
from skills.search import SEARCHED, search, search_vector
from tests.skills.factories import (
    SkillCollectionFactory,
    SkillMarketplaceFactory,
    SkillPluginFactory,
    create_version,
    skill_md,
)

pytestmark = pytest.mark.django_db


def md(name: str, description: str, body: str) -> str:
    return skill_md(name, description) + f"\n{body}\n"


@pytest.fixture
def library(organization):
    collection = SkillCollectionFactory(organization=organization, name="Docs tools")
    create_version(
        collection,
        {
            "pdf-forms/SKILL.md": md(
                "pdf-forms", "Fill PDF forms.", "Uses pypdf to read and write invoices."
            ),
            "invoice-writer/SKILL.md": md(
                "invoice-writer", "Writes invoices for customers.", "Totals and taxes."
            ),
            "slides/SKILL.md": md("slides", "Builds slide decks.", "Keynote and PowerPoint."),
        },
    )
    return collection


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["attributes"]["name"] for item in response.json()["data"]]


def test_skills_are_found_by_name_description_and_body_ranked(client, library):
    # The name match ranks above the match in another skill's instructions.
    assert names(client.get("/api/skills?filter[search]=invoice")) == [
        "invoice-writer",
        "pdf-forms",
    ]
    assert names(client.get("/api/skills?filter[search]=powerpoint")) == ["slides"]
    # Every word must match.
    assert names(client.get("/api/skills?filter[search]=pdf invoices")) == ["pdf-forms"]
    assert names(client.get("/api/skills?filter[search]=nothing-like-this")) == []


def test_an_explicit_sort_wins_over_the_rank(client, library):
    response = client.get("/api/skills?filter[search]=invoice&sort=name")
    assert names(response) == ["invoice-writer", "pdf-forms"]
    response = client.get("/api/skills?filter[search]=invoice&sort=-name")
    assert names(response) == ["pdf-forms", "invoice-writer"]


def test_search_is_tenant_scoped(client, other_client, library):
    assert names(other_client.get("/api/skills?filter[search]=invoice")) == []


def test_collections_plugins_and_marketplaces_are_searched_by_their_own_text(
    client, organization, library
):
    SkillPluginFactory(organization=organization, name="billing-kit", description="Invoices.")
    SkillPluginFactory(organization=organization, name="deck-kit", description="Slides.")
    SkillMarketplaceFactory(organization=organization, name="finance", description="Billing.")
    assert names(client.get("/api/skill_plugins?filter[search]=invoices")) == ["billing-kit"]
    assert names(client.get("/api/skill_marketplaces?filter[search]=billing")) == ["finance"]
    assert names(client.get("/api/skill_collections?filter[search]=docs")) == ["Docs tools"]


def test_an_unknown_search_predicate_is_a_400(client, library):
    response = client.get("/api/skills?filter[search.cont]=pdf")
    assert response.status_code == 400
    assert response.json()["errors"][0]["source"]["parameter"] == "filter[search.cont]"


def test_the_skills_cli_search_shape(client, library):
    response = client.get("/api/search?q=invoice&limit=1")
    assert response.status_code == 200
    [found] = response.json()["skills"]
    assert found["name"] == "invoice-writer"
    assert found["installs"] == 0
    assert found["source"].endswith(".git")
    assert found["id"] == str(Skill.objects.get(name="invoice-writer").pk)
    assert client.get("/api/search?q=").json() == {"skills": []}


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "limit=x", "q=a&page=2"])
def test_the_skills_cli_search_refuses_bad_parameters(client, library, query):
    response = client.get(f"/api/search?{query}")
    assert response.status_code == 400
    assert response.json()["errors"][0]["source"]["parameter"]


def test_the_skills_cli_search_needs_a_key(library, settings):
    from django.test import Client

    response = Client().get("/api/search?q=invoice")
    assert response.status_code == 401
    assert response.json()["errors"][0]["status"] == "401"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the GIN indexes are PostgreSQL's")
@pytest.mark.parametrize("model", list(SEARCHED))
def test_postgresql_searches_through_the_gin_index(model, organization, library):
    """The index is built on exactly the expression a search filters on: with sequential scans
    priced out (as a million rows would), the plan is a bitmap scan of that index."""
    queryset = search(model.objects.all(), "invoice")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = queryset.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    index = {
        "Skill": "skill_search",
        "SkillCollection": "skill_collection_search",
        "SkillPlugin": "skill_plugin_search",
        "SkillMarketplace": "skill_marketplace_search",
    }[model.__name__]
    assert f"Bitmap Index Scan on {index}" in plan, plan
    assert search_vector(SEARCHED[model])  # the expression the migration froze
