"""The discovery index and share links' repositories in the OpenAPI document (registered in
`SkillsConfig.ready()`): every form of `<base>/.well-known/...` under each resource type's
`skills_index_url` (plain and, for a collection, pinned) and under a share link's `url`, and
`<share url>.git`'s two read operations."""

import copy

from api.schema import (
    PATH_ID,
    ZIP_CONTENT,
    build_operation,
    error_responses,
    path_parameter,
    register_paths,
)
from skills.schema import _GIT_SECURITY, _git_paths

TAG = "discovery"
INDEX_SCHEMA = {
    "type": "object",
    "required": ["skills"],
    "properties": {
        "$schema": {"type": "string", "format": "uri"},
        "skills": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "description"],
                "properties": {
                    "name": {"type": "string"},
                    "type": {"type": "string", "enum": ["archive"]},
                    "description": {"type": "string"},
                    "url": {"type": "string"},
                    "digest": {"type": "string", "pattern": "^sha256:[0-9a-f]{64}$"},
                    "files": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
    },
}
BINARY = {"schema": {"type": "string", "format": "binary"}}
TEXT = {"schema": {"type": "string"}}
NAME = path_parameter(
    "name", "The skill's name.", {"type": "string", "pattern": "^[a-z0-9-]{1,64}$"}
)
FILE_PATH = path_parameter("path", "A file's path inside the skill's folder.")
TOKEN = path_parameter("token", "The share link's token (the last segment of its `url`).")
PINS = {
    "": ([], ""),
    "/versions/{number}": (
        [
            path_parameter(
                "number", "The version number it serves.", {"type": "integer", "minimum": 1}
            )
        ],
        " of the version numbered `number`",
    ),
    "/labels/{label}": (
        [path_parameter("label", "The release label of the version it serves (URL-encoded).")],
        " of the version carrying the release label `label`",
    ),
}
DOCUMENTS = (
    (
        "/.well-known/agent-skills/index.json",
        "agent_skills_index",
        "The Agent Skills discovery index (v0.2.0)",
        "`$schema` and one `archive` entry per skill: `name`, `description`, `url` (the "
        "archive, relative to the index) and `digest` (`sha256:` of the archive's bytes).",
        {
            "200": {
                "description": "The index.",
                "content": {"application/json": {"schema": INDEX_SCHEMA}},
            }
        },
        [],
    ),
    (
        "/.well-known/agent-skills/{name}.zip",
        "agent_skill_archive",
        "A skill's archive",
        "A deterministic zip of the skill's folder (`SKILL.md` at its root): the same bytes "
        "for the same files on every build and install, so the index's digest is stable. "
        "`If-None-Match` with its `ETag` answers `304`.",
        {
            "200": {"description": "The zip.", "content": ZIP_CONTENT},
            "304": {"description": "Unchanged since the `ETag` given."},
        },
        [NAME],
    ),
    (
        "/.well-known/skills/index.json",
        "legacy_skills_index",
        "The legacy discovery index (v0.1)",
        "One entry per skill: `name`, `description` and `files` (`SKILL.md` first), each "
        "served at `<name>/<file>` next to the index.",
        {
            "200": {
                "description": "The index.",
                "content": {"application/json": {"schema": INDEX_SCHEMA}},
            }
        },
        [],
    ),
    (
        "/.well-known/skills/{name}/{path}",
        "legacy_skill_file",
        "A skill's file (legacy index)",
        "`SKILL.md` as Markdown, other text as plain text, anything else as bytes.",
        {
            "200": {
                "description": "The file.",
                "content": {
                    "text/markdown": TEXT,
                    "text/plain": TEXT,
                    "application/octet-stream": BINARY,
                },
            }
        },
        [NAME, FILE_PATH],
    ),
)
RESOURCES = {
    "skill_collections": "skill collection",
    "skill_plugins": "plugin",
    "skill_marketplaces": "marketplace",
}


def _operation(operation_id, summary, description, responses, parameters, *, shared) -> dict:
    errors = (
        error_responses("404", "405", "409")
        if shared
        else error_responses("401", "404", "405", "409", "429")
    )
    return {
        "get": build_operation(
            TAG,
            operation_id,
            summary,
            description,
            security=[] if shared else _GIT_SECURITY,
            parameters=parameters,
            responses={**responses, **errors},
        )
    }


def _paths() -> dict:
    paths = {}
    for suffix, name, summary, description, responses, parameters in DOCUMENTS:
        for resource, noun in RESOURCES.items():
            pins = PINS if resource == "skill_collections" else {"": PINS[""]}
            for pin, (pin_parameters, pin_words) in pins.items():
                pin_name = pin.split("/")[1][:-1] if pin else ""
                paths[f"/git/{resource}/{{id}}{pin}{suffix}"] = _operation(
                    "_".join(filter(None, [name, noun.split()[-1], pin_name])),
                    f"{summary}: a {noun}'s{pin_words}",
                    f"{description} The {noun}'s skills"
                    f"{pin_words or (' of its current version' if pins is PINS else '')}; "
                    "the API key as for its `git_url`.",
                    responses,
                    [
                        {**PATH_ID, "description": f"The {noun}'s id (UUID)."},
                        *pin_parameters,
                        *parameters,
                    ],
                    shared=False,
                )
        paths[f"/share/{{token}}{suffix}"] = _operation(
            f"{name}_shared",
            f"{summary}: a share link's",
            f"{description} No credential: the share link is one. A revoked or expired link "
            "is a `404`.",
            responses,
            [TOKEN, *parameters],
            shared=True,
        )
    return {**paths, **_share_git_paths()}


def _share_git_paths() -> dict:
    """The collection repository's read operations, through a share link: no credential, no
    push (`service=git-receive-pack` is a `403`)."""
    collection = _git_paths()
    paths = {}
    for suffix, method in (("info/refs", "get"), ("git-upload-pack", "post")):
        operation = copy.deepcopy(collection[f"/git/skill_collections/{{id}}.git/{suffix}"][method])
        operation["operationId"] = f"{operation['operationId']}_shared"
        operation["summary"] = operation["summary"].replace(
            "a skill collection repository", "a share link's repository"
        )
        operation["description"] = (
            f"{'Its refs' if method == 'get' else 'A pack'} of the repository of the share "
            "link's collection, plugin or marketplace (a pinned link's history ends at its "
            "version), read-only: `git clone <url>.git` with no credential. A revoked or expired "
            "link is a `404`."
        )
        operation["security"] = []
        operation["parameters"][0] = TOKEN
        operation["responses"].pop("401", None)
        operation["responses"].pop("429", None)
        paths[f"/share/{{token}}.git/{suffix}"] = {method: operation}
    return paths


register_paths(_paths)
