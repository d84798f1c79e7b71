"""The hostile-input corpus: one table of requests, each refused cleanly with nothing stored.

Every row is one request (method, path, headers, body) with the answer it must get: the status,
the error's `source.pointer` or `source.parameter`, and its `code` where that is meaningful.
After each request no row was added to any table of the project's apps and no file appeared
under the media root. `$collection`, `$version`, `$plugin`, `$file` and `$webhook` in paths and
bodies stand for the ids of the fixtures' resources; `$folder_token` is a download token this
server signed for a folder, `$forged_token` one signed with another install's key.
"""

import io
import json
import secrets
import stat
import unicodedata
import zipfile
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.apps import apps
from django.core import signing

from core.signing import SALT, make_token
from files.models import File
from tests.conftest import JSON_API
from tests.events.addresses import SPECIAL_SAMPLES, url_of
from tests.events.factories import WebhookFactory
from tests.skills.factories import (
    SkillCollectionFactory,
    SkillPluginFactory,
    create_version,
    make_zip,
    skill_md,
)

pytestmark = pytest.mark.django_db

# The apps whose tables must not grow when a request is refused.
STATE_APPS = (
    "api",
    "organizations",
    "skills",
    "exports",
    "events",
    "files",
    "django_tasks_database",
)
BIG = "99999999999999999999"  # > 2**63: overflows SQLite integers
FILES = "/data/attributes/files"
ZIP = "application/zip"
SMALL_LIMITS = {
    "MAX_FILE_SIZE": 1000,
    "MAX_VERSION_SIZE": 2000,
    "MAX_FILES": 5,
    "MAX_COMPRESSION_RATIO": 50,
    "COMPRESSION_RATIO_MIN_SIZE": 500,
    "MAX_UPLOAD_SIZE": 20_000,
}


@dataclass(frozen=True)
class Case:
    id: str
    method: str
    path: str
    status: int
    pointer: str | None = None
    parameter: str | None = None
    code: str | None = None
    body: Any = None  # a dict (sent as JSON), str or bytes
    content_type: str = JSON_API
    headers: dict[str, str] = field(default_factory=dict)
    skills_limits: dict[str, int] | None = None  # SKILLPORT_SKILLS overrides
    settings: dict[str, Any] | None = None  # other Django settings overrides


def resource(type_name: str, attributes: dict, relationships: dict | None = None) -> dict:
    data: dict[str, Any] = {"type": type_name, "attributes": attributes}
    if relationships:
        data["relationships"] = relationships
    return {"data": data}


def collection_doc(**attributes) -> dict:
    return resource("skill_collections", {"name": "ok", "root_path": "ok", **attributes})


def version_doc(files: dict, **attributes) -> dict:
    return resource(
        "skill_collection_versions",
        {"files": files, **attributes},
        {"skill_collection": {"data": {"type": "skill_collections", "id": "$collection"}}},
    )


def webhook_doc(**attributes) -> dict:
    defaults = {"name": "hook", "topic": "teams.update", "callback_url": "https://93.184.216.34/"}
    return resource("webhooks", {**defaults, **attributes})


def link_doc(**attributes) -> dict:
    return resource("file_links", attributes, {"file": {"data": {"type": "files", "id": "$file"}}})


def nested_json(depth: int) -> str:
    """A document whose `attributes.metadata` nests `depth` arrays deep."""
    return '{"data": {"type": "exports", "attributes": {"metadata": %s}}}' % (
        "[" * depth + "]" * depth
    )


def nested_frontmatter(depth: int) -> str:
    return f"---\nname: pdf\ndescription: d\nmetadata: {'[' * depth}{']' * depth}\n---\n"


def zip_with(*entries: tuple[zipfile.ZipInfo, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for info, content in entries:
            archive.writestr(info, content)
    return buffer.getvalue()


def symlink_zip() -> bytes:
    link = zipfile.ZipInfo("docs/link")
    link.create_system = 3
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    return zip_with((link, b"/etc/passwd"))


NFC = unicodedata.normalize("NFC", "café.md")
NFD = unicodedata.normalize("NFD", "café.md")
VERSIONS = "/api/skill_collection_versions"
UPLOAD = "/api/skill_collections/$collection/versions"
DEEP = 10_000

CORPUS = [
    # -- documents that cannot be read ------------------------------------------------------
    Case("malformed-json", "POST", "/api/skill_plugins", 400, pointer="", body="{not json"),
    Case("json-top-level-array", "POST", "/api/skill_plugins", 400, pointer="", body="[]"),
    Case("json-no-data", "POST", "/api/skill_plugins", 400, pointer="", body={"meta": {}}),
    Case("json-invalid-utf8", "POST", "/api/skill_plugins", 400, pointer="", body=b'{"\xff"}'),
    Case("json-nan", "POST", "/api/skill_plugins", 400, pointer="", body='{"data": NaN}'),
    *(
        Case(f"deep-json-{path}", "POST", path, 400, pointer="", code="too_deep", body=body)
        for path, body in (
            ("/api/exports", nested_json(DEEP)),
            ("/api/skill_collections", nested_json(DEEP)),
            (VERSIONS, nested_json(DEEP)),
            ("/api/webhooks", nested_json(DEEP)),
            ("/api/file_links", nested_json(DEEP)),
            ("/api/skill_plugins/$plugin/relationships/skills", nested_json(DEEP)),
            ("/api/exports", nested_json(65)),
            ("/api/exports", '{"data": ' + '{"a": ' * DEEP + "1" + "}" * DEEP + "}"),
        )
    ),
    Case(
        "deep-json-patch",
        "PATCH",
        "/api/webhooks/$webhook",
        400,
        pointer="",
        code="too_deep",
        body=nested_json(DEEP),
    ),
    Case(
        "oversized-json-body",
        "POST",
        "/api/skill_collections",
        413,
        code="payload_too_large",
        body=collection_doc(name="x" * 2000),
        settings={"DATA_UPLOAD_MAX_MEMORY_SIZE": 1024},
    ),
    # -- media types ---------------------------------------------------------------------------
    Case(
        "content-type-text", "POST", "/api/skill_plugins", 415, body="{}", content_type="text/plain"
    ),
    Case(
        "content-type-charset",
        "POST",
        "/api/skill_plugins",
        415,
        body="{}",
        content_type=f"{JSON_API}; charset=utf-8",
    ),
    Case(
        "content-type-zip-on-json-endpoint",
        "POST",
        "/api/skill_plugins",
        415,
        body=make_zip({"a.txt": "a"}),
        content_type=ZIP,
    ),
    Case(
        "content-type-json-on-zip-endpoint",
        "POST",
        UPLOAD,
        415,
        body=version_doc({"a.txt": "a"}),
    ),
    Case(
        "accept-foreign-parameter",
        "GET",
        "/api/skill_plugins",
        406,
        headers={"HTTP_ACCEPT": f"{JSON_API}; version=2"},
    ),
    # -- wrong types and values of attributes ----------------------------------------------------
    Case(
        "type-mismatch",
        "POST",
        "/api/skill_plugins",
        409,
        body=resource("skills", {"name": "p", "version": "1.0.0"}),
    ),
    Case(
        "name-is-a-list",
        "POST",
        "/api/skill_collections",
        422,
        pointer="/data/attributes/name",
        body=collection_doc(name=["a"]),
    ),
    Case(
        "folder-id-is-text",
        "POST",
        "/api/skill_collections",
        422,
        pointer="/data/attributes/folder_id",
        body=collection_doc(folder_id="abc"),
    ),
    Case(
        "folder-id-huge",
        "POST",
        "/api/skill_collections",
        422,
        pointer="/data/attributes/folder_id",
        code="max_value",
        body=collection_doc(folder_id=int(BIG)),
    ),
    Case(
        "expires-in-huge",
        "POST",
        "/api/file_links",
        422,
        pointer="/data/attributes/expires_in",
        code="max_value",
        body=link_doc(expires_in=int(BIG)),
    ),
    Case(
        "expires-in-text",
        "POST",
        "/api/file_links",
        422,
        pointer="/data/attributes/expires_in",
        body=link_doc(expires_in="soon"),
    ),
    Case(
        "keywords-not-a-list",
        "POST",
        "/api/skill_plugins",
        422,
        pointer="/data/attributes/keywords",
        body=resource("skill_plugins", {"name": "p", "version": "1.0.0", "keywords": "x"}),
    ),
    Case(
        "include-resources-not-a-list",
        "POST",
        "/api/webhooks",
        422,
        pointer="/data/attributes/include_resources",
        body=webhook_doc(include_resources="members"),
    ),
    Case(
        "export-unknown-resource-type",
        "POST",
        "/api/exports",
        422,
        pointer="/data/attributes/resource_type",
        body=resource("exports", {"resource_type": "passwords", "format": "csv"}),
    ),
    Case(
        "nul-in-name",
        "POST",
        "/api/skill_collections",
        422,
        pointer="/data/attributes/name",
        code="null_characters_not_allowed",
        body=collection_doc(name="a\x00b"),
    ),
    Case(
        "nul-in-commit-message",
        "POST",
        VERSIONS,
        422,
        pointer="/data/attributes/commit_message",
        code="null_characters_not_allowed",
        body=version_doc({"a.txt": "a"}, commit_message="a\x00b"),
    ),
    Case(
        "overlong-name",
        "POST",
        "/api/skill_collections",
        422,
        pointer="/data/attributes/name",
        code="max_length",
        body=collection_doc(name="n" * 201),
    ),
    Case(
        "overlong-release-label",
        "POST",
        VERSIONS,
        422,
        pointer="/data/attributes/release_label",
        code="max_length",
        body=version_doc({"a.txt": "a"}, release_label="l" * 300),
    ),
    Case(
        "overlong-webhook-name",
        "POST",
        "/api/webhooks",
        422,
        pointer="/data/attributes/name",
        code="max_length",
        body=webhook_doc(name="w" * 1000),
    ),
    # -- query parameters ----------------------------------------------------------------------
    Case("unknown-parameter", "GET", "/api/skill_collections?shoe=42", 400, parameter="shoe"),
    Case(
        "unknown-filter",
        "GET",
        "/api/skill_collections?filter[shoe]=42",
        400,
        parameter="filter[shoe]",
    ),
    Case("unknown-sort", "GET", "/api/skill_collections?sort=shoe", 400, parameter="sort"),
    Case("unknown-include", "GET", "/api/skill_collections?include=shoe", 400, parameter="include"),
    Case(
        "unknown-field",
        "GET",
        "/api/skill_collections?fields[skill_collections]=shoe",
        400,
        parameter="fields[skill_collections]",
    ),
    Case(
        "huge-page-number",
        "GET",
        f"/api/skill_collections?page[number]={BIG}",
        400,
        parameter="page[number]",
    ),
    Case(
        "huge-page-number-related",
        "GET",
        f"/api/skill_collections/$collection/versions?page[number]={BIG}",
        400,
        parameter="page[number]",
    ),
    Case(
        "huge-page-size",
        "GET",
        f"/api/skill_collections?page[size]={BIG}",
        400,
        parameter="page[size]",
    ),
    Case(
        "page-number-zero",
        "GET",
        "/api/skill_plugins?page[number]=0",
        400,
        parameter="page[number]",
    ),
    Case(
        "page-number-float",
        "GET",
        "/api/skill_plugins?page[number]=1e3",
        400,
        parameter="page[number]",
    ),
    Case(
        "page-number-thousands-of-digits",
        "GET",
        "/api/skill_plugins?page[number]=" + "9" * 3000,
        400,
        parameter="page[number]",
    ),
    Case(
        "huge-version-pin",
        "GET",
        f"/api/skill_collections/$collection?version={BIG}",
        400,
        parameter="version",
    ),
    Case(
        "huge-version-pin-public",
        "GET",
        f"/api/public/v2/skill-collections/$collection?version={BIG}",
        400,
        parameter="version",
    ),
    *(
        Case(
            f"huge-filter-{query}", "GET", f"{VERSIONS}?{query}", 400, parameter=query.split("=")[0]
        )
        for query in (
            f"filter[number]={BIG}",
            f"filter[number.in]=1,{BIG}",
            f"filter[q][number_gt]=-{BIG}",
        )
    ),
    Case(
        "huge-export-filter",
        "POST",
        "/api/exports",
        422,
        pointer="/data/attributes/filters",
        body=resource(
            "exports",
            {
                "resource_type": "skill_collection_versions",
                "format": "csv",
                "filters": {"number_in": [1, int(BIG)]},
            },
        ),
    ),
    Case("bad-cursor", "GET", "/api/skill_plugins?page[after]=!!!", 400, parameter="page[after]"),
    Case(
        "cursor-of-wrong-shape",
        "GET",
        "/api/skill_plugins?page[before]=WzFd",  # base64 of [1]
        400,
        parameter="page[before]",
    ),
    Case(
        "cursor-of-deep-json",
        "GET",
        "/api/skill_plugins?page[after]=" + ("W1tb" * 900),  # base64 of "[[[[..."
        400,
        parameter="page[after]",
    ),
    # -- zip upload query parameters (one validation path with the JSON endpoint) --------------
    Case(
        "zip-overlong-release-label",
        "POST",
        UPLOAD + "?release_label=" + "l" * 300,
        422,
        parameter="release_label",
        code="max_length",
        body=make_zip({"a.txt": "a"}),
        content_type=ZIP,
    ),
    Case(
        "zip-nul-in-release-label",
        "POST",
        UPLOAD + "?release_label=a%00b",
        422,
        parameter="release_label",
        code="null_characters_not_allowed",
        body=make_zip({"a.txt": "a"}),
        content_type=ZIP,
    ),
    Case(
        "zip-nul-in-commit-message",
        "POST",
        UPLOAD + "?commit_message=a%00b",
        422,
        parameter="commit_message",
        code="null_characters_not_allowed",
        body=make_zip({"a.txt": "a"}),
        content_type=ZIP,
    ),
    Case(
        "zip-unknown-parameter",
        "POST",
        UPLOAD + "?shoe=1",
        400,
        parameter="shoe",
        body=make_zip({"a.txt": "a"}),
        content_type=ZIP,
    ),
    # -- hostile file trees: JSON ----------------------------------------------------------------
    *(
        Case(f"json-path-{code}-{i}", "POST", VERSIONS, 422, pointer=pointer, code=code, body=body)
        for i, (body, pointer, code) in enumerate(
            (
                (version_doc({"/etc/passwd": "x"}), f"{FILES}/~1etc~1passwd", "absolute_path"),
                (version_doc({"C:/evil.md": "x"}), f"{FILES}/C:~1evil.md", "absolute_path"),
                (version_doc({"a/../../e.md": "x"}), f"{FILES}/a~1..~1..~1e.md", "path_traversal"),
                (version_doc({"a\\b.md": "x"}), f"{FILES}/a\\b.md", "invalid_path"),
                (version_doc({"a/\x00b.md": "x"}), f"{FILES}/a~1\x00b.md", "invalid_path"),
                (version_doc({"a.md": "1", "./a.md": "2"}), f"{FILES}/.~1a.md", "duplicate_path"),
                (version_doc({"A.txt": "1", "a.txt": "2"}), f"{FILES}/a.txt", "duplicate_path"),
                (version_doc({"README": "1", "readme": "2"}), f"{FILES}/readme", "duplicate_path"),
                (
                    version_doc({"straße": "1", "STRASSE": "2"}),
                    f"{FILES}/STRASSE",
                    "duplicate_path",
                ),
                (version_doc({NFC: "1", NFD: "2"}), f"{FILES}/{NFD}", "duplicate_path"),
                (
                    version_doc({"Docs": "1", "docs/a.md": "2"}),
                    f"{FILES}/docs~1a.md",
                    "path_conflict",
                ),
                (version_doc({"docs/a.md": "1", "DOCS": "2"}), f"{FILES}/DOCS", "path_conflict"),
                (
                    version_doc({"Docs/a.md": "1", "docs/b.md": "2"}),
                    f"{FILES}/docs~1b.md",
                    "duplicate_path",
                ),
                (
                    version_doc({"pdf/SKILL.md": "no frontmatter"}),
                    f"{FILES}/pdf~1SKILL.md",
                    "invalid_skill",
                ),
                (
                    version_doc({"pdf/SKILL.md": nested_frontmatter(20_000)}),
                    f"{FILES}/pdf~1SKILL.md",
                    "invalid_skill",
                ),
                (
                    version_doc({"pdf/SKILL.md": nested_frontmatter(65)}),
                    f"{FILES}/pdf~1SKILL.md",
                    "invalid_skill",
                ),
                (
                    version_doc(
                        {"pdf/SKILL.md": "---\nname: pdf\nx: " + "- " * 20_000 + "a\n---\n"}
                    ),
                    f"{FILES}/pdf~1SKILL.md",
                    "invalid_skill",
                ),
                (
                    version_doc(
                        {"pdf/SKILL.md": skill_md("pdf", "d", "x: '" + "y" * 70_000 + "'\n")}
                    ),
                    f"{FILES}/pdf~1SKILL.md",
                    "invalid_skill",
                ),
                (version_doc({"a.bin": {"base64": "!!"}}), f"{FILES}/a.bin", "invalid"),
                (version_doc({"a.bin": 5}), f"{FILES}/a.bin", "invalid"),
                (version_doc({}), FILES, "invalid"),
            )
        )
    ),
    Case(
        "json-file-too-large",
        "POST",
        VERSIONS,
        422,
        pointer=f"{FILES}/big.txt",
        code="file_too_large",
        body=version_doc({"big.txt": "x" * 1001}),
        skills_limits=SMALL_LIMITS,
    ),
    Case(
        "json-too-many-files",
        "POST",
        VERSIONS,
        422,
        pointer=FILES,
        code="too_many_files",
        body=version_doc({f"f{i}.txt": "x" for i in range(6)}),
        skills_limits=SMALL_LIMITS,
    ),
    Case(
        "json-version-too-large",
        "POST",
        VERSIONS,
        422,
        pointer=FILES,
        code="version_too_large",
        body=version_doc({f"f{i}.txt": "x" * 900 for i in range(3)}),
        skills_limits=SMALL_LIMITS,
    ),
    # -- hostile file trees: zip -----------------------------------------------------------------
    *(
        Case(
            f"zip-{code}-{i}",
            "POST",
            UPLOAD,
            status,
            pointer=pointer,
            code=code,
            body=body,
            content_type=ZIP,
            skills_limits=limits,
        )
        for i, (body, status, pointer, code, limits) in enumerate(
            (
                (make_zip({"/abs/e.md": "x"}), 422, f"{FILES}/~1abs~1e.md", "absolute_path", None),
                (make_zip({"../e.md": "x"}), 422, f"{FILES}/..~1e.md", "path_traversal", None),
                (make_zip({"a\\e.md": "x"}), 422, f"{FILES}/a\\e.md", "invalid_path", None),
                (symlink_zip(), 422, f"{FILES}/docs~1link", "symlink", None),
                (
                    make_zip({"A.txt": "1", "a.txt": "2"}),
                    422,
                    f"{FILES}/a.txt",
                    "duplicate_path",
                    None,
                ),
                (make_zip({NFC: "1", NFD: "2"}), 422, f"{FILES}/{NFD}", "duplicate_path", None),
                (
                    make_zip({"Docs": "1", "docs/a.md": "2"}),
                    422,
                    f"{FILES}/docs~1a.md",
                    "path_conflict",
                    None,
                ),
                (
                    make_zip({"ok.md": "ok", "XX.txt": "x"}).replace(b"XX.txt", b"\xff\xfe.txt"),
                    422,
                    f"{FILES}/\\xff\\xfe.txt",
                    "invalid_path",
                    None,
                ),
                (
                    make_zip({"pdf/SKILL.md": nested_frontmatter(20_000)}),
                    422,
                    f"{FILES}/pdf~1SKILL.md",
                    "invalid_skill",
                    None,
                ),
                (
                    make_zip({"pdf/SKILL.md": "---\nname: x\n---\n"}),
                    422,
                    f"{FILES}/pdf~1SKILL.md",
                    "invalid_skill",
                    None,
                ),
                (
                    make_zip({"bomb.txt": b"\0" * 900}),
                    422,
                    f"{FILES}/bomb.txt",
                    "zip_bomb",
                    SMALL_LIMITS,
                ),
                (
                    make_zip({f"f{i}.txt": "x" for i in range(6)}),
                    422,
                    FILES,
                    "too_many_files",
                    SMALL_LIMITS,
                ),
                (
                    make_zip({"big.bin": bytes(range(256)) * 4}),
                    422,
                    f"{FILES}/big.bin",
                    "file_too_large",
                    SMALL_LIMITS,
                ),
                (
                    zip_with((zipfile.ZipInfo("noise.bin"), bytes(range(256)) * 100)),
                    413,
                    FILES,
                    "upload_too_large",
                    SMALL_LIMITS,
                ),
                (b"definitely not a zip", 422, FILES, "invalid_zip", None),
            )
        )
    ),
    # -- NUL characters where PostgreSQL cannot store them (text, jsonb) ---------------------
    *(
        Case(
            f"nul-in-json-attribute-{i}",
            "POST",
            path,
            422,
            pointer=f"/data/attributes/{name}",
            code="null_characters_not_allowed",
            body=resource(path.rsplit("/", 1)[1], attributes),
        )
        for i, (path, name, attributes) in enumerate(
            (
                ("/api/exports", "metadata", {"resource_type": "teams", "metadata": {"k": "a\0"}}),
                ("/api/exports", "metadata", {"resource_type": "teams", "metadata": {"k\0": 1}}),
                (
                    "/api/exports",
                    "filters",
                    {"resource_type": "teams", "filters": {"name_in": ["a\0"]}},
                ),
                ("/api/skill_plugins", "keywords", {"name": "p", "keywords": ["a\0"]}),
            )
        )
    ),
    *(
        Case(
            f"nul-in-frontmatter-{i}",
            "POST",
            VERSIONS,
            422,
            pointer=f"{FILES}/pdf~1SKILL.md",
            code="invalid_skill",
            body=version_doc({"pdf/SKILL.md": skill_md("pdf", "d", extra)}),
        )
        for i, extra in enumerate(
            (
                'metadata: {a: "x\\0y"}\n',
                'metadata: {"k\\0": 1}\n',
                'license: "a\\0b"\n',
                'compatibility: "a\\0"\n',
                'allowed-tools: "Read\\0"\n',
            )
        )
    ),
    Case(
        "zip-nul-in-frontmatter",
        "POST",
        UPLOAD,
        422,
        pointer=f"{FILES}/pdf~1SKILL.md",
        code="invalid_skill",
        body=make_zip({"pdf/SKILL.md": skill_md("pdf", "d", 'metadata: {a: "\\0"}\n')}),
        content_type=ZIP,
    ),
    Case("nul-in-identifier", "GET", "/api/skill_collections/a%00b", 404),
    Case("nul-in-identifier-zip", "GET", "/api/skill_collections/a%00b?format=zip", 404),
    Case("nul-in-identifier-public", "GET", "/api/public/v2/skill-collections/a%00b", 404),
    Case(
        "nul-in-identifier-upload",
        "POST",
        "/api/skill_collections/a%00b/versions",
        404,
        body=make_zip({"a.txt": "a"}),
        content_type=ZIP,
    ),
    Case(
        "nul-in-label-pin",
        "GET",
        "/api/skill_collections/$collection?label=a%00b",
        400,
        parameter="label",
    ),
    Case(
        "nul-in-label-pin-public",
        "GET",
        "/api/public/v2/skill-collections/$collection?label=a%00b",
        400,
        parameter="label",
    ),
    # -- signed download links, request size, headers -----------------------------------------
    Case(
        "download-signed-with-another-key",
        "GET",
        "/api/downloads/$forged_token",
        403,
        code="invalid_signature",
    ),
    Case("download-naming-a-folder", "GET", "/api/downloads/$folder_token", 404, code="not_found"),
    Case(
        "uri-too-long",
        "GET",
        "/api/skill_plugins?filter[name.cont]=" + "a" * 5000,
        414,
        code="uri_too_long",
    ),
    Case(
        "idempotency-key-not-printable-ascii",
        "POST",
        "/api/skill_plugins",
        400,
        code="invalid_idempotency_key",
        body=resource("skill_plugins", {"name": "p"}),
        headers={"HTTP_IDEMPOTENCY_KEY": "caf\u00e9"},
    ),
    # -- webhook callback URLs (SSRF) ------------------------------------------------------------
    *(
        Case(
            f"ssrf-{url}",
            "POST",
            "/api/webhooks",
            422,
            pointer="/data/attributes/callback_url",
            body=webhook_doc(callback_url=url),
        )
        for url in (
            "http://127.0.0.1/",
            "http://[::1]/",
            "http://[::127.0.0.1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:7f00:1]/",
            "http://[64:ff9b::7f00:1]/",
            "http://[64:ff9b::a00:1]/",
            "http://[64:ff9b:1::7f00:1]/",
            "http://[2002:7f00:1::]/",
            "http://[2002:a9fe:a9fe::]/",
            "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/",  # Teredo, client 127.0.0.1
            "http://[fe80::1]/",
            "http://[fc00::1]/",
            "http://[ff02::1]/",
            "http://169.254.169.254/",
            "http://100.64.0.1/",
            "http://0.0.0.0/",
            "http://224.0.0.1/",
            "http://255.255.255.255/",
            "http://93.184.216.34:0/",
            "http://93.184.216.34:99999/",
            "http://2130706433/",
            "http://0x7f.1/",
            "gopher://93.184.216.34/",
            # Every IANA special-purpose range (site-local fec0::/10 among them), and the IPv4
            # ones as IPv4-mapped, NAT64 and 6to4 addresses.
            "http://[fec0::1]:8399/",  # issue #25: was a 201, and the worker connected
            *(url_of(address) for address in SPECIAL_SAMPLES),
        )
    ),
    Case(
        "ssrf-on-patch",
        "PATCH",
        "/api/webhooks/$webhook",
        422,
        pointer="/data/attributes/callback_url",
        body={
            "data": {
                "type": "webhooks",
                "id": "$webhook",
                "attributes": {"callback_url": "http://[64:ff9b::7f00:1]/"},
            }
        },
    ),
]


@pytest.fixture
def world(organization, settings):
    """One resource of each kind the corpus points at, created before the counts are taken."""
    settings.SKILLPORT_WEBHOOKS_ALLOW_PRIVATE = False
    collection = SkillCollectionFactory(organization=organization)
    version = create_version(collection)
    plugin = SkillPluginFactory(organization=organization)
    stored = File.objects.create(
        organization=organization,
        mode="test",
        file_name="a.zip",
        file_size=1,
        file_type=ZIP,
        purpose="skill_export",
    )
    webhook = WebhookFactory(organization=organization)
    return {
        "$collection": str(collection.pk),
        "$version": str(version.pk),
        "$plugin": str(plugin.pk),
        "$file": str(stored.pk),
        "$webhook": str(webhook.pk),
        "$folder_token": make_token("exports/"),
        "$forged_token": signing.dumps(
            {"n": "exports/x.json.gz", "e": 2**31, "f": "", "t": ""},
            key=secrets.token_urlsafe(48),
            salt=SALT,
            compress=True,
        ),
    }


def substitute(text: str, world: dict[str, str]) -> str:
    for placeholder, value in world.items():
        text = text.replace(placeholder, value)
    return text


def encode(body: Any, world: dict[str, str]) -> bytes:
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    text = body if isinstance(body, str) else json.dumps(body)
    return substitute(text, world).encode()


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for app in STATE_APPS
        for model in apps.get_app_config(app).get_models()
    }


def stored_files(media_root) -> set[str]:
    if not media_root.exists():
        return set()
    return {str(path) for path in media_root.rglob("*") if path.is_file()}


@pytest.mark.parametrize("case", CORPUS, ids=[case.id for case in CORPUS])
def test_hostile_input_is_refused_and_nothing_is_stored(case, client, world, media_root, settings):
    if case.skills_limits:
        settings.SKILLPORT_SKILLS = {**settings.SKILLPORT_SKILLS, **case.skills_limits}
    for name, value in (case.settings or {}).items():
        setattr(settings, name, value)
    counts, files = row_counts(), stored_files(media_root)

    response = client.generic(
        case.method,
        substitute(case.path, world),
        encode(case.body, world),
        content_type=case.content_type,
        **case.headers,
    )

    assert response.status_code == case.status, response.content[:2000]
    # The PromptLayer-compatible envelope is plain JSON with the same `errors` inside.
    public = case.path.startswith("/api/public/")
    assert response["Content-Type"].startswith("application/json" if public else JSON_API)
    errors = response.json()["errors"]
    assert errors and all(error["status"] == str(case.status) for error in errors)
    first = errors[0]
    if case.pointer is not None:
        assert first["source"] == {"pointer": case.pointer}, errors
    if case.parameter is not None:
        assert first["source"] == {"parameter": case.parameter}, errors
    if case.code is not None:
        assert first["code"] == case.code, errors
    assert row_counts() == counts
    assert stored_files(media_root) == files
