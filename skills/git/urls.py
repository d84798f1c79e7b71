from django.urls import re_path

from api.routing import UUID_PATTERN
from skills.git import views as git_views

# `git clone <public url>/git/skill_collections/<collection id>.git` (and plugins, marketplaces)
BUNDLES = "(?P<kind>skill_plugins|skill_marketplaces)"

urlpatterns = [
    re_path(
        rf"^skill_collections/(?P<pk>{UUID_PATTERN})\.git/info/refs$",
        git_views.info_refs,
        name="git-info-refs",
    ),
    re_path(
        rf"^skill_collections/(?P<pk>{UUID_PATTERN})\.git/git-upload-pack$",
        git_views.upload_pack,
        name="git-upload-pack",
    ),
    re_path(
        rf"^skill_collections/(?P<pk>{UUID_PATTERN})\.git/git-receive-pack$",
        git_views.receive_pack,
        name="git-receive-pack",
    ),
    re_path(
        rf"^{BUNDLES}/(?P<pk>{UUID_PATTERN})\.git/info/refs$",
        git_views.info_refs,
        name="git-bundle-info-refs",
    ),
    re_path(
        rf"^{BUNDLES}/(?P<pk>{UUID_PATTERN})\.git/git-upload-pack$",
        git_views.upload_pack,
        name="git-bundle-upload-pack",
    ),
]
