"""The discovery index under each resource's `skills_index_url` and each share link's `url`,
and a share link's read-only git repository (`<url>.git`: no receive-pack; asking for it is a
403 at `info/refs`)."""

from django.urls import re_path

from api.routing import UUID_PATTERN
from skills.discovery import views
from skills.git import views as git_views

KEYED = rf"git/(?P<kind>skill_collections|skill_plugins|skill_marketplaces)/(?P<pk>{UUID_PATTERN})"
# Pinned forms, as `?version=` and `?label=` pin a zip download (a label may hold a `/`).
PINS = {
    "": "",
    "-version": r"/versions/(?P<number>[1-9][0-9]{0,9})",
    "-label": r"/labels/(?P<label>.+?)",
}
# A share link's token (the link's id in hex, a dot, its signature: skills/sharing.py), checked
# by the views: any other segment is a 404 there.
SHARED = r"share/(?P<token>[^/]+)"
SHARED_GIT = r"share/(?P<pk>[^/]+?)\.git"
SHARE = {"opener": views.share_opener}

DOCUMENTS = [
    (r"/\.well-known/agent-skills/index\.json", views.agent_skills_index, "agent-skills-index"),
    (r"/\.well-known/agent-skills/(?P<name>[a-z0-9-]{1,64})\.zip", views.archive, "agent-skill"),
    (r"/\.well-known/skills/index\.json", views.legacy_index, "legacy-skills-index"),
    (r"/\.well-known/skills/(?P<name>[a-z0-9-]{1,64})/(?P<path>.+)", views.legacy_file, None),
    # The `skills` CLI's `find` with SKILLS_API_URL=<base> (skills/find.py's shape).
    (r"/api/search", views.search, "skills-search"),
]

urlpatterns = [
    *(
        re_path(rf"^{KEYED}{pin}{suffix}$", view, name=name and f"{name}-keyed{pin_name}")
        for pin_name, pin in PINS.items()
        for suffix, view, name in DOCUMENTS
    ),
    *(
        re_path(rf"^{SHARED}{suffix}$", view, name=name and f"{name}-shared")
        for suffix, view, name in DOCUMENTS
    ),
    re_path(rf"^{SHARED_GIT}/info/refs$", git_views.info_refs, SHARE, name="share-git-info-refs"),
    re_path(
        rf"^{SHARED_GIT}/git-upload-pack$",
        git_views.upload_pack,
        SHARE,
        name="share-git-upload-pack",
    ),
]
