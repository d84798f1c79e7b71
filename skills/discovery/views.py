"""The discovery index over HTTP: `GET`/`HEAD` of `<base>/.well-known/agent-skills/index.json`,
`<base>/.well-known/agent-skills/<name>.zip`, `<base>/.well-known/skills/index.json` and
`<base>/.well-known/skills/<name>/<path>`, where `<base>` is a resource's `skills_index_url`
(`/git/<type>/<id>`, optionally `/versions/<n>` or `/labels/<label>` for a collection; the API
key as for its git URL) or a share link's `url` (`/share/<token>`, no other credential, the
link's own pin). Anything not there is a 404 JSON:API error document; no root index exists.
"""

import functools
import mimetypes
from dataclasses import dataclass

import orjson
from django.db import transaction
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.views.decorators.csrf import csrf_exempt

from api.exceptions import error_response
from api.methods import allow
from core.errors import NotFound
from events.conf import events_conf
from skills import find, selectors, sharing
from skills.blobs import read_content
from skills.bundles.layouts import BundleError
from skills.discovery import archives, index
from skills.git import views as git_views
from skills.models import SkillCollection, SkillCollectionVersion, SkillMarketplace, SkillPlugin
from skills.validation import SKILL_FILE

CACHE_CONTROL = "private, no-cache"
MARKDOWN = "text/markdown; charset=utf-8"


class Missing(Exception):
    """What the request names is not there: a 404."""


@dataclass(frozen=True)
class Served:
    target: SkillCollection | SkillPlugin | SkillMarketplace
    version: SkillCollectionVersion | None = None  # a collection's pinned version


def _pinned(collection: SkillCollection, number: int | None, label: str | None):
    try:
        return selectors.pinned_version(collection, number, label)
    except NotFound as error:
        raise Missing(error.detail) from None


def keyed(request: HttpRequest, kind: str, pk: str, number=None, label=None):
    """The resource the request's API key may read, as the git URL's views check it (401, 429,
    404), with the pin of the path; returns an error response or what is served."""
    error, target = git_views.open_target(request, pk, kind)
    if error is not None:
        return error, None
    if number is None and label is None:
        return None, Served(target)
    if not isinstance(target, SkillCollection):
        raise Missing("Only a skill collection has versions and release labels.")
    number = int(number) if number is not None else None
    return None, Served(target, _pinned(target, number, label))


def shared(request: HttpRequest, token: str):
    """The one resource a live share link names, with the link's pin."""
    link = sharing.live_link(token)
    if link is None:
        raise Missing("This share link does not exist, was revoked or has expired.")
    target = link.target
    if link.version is None and link.label is None:
        return None, Served(target)
    return None, Served(target, _pinned(target, link.version, link.label))


def share_opener(request: HttpRequest, pk: str, kind: str = "", *, write: bool = False):
    """`skills.git.views` opener for `<share url>.git`: read-only, the link's one resource (a
    pinned link's history ends at its version)."""
    if write:
        return error_response(
            403, "read_only_repository", "A share link is read-only: it cannot push."
        ), None
    try:
        _, served = shared(request, pk)
    except Missing as error:
        return error_response(404, "not_found", str(error)), None
    if served.version is not None:
        served.target._pinned_version = served.version
    request.git_tenant = served.target.tenant
    return None, served.target


def _well_known(view):
    """GET and HEAD only; `keyed` or `shared` finds what is served; Missing and a name clash
    become JSON:API errors; HEAD answers the headers without the body."""

    # Reads (and an idempotent insert of what an archive is): no request transaction, which on
    # SQLite (BEGIN IMMEDIATE) would queue a client's parallel archive downloads one by one.
    @transaction.non_atomic_requests
    @csrf_exempt
    @functools.wraps(view)
    @allow("GET")  # and HEAD; OPTIONS from the route (api/methods.py)
    def wrapped(request: HttpRequest, token: str | None = None, **kwargs) -> HttpResponse:
        locator = {name: kwargs.pop(name, None) for name in ("kind", "pk", "number", "label")}
        try:
            error, served = shared(request, token) if token else keyed(request, **locator)
            if error is not None:
                return error
            response = view(request, served, **kwargs)
        except Missing as error:
            return error_response(404, "not_found", str(error))
        except BundleError as error:
            return error_response(409, "conflict", str(error))
        response["Cache-Control"] = CACHE_CONTROL
        if request.method == "HEAD" and not isinstance(response, StreamingHttpResponse):
            if not response.has_header("Content-Length"):
                response["Content-Length"] = str(len(response.content))
            response.content = b""
        return response

    return wrapped


def _json(document: dict) -> HttpResponse:
    return HttpResponse(orjson.dumps(document), content_type="application/json")


def _skill(served: Served, name: str) -> archives.SkillFiles:
    for skill in index.served_skills(served.target, served.version):
        if skill.name == name:
            return skill
    raise Missing(f"No skill named '{name}' is served here.")


@_well_known
def agent_skills_index(request: HttpRequest, served: Served) -> HttpResponse:
    return _json(index.index_v2(index.served_skills(served.target, served.version)))


@_well_known
def legacy_index(request: HttpRequest, served: Served) -> HttpResponse:
    return _json(index.index_v1(index.served_skills(served.target, served.version)))


@_well_known
def archive(request: HttpRequest, served: Served, name: str) -> HttpResponse:
    skill = _skill(served, name)
    if request.method == "HEAD":
        kept = archives.describe([skill])[skill.key]
        response = HttpResponse(content_type="application/zip")
        sha256, size = kept.sha256, kept.size
    else:
        built = archives.archive_for_download(skill)
        sha256, size = built.sha256, built.size
        etag = f'"{sha256}"'
        if etag in [tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")]:
            built.file.close()
            response = HttpResponse(status=304)
            response["ETag"] = etag
            return response
        response = StreamingHttpResponse(built.chunks(), content_type="application/zip")
    response["Content-Length"] = str(size)
    response["ETag"] = f'"{sha256}"'
    response["Content-Disposition"] = f'attachment; filename="{name}.zip"'
    return response


def _file_type(path: str, content: bytes) -> str:
    """SKILL.md as Markdown; other text as plain text and the rest as bytes, whatever the
    name says (a skill's `.html` must not render as a page of this origin)."""
    if path == SKILL_FILE:
        return MARKDOWN
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return "application/octet-stream"
    guessed = mimetypes.guess_type(path)[0] or ""
    return MARKDOWN if guessed == "text/markdown" else "text/plain; charset=utf-8"


@_well_known
def legacy_file(request: HttpRequest, served: Served, name: str, path: str) -> HttpResponse:
    skill = _skill(served, name)
    entry = next((entry for entry in skill.entries if entry.path == path), None)
    if entry is None:
        raise Missing(f"The skill '{name}' has no file '{path}'.")
    content = read_content(entry.storage_name)
    response = HttpResponse(content, content_type=_file_type(path, content))
    response["ETag"] = f'"{entry.sha256}"'
    return response


SEARCH_SUFFIX = "/api/search"


@_well_known
def search(request: HttpRequest, served: Served) -> HttpResponse:
    """`<base>/api/search?q=&limit=`: the `skills` CLI's `find` with `SKILLS_API_URL=<base>`,
    over the skills `<base>` serves; each result's `source` is `<base>`, which `skills add`
    installs from."""
    try:
        text, limit = find.parameters(request.GET)
    except find.BadParameter as error:
        source = {"parameter": error.parameter}
        return error_response(400, "invalid_parameter", error.detail, source)
    base = events_conf.PUBLIC_URL.rstrip("/") + request.path.removesuffix(SEARCH_SUFFIX)
    rows = index.served_skill_rows(served.target, served.version)
    return _json(find.answer(rows, text, limit, lambda skill: base))
