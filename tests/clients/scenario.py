"""The one scenario every client runs, and what it must observe.

1. list skills with a filter, a sort and an include, one per page: `release-notes` first
   (`sort=-name`), its skill collection `support` included;
2. follow `links.next`: `pdf-tools`;
3. fetch one resource: the included skill collection, by id;
4. create a plugin `client-<name>` (version 1.0.0), 5. update it (version 1.1.0),
6. delete it (then fetching it is a 404 the client reports);
7. read a relationship: the demo plugin's `skills`;
8. handle an error document: creating a plugin named `Not Kebab` is a 422 whose error points
   at `/data/attributes/name`.
"""

from __future__ import annotations

LIST_QUERY = {
    "filter[name.in]": "pdf-tools,release-notes",
    "sort": "-name",
    "include": "skill_collection",
    "page[size]": "1",
}
BAD_NAME = "Not Kebab"


def expected(live, name: str) -> dict:
    return {
        "page1": ["release-notes"],
        "included": ["support"],
        "page2": ["pdf-tools"],
        "fetched": "support",
        "created": f"client-{name}",
        "updated": "1.1.0",
        "deleted": 404,
        "relationship": list(live.skill_ids),
        "error": {"status": "422", "pointer": "/data/attributes/name"},
    }
