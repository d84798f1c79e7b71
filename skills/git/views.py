"""Git smart HTTP (protocol v0/v1) for skill collections, plugins and marketplaces (`kind`:
their resource type), with dulwich's protocol handling: `GET <repo>/info/refs?service=
git-upload-pack` and `POST <repo>/git-upload-pack` (clone, fetch) for all three, and
`GET <repo>/info/refs?service=git-receive-pack` and `POST <repo>/git-receive-pack` (push, which
creates a version: skills/git/push.py) for collections; plugins and marketplaces are read-only.

Same API keys, tenancy gate and rate limits as the JSON:API: `Authorization: Bearer <key>` (git
`http.extraHeader`) or HTTP Basic with the key as password (any user name); no credentials is a
401 with a Basic challenge so git asks for them; another organization's or mode's repository
is a 404.
"""

import base64
import binascii
import functools
import gzip
import io
import itertools
import math
import uuid
import zlib
from collections.abc import Iterator

import orjson
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.views.decorators.csrf import csrf_exempt
from dulwich.errors import GitProtocolError
from dulwich.protocol import ReceivableProtocol
from dulwich.server import Backend

from api.exceptions import error_response
from api.methods import allow
from core import metrics
from organizations.authentication import active_key, raw_key_from_request
from organizations.models import ApiKey
from organizations.permissions import may_write, refusal
from organizations.throttling import consume
from skills.bundles.layouts import BundleError
from skills.git import objects
from skills.git import pack as git_pack
from skills.git import push as git_push
from skills.git import repositories as git
from skills.models import SkillCollection, SkillMarketplace, SkillPlugin

SERVICE = "git-upload-pack"
CHALLENGE = 'Basic realm="Skillport"'


class BadGitRequest(Exception):
    pass


class _OneRepoBackend(Backend):
    """The repository built for this request, whatever path the handler asks for."""

    def __init__(self, repo):
        self.repo = repo

    def open_repository(self, path):
        return self.repo


def _raw_key(request: HttpRequest) -> str | None:
    scheme, _, credentials = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.partition(":")[2].strip() or None
    return raw_key_from_request(request)


def _unauthorized(detail: str) -> HttpResponse:
    return error_response(401, "not_authenticated", detail, WWW_Authenticate=CHALLENGE)


# Each kind of repository and the tenant's rows of it that can be read.
REPOSITORIES = {
    "skill_collections": lambda tenant: SkillCollection.objects.for_tenant(tenant).alive(),
    "skill_plugins": lambda tenant: SkillPlugin.objects.for_tenant(tenant),
    "skill_marketplaces": lambda tenant: SkillMarketplace.objects.for_tenant(tenant),
}


def _open(
    request: HttpRequest, pk: str, kind: str = "skill_collections", *, write: bool = False
) -> tuple[HttpResponse | None, SkillCollection | SkillPlugin | SkillMarketplace | None]:
    """The collection, plugin or marketplace the key may read (and, with `write`, push to), or
    the error response (401, 429, 403 for a read-only key, 404)."""
    raw_key = _raw_key(request)
    if raw_key is None:
        return _unauthorized("Authentication credentials were not provided."), None
    key: ApiKey | None = active_key(raw_key)
    if key is None:
        return _unauthorized("The API key is not valid or was revoked."), None
    # Counted like an API request; the rate-limit middleware adds the RateLimit-* headers.
    usage = consume(request, key)
    if usage is not None and not usage.allowed:
        wait = str(max(1, math.ceil(usage.reset_in() or 1)))
        detail = f"Request was throttled. Expected available in {wait} seconds."
        return error_response(429, "throttled", detail, Retry_After=wait), None
    if write and not may_write(key):
        # The same rule as the API's (organizations/permissions.py), before anything is read.
        return error_response(*refusal()), None
    try:
        collection_id = uuid.UUID(pk)
    except ValueError:
        collection_id = None  # matches the URL pattern but is no UUID: nothing there
    collection = (
        REPOSITORIES[kind](key.tenant).filter(pk=collection_id).first() if collection_id else None
    )
    if collection is None:
        return error_response(404, "not_found", "The requested resource does not exist."), None
    request.git_tenant = key.tenant
    # Who a push acts as, as DRF would set them: events record the member and the key's mode.
    request.user, request.auth = key.member, key
    return None, collection


def _run(request: HttpRequest, collection, recv, advertise: bool) -> Iterator[bytes]:
    """The response body: dulwich's negotiation lines, then the pack (if one is sent), streamed
    object by object so memory holds one object, not the pack (skills/git/pack.py)."""
    output = io.BytesIO()
    repo = git.build_repo(collection, request.git_tenant)
    proto = ReceivableProtocol(recv, output.write)
    handler = git_pack.StreamingUploadPack(
        _OneRepoBackend(repo),
        [objects.git_path(collection)],
        proto,
        stateless_rpc=True,
        advertise_refs=advertise,
    )
    if advertise:
        proto.write_pkt_line(f"# service={SERVICE}\n".encode())
        proto.write_pkt_line(None)
    try:
        handler.handle()
    except (GitProtocolError, KeyError, ValueError) as error:
        # A malformed or impossible negotiation (bad pkt-line, unknown object, missing
        # capability) is the client's mistake.
        raise BadGitRequest(str(error) or type(error).__name__) from error
    yield output.getvalue()
    if handler.pack_objects is not None:
        yield from git_pack.pack_lines(repo.object_store._data, handler.pack_objects)


def _git_response(body: bytes | Iterator[bytes], kind: str, service: str = SERVICE) -> HttpResponse:
    content_type = f"application/x-{service}-{kind}"
    response = (
        HttpResponse(body, content_type=content_type)
        if isinstance(body, bytes)
        else StreamingHttpResponse(body, content_type=content_type)
    )
    response["Cache-Control"] = "no-cache, max-age=0, must-revalidate"
    return response


def _unlayoutable(error: BundleError) -> HttpResponse:
    # A plugin whose skills collide cannot be a repository, as it cannot be a zip.
    return error_response(409, "conflict", str(error))


def _read_only(kind: str) -> HttpResponse:
    # A plugin or marketplace is built from its skills: publish by pushing to a collection.
    return error_response(
        403,
        "read_only_repository",
        f"{kind} repositories are read-only: push to a skill collection's repository.",
    )


def _errors_git_prints(view):
    """git prints an error answer's body (as `remote:` lines) only when it is `text/plain`
    (remote-curl.c, show_http_message): git itself (User-Agent `git/...`) gets the error
    document's details that way, so a refused push or a 404 says why; other clients get the
    JSON:API document."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code < 400 or not request.headers.get("User-Agent", "").startswith(
            "git/"
        ):
            return response
        details = [error["detail"] for error in orjson.loads(response.content)["errors"]]
        plain = HttpResponse(
            "".join(f"{detail}\n" for detail in details),
            status=response.status_code,
            content_type="text/plain; charset=utf-8",
        )
        for name, value in response.items():
            if name.lower() not in ("content-type", "content-length"):
                plain[name] = value
        return plain

    return wrapped


# Who may read (or push to) a repository: `open_target` checks an API key; a share link's
# repository (skills/discovery/urls.py) names its own opener, which checks the link instead.
open_target = _open


@csrf_exempt
@_errors_git_prints
@allow("GET")
def info_refs(
    request: HttpRequest, pk: str, kind: str = "skill_collections", opener=open_target
) -> HttpResponse:
    service = request.GET.get("service")
    if service not in (SERVICE, git_push.SERVICE):
        # Only the smart protocol: the dumb one would list files by path.
        return error_response(
            403,
            "unsupported_service",
            f"Only service={SERVICE} or service={git_push.SERVICE} (smart HTTP) is served.",
        )
    pushing = service == git_push.SERVICE
    error, collection = opener(request, pk, kind, write=pushing)
    if error is not None:
        return error
    if pushing:
        if kind != "skill_collections":
            return _read_only(kind)
        repo = git.build_repo(collection, request.git_tenant)
        advertisement = git_push.receive(repo, collection, request.user, None)
        return _git_response(advertisement, "advertisement", git_push.SERVICE)
    try:
        advertisement = b"".join(_run(request, collection, io.BytesIO().read, True))
    except BundleError as error:
        return _unlayoutable(error)
    return _git_response(advertisement, "advertisement")


@csrf_exempt
@_errors_git_prints
@allow("POST")
def upload_pack(
    request: HttpRequest, pk: str, kind: str = "skill_collections", opener=open_target
) -> HttpResponse:
    error, collection = opener(request, pk, kind)
    if error is not None:
        return error
    if request.content_type != f"application/x-{SERVICE}-request":
        return error_response(415, "unsupported_media_type", "Not a git-upload-pack request.")
    limit = objects.max_request_body()
    body = request.read(limit + 1)
    if request.META.get("HTTP_CONTENT_ENCODING", "").lower() == "gzip":
        # git gzips large negotiation requests; inflate at most `limit` bytes.
        try:
            inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
            body = inflater.decompress(body, limit + 1)
        except (zlib.error, gzip.BadGzipFile):
            return error_response(400, "bad_request", "The gzip request body is corrupt.")
    if len(body) > limit:
        return error_response(
            413, "request_too_large", f"A git-upload-pack request is at most {limit} bytes."
        )
    result = _run(request, collection, io.BytesIO(body).read, False)
    try:
        # The negotiation runs here, before the response starts; the pack follows, streamed.
        negotiation = next(result)
    except BadGitRequest as error:
        return error_response(400, "bad_request", f"Not a valid git-upload-pack request: {error}")
    except BundleError as error:
        return _unlayoutable(error)
    metrics.GIT_OPERATIONS.labels(SERVICE).inc()
    return _git_response(_counted(itertools.chain([negotiation], result)), "result")


def _counted(chunks: Iterator[bytes], service: str = SERVICE) -> Iterator[bytes]:
    """The body as it is streamed, its bytes counted (upload-pack's pack, sent)."""
    sent = metrics.GIT_BYTES.labels(service, "sent")
    for chunk in chunks:
        sent.inc(len(chunk))
        yield chunk


def _read_body(request: HttpRequest, limit: int) -> bytes:
    """At most `limit + 1` bytes of the body; git sends pushes over `http.postBuffer` chunked,
    which the WSGI server (gunicorn) decodes but Django does not read without a length."""
    if "CONTENT_LENGTH" not in request.META and request.META.get("wsgi.input_terminated"):
        return request.META["wsgi.input"].read(limit + 1)
    return request.read(limit + 1)


@csrf_exempt
@_errors_git_prints
@allow("POST")
def receive_pack(request: HttpRequest, pk: str) -> HttpResponse:
    error, collection = _open(request, pk, write=True)
    if error is not None:
        return error
    if request.content_type != f"application/x-{git_push.SERVICE}-request":
        return error_response(415, "unsupported_media_type", "Not a git-receive-pack request.")
    limit = git_push.max_push_body()
    body = _read_body(request, limit)
    if len(body) > limit:
        return error_response(
            413, "request_too_large", f"A git-receive-pack request is at most {limit} bytes."
        )
    metrics.GIT_OPERATIONS.labels(git_push.SERVICE).inc()
    metrics.GIT_BYTES.labels(git_push.SERVICE, "received").inc(len(body))
    repo = git.build_repo(collection, request.git_tenant)
    try:
        result = git_push.receive(repo, collection, request.user, body)
    except git_push.BadPushRequest as error:
        return error_response(400, "bad_request", f"Not a valid git-receive-pack request: {error}")
    return _git_response(result, "result", git_push.SERVICE)
