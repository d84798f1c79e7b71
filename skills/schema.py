"""The skills endpoints the OpenAPI document gets by hand: a version upload, a version's diff,
PromptLayer's public envelope, and the git repositories (registered in `SkillsConfig.ready()`)."""

import copy

from api.negotiation import JSON_API_MEDIA_TYPE
from api.schema import (
    ERROR_DESCRIPTIONS,
    KEY_SECURITY,
    LINK,
    META_SCHEMA,
    PATH_ID,
    ZIP_CONTENT,
    build_operation,
    document,
    error_responses,
    linkage,
    path_parameter,
    register_paths,
)

_PIN = [
    {
        "name": "version",
        "in": "query",
        "schema": {"type": "integer", "minimum": 1},
        "description": "Pin a version number (not with `label`).",
    },
    {
        "name": "label",
        "in": "query",
        "schema": {"type": "string"},
        "description": "Pin the version carrying this release label (not with `version`).",
    },
]

PUBLIC_ENVELOPE = {
    "type": "object",
    "description": "PromptLayer's skill collection envelope.",
    "required": ["success"],
    "properties": {
        "success": {"type": "boolean"},
        "skill_collection": {"type": "object"},
        "version": {"type": "object", "nullable": True},
        "files": {"type": "object", "additionalProperties": {"type": "string"}},
        "message": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object"}},
    },
}

_NULLABLE_INTEGER = {"type": "integer", "minimum": 0, "nullable": True}
_NULLABLE_SHA256 = {"type": "string", "pattern": "^[0-9a-f]{64}$", "nullable": True}
_VERSION_LINKAGE = {
    "type": "object",
    "required": ["data"],
    "properties": {
        "data": linkage("skill_collection_versions", many=False),
        "links": {"type": "object", "properties": {"related": LINK}},
    },
}
VERSION_DIFF = {
    "type": "object",
    "description": (
        "What changed from `against_version` (null: the empty tree) to `skill_collection_version`."
    ),
    "required": ["type", "id", "attributes", "relationships"],
    "properties": {
        "type": {"type": "string", "enum": ["skill_collection_version_diffs"]},
        "id": {"type": "string", "description": "`<against id or empty>..<version id>`."},
        "attributes": {
            "type": "object",
            "required": ["number", "against_number", "files", "truncated"],
            "properties": {
                "number": {"type": "integer", "minimum": 1},
                "against_number": {"type": "integer", "minimum": 1, "nullable": True},
                **{
                    name: {"type": "integer", "minimum": 0}
                    for name in (
                        "files_added",
                        "files_removed",
                        "files_changed",
                        "files_unchanged",
                        "lines_added",
                        "lines_removed",
                    )
                },
                "truncated": {
                    "type": "boolean",
                    "description": "Some text files got no diff because of the answer's limits.",
                },
                "limits": {
                    "type": "object",
                    "properties": {
                        name: {"type": "integer"}
                        for name in ("max_file_size", "max_total_size", "max_files")
                    },
                },
                "files": {
                    "type": "array",
                    "description": "The added, removed and changed files, by path.",
                    "items": {
                        "type": "object",
                        "required": ["path", "status", "diff", "diff_omitted"],
                        "properties": {
                            "path": {"type": "string"},
                            "status": {"type": "string", "enum": ["added", "removed", "changed"]},
                            "old_size": _NULLABLE_INTEGER,
                            "new_size": _NULLABLE_INTEGER,
                            "old_sha256": _NULLABLE_SHA256,
                            "new_sha256": _NULLABLE_SHA256,
                            "binary": {
                                "type": "boolean",
                                "nullable": True,
                                "description": "Null when the file was not looked at.",
                            },
                            "diff": {
                                "type": "string",
                                "nullable": True,
                                "description": "A git-style unified diff (text files only).",
                            },
                            "diff_omitted": {
                                "type": "string",
                                "enum": ["binary", "too_large", "limit"],
                                "nullable": True,
                                "description": "Why `diff` is null.",
                            },
                            "lines_added": {"type": "integer", "minimum": 0},
                            "lines_removed": {"type": "integer", "minimum": 0},
                        },
                    },
                },
            },
        },
        "relationships": {
            "type": "object",
            "properties": {
                "skill_collection_version": _VERSION_LINKAGE,
                "against_version": _VERSION_LINKAGE,
            },
        },
        "links": {"type": "object", "properties": {"self": LINK}},
        "meta": META_SCHEMA,
    },
}


def _collection_paths() -> dict:
    """The skills endpoints outside the JSON:API viewsets, written by hand."""
    return {
        "/api/skill_collections/{id}/versions": {
            "post": build_operation(
                "skill_collections",
                "skill_collections_versions_upload",
                "Upload a zip as a new version of a skill collection",
                "Creates a skill collection version from an `application/zip` body (every "
                "folder with a `SKILL.md` is a skill) and answers `201` with the version. "
                "Hostile archives (absolute paths, `..`, symlinks, zip bombs, invalid "
                "`SKILL.md`, too many or too large files) are a `422` and nothing is stored.",
                security=KEY_SECURITY,
                parameters=[
                    {**PATH_ID, "description": "The skill collection's id (UUID)."},
                    {
                        "name": "commit_message",
                        "in": "query",
                        "schema": {"type": "string"},
                        "description": "The version's commit message.",
                    },
                    {
                        "name": "release_label",
                        "in": "query",
                        "schema": {"type": "string"},
                        "description": "A release label to put on the new version.",
                    },
                ],
                requestBody={"required": True, "content": ZIP_CONTENT},
                responses={
                    "201": {
                        "description": "The new version.",
                        "content": {
                            JSON_API_MEDIA_TYPE: {
                                "schema": {
                                    "$ref": "#/components/schemas/SkillCollectionVersionDocument"
                                }
                            }
                        },
                    },
                    **error_responses("400", "401", "403", "404", "413", "415", "422", "429"),
                },
            )
        },
        "/api/skill_collection_versions/{id}/diff": {
            "get": build_operation(
                "skill_collection_versions",
                "skill_collection_versions_diff",
                "Compare a skill collection version with another",
                "The files added, removed and changed (path, sizes, SHA-256 before and after) "
                "from `against` (default: the previous version; the first version is compared "
                "with the empty tree) to this version, each text file with a git-style unified "
                "diff. Binary files, files larger than `SKILLPORT_SKILLS_DIFF_MAX_FILE_SIZE` and "
                "files beyond the answer's limits (`_DIFF_MAX_TOTAL_SIZE` bytes read, "
                "`_DIFF_MAX_FILES` diffs; then `truncated: true`) have `diff: null` and say why "
                "in `diff_omitted`. An unknown `against` is a `404`, a malformed one a `400`, "
                "both naming it in `source.parameter`.",
                security=KEY_SECURITY,
                parameters=[
                    {**PATH_ID, "description": "The skill collection version's id (UUID)."},
                    {
                        "name": "against",
                        "in": "query",
                        "schema": {"type": "string", "minLength": 1, "maxLength": 100},
                        "description": (
                            "The version of the same collection to compare with: its number, "
                            "else its release label."
                        ),
                    },
                ],
                responses={
                    "200": {
                        "description": "The diff.",
                        "content": {
                            JSON_API_MEDIA_TYPE: {
                                "schema": {
                                    "$ref": "#/components/schemas/"
                                    "SkillCollectionVersionDiffDocument"
                                }
                            }
                        },
                    },
                    **error_responses("400", "401", "404", "406", "429"),
                },
            )
        },
        "/api/public/v2/skill-collections/{identifier}": {
            "get": build_operation(
                "compatibility",
                "public_skill_collection_retrieve",
                "Get a skill collection in PromptLayer's shape",
                "PromptLayer-compatible: the collection, its pinned (or newest) version and "
                "its files as `{path: content}` in PromptLayer's envelope; errors as "
                "`{success: false, message, errors}`. `?format=zip` (or `Accept: "
                "application/zip`) answers the version's files as a zip instead.",
                security=KEY_SECURITY,
                parameters=[
                    path_parameter("identifier", "The collection's id (UUID), name or root path."),
                    *_PIN,
                    {
                        "name": "format",
                        "in": "query",
                        "schema": {"type": "string", "enum": ["zip"]},
                        "description": "`zip` downloads the files as a zip.",
                    },
                ],
                responses={
                    "200": {
                        "description": "The envelope, or the zip with `format=zip`.",
                        "content": {
                            "application/json": {"schema": PUBLIC_ENVELOPE},
                            **ZIP_CONTENT,
                        },
                    },
                    **{
                        status: {
                            "description": ERROR_DESCRIPTIONS[status],
                            "content": {"application/json": {"schema": PUBLIC_ENVELOPE}},
                        }
                        for status in ("400", "401", "404", "406", "429")
                    },
                },
            )
        },
    }


_GIT_SECURITY = [{"BearerKey": []}, {"BasicKey": []}, {"ApiKeyHeader": []}]
_GIT_ID = {**PATH_ID, "description": "The skill collection's id (UUID)."}


def _git_service_body(service: str, result: str, *errors: str) -> dict:
    """Security, parameters, request and responses of a `POST <repo>/git-<service>`: binary
    pkt-lines in, binary `result` out; `errors` beyond the statuses both services answer."""
    binary = {"schema": {"type": "string", "format": "binary"}}
    return {
        "security": _GIT_SECURITY,
        "parameters": [_GIT_ID],
        "requestBody": {
            "required": True,
            "content": {f"application/x-git-{service}-request": binary},
        },
        "responses": {
            "200": {
                "description": result,
                "content": {f"application/x-git-{service}-result": binary},
            },
            **error_responses("400", "401", "404", "405", "413", "415", "429", *errors),
        },
    }


def _git_paths() -> dict:
    """Git smart HTTP (skills/git/views.py): documented so the endpoints are known; their
    bodies are git's own pkt-line protocol, spoken by `git`, not by hand."""
    tag = "git"
    return {
        "/git/skill_collections/{id}.git/info/refs": {
            "get": build_operation(
                tag,
                "git_info_refs",
                "Advertise a skill collection repository's refs (git smart HTTP)",
                "The first request of `git clone`/`git fetch` (`service=git-upload-pack`) or "
                "`git push` (`service=git-receive-pack`): the refs (`main`, a branch per "
                "release label, a `v<N>` tag per version) and capabilities. Any other service, "
                "or none (git's dumb protocol), is a `403`. The API key goes "
                "as a Bearer header (`git config http.<url>.extraHeader`) or as the HTTP Basic "
                "password (any user name); without one the `401` carries "
                '`WWW-Authenticate: Basic realm="Skillport"` so git asks for credentials.',
                security=_GIT_SECURITY,
                parameters=[
                    _GIT_ID,
                    {
                        "name": "service",
                        "in": "query",
                        "required": True,
                        "schema": {
                            "type": "string",
                            "enum": ["git-upload-pack", "git-receive-pack"],
                        },
                        "description": "The git service: fetching or pushing.",
                    },
                ],
                responses={
                    "200": {
                        "description": "The pkt-line ref advertisement.",
                        "content": {
                            f"application/x-{service}-advertisement": {
                                "schema": {"type": "string", "format": "binary"}
                            }
                            for service in ("git-upload-pack", "git-receive-pack")
                        },
                    },
                    **error_responses("401", "404", "405", "429"),
                    "403": {
                        **error_responses("403")["403"],
                        "description": (
                            "Not git's smart protocol (`unsupported_service`), or a push "
                            "(`service=git-receive-pack`) with a read-only key "
                            "(`read_only_key`) or to a plugin or marketplace "
                            "(`read_only_repository`)."
                        ),
                    },
                },
            )
        },
        "/git/skill_collections/{id}.git/git-upload-pack": {
            "post": build_operation(
                tag,
                "git_upload_pack",
                "Send a pack of a skill collection repository (git smart HTTP)",
                "The negotiation of `git clone`/`git fetch` (wants and haves, pkt-lines, "
                "optionally gzip-encoded) answered with a packfile of the missing objects. A "
                "malformed request is a `400`; one larger than "
                "`SKILLPORT_SKILLS_GIT_MAX_REQUEST_SIZE` a `413`.",
                **_git_service_body("upload-pack", "The pack, in git's side-band pkt-lines."),
            )
        },
        "/git/skill_collections/{id}.git/git-receive-pack": {
            "post": build_operation(
                tag,
                "git_receive_pack",
                "Push to a skill collection repository: create a version (git smart HTTP)",
                "The ref updates and pack of `git push` (pkt-lines). A push to `main`, or to "
                "the branch of an existing release label, creates one new version from the "
                "pushed tip's tree (the commit message is the version's; a label branch gives "
                "the version that label), validated like an upload. Refusals (invalid "
                "`SKILL.md`, path or size limits, non-fast-forward, tags, new branches, deletes) "
                "are `200` answers carrying git's `ng <ref> <reason>`, the reason also on "
                "side-band channel 2 (`remote:` lines); nothing is stored then. A read-only key "
                "(scope `read`) is a `403` (`read_only_key`), as at `info/refs`. A malformed "
                "request is a `400`; one larger than `SKILLPORT_SKILLS_GIT_MAX_PUSH_SIZE` a "
                "`413`.",
                **_git_service_body(
                    "receive-pack", "git's report-status, in side-band pkt-lines.", "403"
                ),
            )
        },
    }


# Plugin and marketplace repositories (skills/git/bundle_repo.py): their refs, by resource type.
_GIT_BUNDLES = {
    "skill_plugins": ("plugin", "`main` and a `<name>--v<version>` tag per commit"),
    "skill_marketplaces": ("marketplace", "`main`"),
}


def _git_bundle_paths() -> dict:
    """The collection repository's two operations, for plugin and marketplace repositories
    (laid out like their zip exports; a plugin whose skills share a name is a `409`)."""
    collection = _git_paths()
    paths = {}
    for resource, (noun, refs) in _GIT_BUNDLES.items():
        for suffix, method, name in (
            ("info/refs", "get", "info_refs"),
            ("git-upload-pack", "post", "upload_pack"),
        ):
            operation = copy.deepcopy(collection[f"/git/skill_collections/{{id}}.git/{suffix}"])
            operation = operation[method]
            operation["operationId"] = f"git_{noun}_{name}"
            operation["summary"] = operation["summary"].replace("skill collection", noun)
            operation["parameters"][0] = {**PATH_ID, "description": f"The {noun}'s id (UUID)."}
            operation["description"] = (
                operation["description"].replace(
                    "(`main`, a branch per release label, a `v<N>` tag per version)", f"({refs})"
                )
                + f" The {noun} repository holds the {noun} zip export's files."
            )
            operation["responses"]["409"] = {
                **error_responses("409")["409"],
                "description": "The plugin cannot be laid out (two of its skills share a name).",
            }
            paths[f"/git/{resource}/{{id}}.git/{suffix}"] = {method: operation}
    return paths


def _paths() -> dict:
    return {**_collection_paths(), **_git_paths(), **_git_bundle_paths()}


register_paths(
    _paths,
    SkillCollectionVersionDocument=lambda: document(
        {"$ref": "#/components/schemas/SkillCollectionVersion"}
    ),
    SkillCollectionVersionDiffDocument=lambda: document(VERSION_DIFF),
)
