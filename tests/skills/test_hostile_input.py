"""Every hostile tree is refused with a pointer, and nothing is stored."""

import io
import stat
import zipfile

import pytest

from skills.models import Blob, Skill, SkillCollectionVersion, VersionFile
from tests.skills.factories import SkillCollectionFactory, make_zip, skill_md

pytestmark = pytest.mark.django_db

FILES_POINTER = "/data/attributes/files"


@pytest.fixture
def collection(organization):
    return SkillCollectionFactory(organization=organization)


@pytest.fixture
def small_limits(settings):
    settings.SKILLPORT_SKILLS = {
        **settings.SKILLPORT_SKILLS,
        "MAX_FILE_SIZE": 1000,
        "MAX_VERSION_SIZE": 2000,
        "MAX_FILES": 5,
        "MAX_COMPRESSION_RATIO": 50,
        "COMPRESSION_RATIO_MIN_SIZE": 500,
        "MAX_UPLOAD_SIZE": 20_000,
    }


def assert_nothing_stored(media_root):
    assert not SkillCollectionVersion.objects.exists()
    assert not VersionFile.objects.exists()
    assert not Blob.objects.exists()
    assert not Skill.objects.exists()
    assert not media_root.exists() or not any(p.is_file() for p in media_root.rglob("*"))


def post_json(client, collection, files):
    return client.post(
        "/api/skill_collection_versions",
        {
            "data": {
                "type": "skill_collection_versions",
                "attributes": {"files": files},
                "relationships": {
                    "skill_collection": {
                        "data": {"type": "skill_collections", "id": str(collection.pk)}
                    }
                },
            }
        },
    )


def post_zip(client, collection, payload: bytes):
    return client.generic(
        "POST",
        f"/api/skill_collections/{collection.pk}/versions",
        payload,
        content_type="application/zip",
    )


def only_error(response, status=422):
    assert response.status_code == status, response.content
    [error] = response.json()["errors"]
    assert error["status"] == str(status)
    return error


@pytest.mark.parametrize(
    ("path", "pointer", "code"),
    [
        ("/etc/passwd", "/data/attributes/files/~1etc~1passwd", "absolute_path"),
        ("C:/evil.md", "/data/attributes/files/C:~1evil.md", "absolute_path"),
        ("a/../../evil.md", "/data/attributes/files/a~1..~1..~1evil.md", "path_traversal"),
        ("..", "/data/attributes/files/..", "path_traversal"),
        ("a\\b.md", "/data/attributes/files/a\\b.md", "invalid_path"),
        ("a/\x00b.md", "/data/attributes/files/a~1\x00b.md", "invalid_path"),
    ],
)
def test_unsafe_json_paths(client, collection, media_root, path, pointer, code):
    error = only_error(post_json(client, collection, {"ok.md": "x", path: "evil"}))
    assert error["source"]["pointer"] == pointer
    assert error["code"] == code
    assert_nothing_stored(media_root)


def test_duplicate_paths_after_normalisation(client, collection, media_root):
    error = only_error(post_json(client, collection, {"docs/a.md": "1", "./docs//a.md": "2"}))
    assert error["code"] == "duplicate_path"
    assert error["source"]["pointer"] == "/data/attributes/files/.~1docs~1~1a.md"
    assert_nothing_stored(media_root)


@pytest.mark.parametrize(
    "files",
    [{"docs": "a file", "docs/a.md": "in a folder"}, {"docs/a.md": "1", "docs/a.md/b": "2"}],
)
def test_file_and_folder_with_one_name(client, collection, media_root, files):
    error = only_error(post_json(client, collection, files))
    assert error["code"] == "path_conflict"
    assert error["source"]["pointer"].startswith(FILES_POINTER + "/")
    assert_nothing_stored(media_root)


@pytest.mark.usefixtures("small_limits")
def test_file_too_large_json(client, collection, media_root):
    error = only_error(post_json(client, collection, {"big.txt": "x" * 1001}))
    assert (error["code"], error["source"]["pointer"]) == (
        "file_too_large",
        "/data/attributes/files/big.txt",
    )
    assert_nothing_stored(media_root)


@pytest.mark.usefixtures("small_limits")
def test_version_too_large_json(client, collection, media_root):
    files = {f"f{i}.txt": "x" * 900 for i in range(3)}
    error = only_error(post_json(client, collection, files))
    assert (error["code"], error["source"]["pointer"]) == ("version_too_large", FILES_POINTER)
    assert_nothing_stored(media_root)


@pytest.mark.usefixtures("small_limits")
def test_too_many_files_json(client, collection, media_root):
    error = only_error(post_json(client, collection, {f"f{i}.txt": "x" for i in range(6)}))
    assert (error["code"], error["source"]["pointer"]) == ("too_many_files", FILES_POINTER)
    assert_nothing_stored(media_root)


@pytest.mark.parametrize(
    ("folder", "content"),
    [
        ("pdf", "no frontmatter at all"),
        ("pdf", "---\ndescription: missing name\n---\n"),
        ("pdf", "---\nname: pdf\n---\n"),
        ("pdf", "---\nname: pdf\ndescription: ''\n---\n"),
        ("pdf", "---\nname: pdf\ndescription: " + "d" * 1025 + "\n---\n"),
        ("pdf", "---\nname: other\ndescription: wrong folder\n---\n"),
        ("Pdf", "---\nname: Pdf\ndescription: upper case\n---\n"),
        ("-pdf", "---\nname: -pdf\ndescription: leading hyphen\n---\n"),
        ("pdf-", "---\nname: pdf-\ndescription: trailing hyphen\n---\n"),
        ("pd--f", "---\nname: pd--f\ndescription: double hyphen\n---\n"),
        ("p" * 65, "---\nname: " + "p" * 65 + "\ndescription: too long\n---\n"),
        ("pdf", "---\nname: [unclosed\n---\n"),
        ("pdf", "---\n- a list\n---\n"),
        (
            "pdf",
            "---\nname: pdf\ndescription: laughs\nmetadata:\n  a: &a [x, x, x, x, x, x, x]\n"
            "  b: &b [*a, *a, *a, *a, *a, *a]\n  c: [*b, *b, *b, *b, *b, *b]\n---\n",
        ),
        ("pdf", "---\nname: pdf\ndescription: d\nmetadata: not-a-map\n---\n"),
        ("pdf", "---\nname: pdf\ndescription: d\nx: '" + "y" * 70_000 + "'\n---\n"),
        ("pdf", "---\nname: pdf\ndescription: d\nallowed-tools: {a: 1}\n---\n"),
        ("pdf", "---\nname: pdf\ndescription: d\nlicense: [1]\n---\n"),
    ],
)
def test_invalid_skill_md(client, collection, media_root, folder, content):
    error = only_error(post_json(client, collection, {f"{folder}/SKILL.md": content}))
    assert error["code"] == "invalid_skill"
    assert error["source"]["pointer"] == f"/data/attributes/files/{folder}~1SKILL.md"
    assert_nothing_stored(media_root)


def test_valid_skill_md_with_optional_fields(client, collection):
    extra = (
        "license: Apache-2.0\ncompatibility: Python 3.11\nallowed-tools: [Read, Bash]\n"
        "metadata:\n  author: acme\n  version: '1.0'\n"
    )
    response = post_json(client, collection, {"pdf/SKILL.md": skill_md("pdf", "PDF.", extra)})
    assert response.status_code == 201, response.json()
    skill = Skill.objects.get()
    assert skill.allowed_tools == ["Read", "Bash"]
    assert skill.metadata == {"author": "acme", "version": "1.0"}
    assert (skill.license, skill.compatibility) == ("Apache-2.0", "Python 3.11")


# -- zip archives ---------------------------------------------------------------------------


def zip_with(*infos: tuple[zipfile.ZipInfo, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for info, content in infos:
            archive.writestr(info, content)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("/abs/evil.md", "absolute_path"),
        ("../evil.md", "path_traversal"),
        ("a/../../evil.md", "path_traversal"),
        ("a\\evil.md", "invalid_path"),
    ],
)
def test_zip_slip_entries(client, collection, media_root, name, code):
    payload = zip_with((zipfile.ZipInfo("ok.md"), b"ok"), (zipfile.ZipInfo(name), b"evil"))
    error = only_error(post_zip(client, collection, payload))
    assert error["code"] == code
    assert error["source"]["pointer"].startswith(FILES_POINTER + "/")
    assert_nothing_stored(media_root)


def test_symlink_entry(client, collection, media_root):
    link = zipfile.ZipInfo("docs/link")
    link.create_system = 3
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    error = only_error(post_zip(client, collection, zip_with((link, b"/etc/passwd"))))
    assert (error["code"], error["source"]["pointer"]) == (
        "symlink",
        "/data/attributes/files/docs~1link",
    )
    assert_nothing_stored(media_root)


def test_duplicate_zip_entries(client, collection, media_root):
    payload = zip_with((zipfile.ZipInfo("a/b.md"), b"1"), (zipfile.ZipInfo("a//b.md"), b"2"))
    assert only_error(post_zip(client, collection, payload))["code"] == "duplicate_path"
    assert_nothing_stored(media_root)


def test_non_utf8_entry_name(client, collection, media_root):
    payload = make_zip({"ok.md": "ok", "XX.txt": "x"}).replace(b"XX.txt", b"\xff\xfe.txt")
    error = only_error(post_zip(client, collection, payload))
    assert error["code"] == "invalid_path"
    assert error["source"]["pointer"].startswith(FILES_POINTER + "/")
    assert_nothing_stored(media_root)


@pytest.mark.usefixtures("small_limits")
def test_compression_ratio_bomb(client, collection, media_root):
    payload = make_zip({"bomb.txt": b"\0" * 900})
    error = only_error(post_zip(client, collection, payload))
    assert (error["code"], error["source"]["pointer"]) == (
        "zip_bomb",
        "/data/attributes/files/bomb.txt",
    )
    assert_nothing_stored(media_root)


def _lie_about_size(payload: bytes, declared: int) -> bytes:
    """Rewrite the uncompressed size in the local header and the central directory."""
    data = bytearray(payload)
    local = data.index(b"PK\x03\x04")
    data[local + 22 : local + 26] = declared.to_bytes(4, "little")
    central = data.index(b"PK\x01\x02")
    data[central + 24 : central + 28] = declared.to_bytes(4, "little")
    return bytes(data)


def test_declared_size_smaller_than_actual(client, collection, media_root):
    payload = _lie_about_size(make_zip({"big.txt": b"abc" * 10_000}), 10)
    error = only_error(post_zip(client, collection, payload))
    assert error["code"] in ("zip_bomb", "invalid_zip")
    assert error["source"]["pointer"] == "/data/attributes/files/big.txt"
    assert_nothing_stored(media_root)


def test_declared_size_larger_than_actual(client, collection, media_root):
    payload = _lie_about_size(make_zip({"small.txt": b"abc"}), 500)
    error = only_error(post_zip(client, collection, payload))
    assert error["code"] in ("zip_bomb", "invalid_zip")
    assert_nothing_stored(media_root)


@pytest.mark.usefixtures("small_limits")
def test_too_many_zip_entries(client, collection, media_root):
    payload = make_zip({f"f{i}.txt": "x" for i in range(6)})
    assert only_error(post_zip(client, collection, payload))["code"] == "too_many_files"
    assert_nothing_stored(media_root)


@pytest.mark.usefixtures("small_limits")
def test_huge_central_directory_is_refused_before_parsing(client, collection, media_root):
    payload = make_zip({f"d{i}/": "" for i in range(11)} | {"a.txt": "x"})
    assert only_error(post_zip(client, collection, payload))["code"] == "too_many_files"
    assert_nothing_stored(media_root)


@pytest.mark.usefixtures("small_limits")
def test_zip_file_too_large(client, collection, media_root):
    payload = make_zip({"big.bin": bytes(range(256)) * 4})
    error = only_error(post_zip(client, collection, payload))
    assert (error["code"], error["source"]["pointer"]) == (
        "file_too_large",
        "/data/attributes/files/big.bin",
    )
    assert_nothing_stored(media_root)


@pytest.mark.usefixtures("small_limits")
def test_zip_version_too_large(client, collection, media_root):
    payload = make_zip({f"f{i}.bin": bytes(range(256)) * 3 for i in range(3)})
    assert only_error(post_zip(client, collection, payload))["code"] == "version_too_large"
    assert_nothing_stored(media_root)


@pytest.mark.usefixtures("small_limits")
def test_upload_body_too_large_is_413(client, collection, media_root):
    payload = zip_with((zipfile.ZipInfo("noise.bin"), bytes(range(256)) * 100))
    error = only_error(post_zip(client, collection, payload), status=413)
    assert error["source"]["pointer"] == FILES_POINTER
    assert_nothing_stored(media_root)


def test_not_a_zip(client, collection, media_root):
    error = only_error(post_zip(client, collection, b"definitely not a zip"))
    assert (error["code"], error["source"]["pointer"]) == ("invalid_zip", FILES_POINTER)
    assert_nothing_stored(media_root)


def test_invalid_skill_in_zip(client, collection, media_root):
    payload = make_zip({"pdf/SKILL.md": "---\nname: nope\ndescription: d\n---\n"})
    error = only_error(post_zip(client, collection, payload))
    assert (error["code"], error["source"]["pointer"]) == (
        "invalid_skill",
        "/data/attributes/files/pdf~1SKILL.md",
    )
    assert_nothing_stored(media_root)


def test_skill_md_with_byte_order_mark(client, collection):
    content = "\ufeff" + skill_md("pdf")
    response = post_json(client, collection, {"pdf/SKILL.md": content})
    assert response.status_code == 201, response.json()
    assert Skill.objects.get().name == "pdf"


# -- names that collide on case-insensitive or normalization-insensitive file systems --------

NFC_NAME = "caf\u00e9.md"
NFD_NAME = "cafe\u0301.md"


@pytest.mark.parametrize(
    ("files", "pointer", "code"),
    [
        ({"A.txt": "1", "a.txt": "2"}, "a.txt", "duplicate_path"),
        ({"docs/Read.md": "1", "DOCS/read.MD": "2"}, "DOCS~1read.MD", "duplicate_path"),
        ({"stra\u00dfe": "1", "STRASSE": "2"}, "STRASSE", "duplicate_path"),
        ({NFC_NAME: "1", NFD_NAME: "2"}, NFD_NAME, "duplicate_path"),
        ({"Docs/a.md": "1", "docs/b.md": "2"}, "docs~1b.md", "duplicate_path"),
        ({"Docs": "1", "docs/a.md": "2"}, "docs~1a.md", "path_conflict"),
        ({"docs/a.md": "1", "DOCS": "2"}, "DOCS", "path_conflict"),
    ],
)
def test_folded_collisions_json(client, collection, media_root, files, pointer, code):
    error = only_error(post_json(client, collection, files))
    assert (error["code"], error["source"]["pointer"]) == (code, f"{FILES_POINTER}/{pointer}")
    assert_nothing_stored(media_root)


def test_folded_collisions_zip(client, collection, media_root):
    error = only_error(post_zip(client, collection, make_zip({"A.txt": "1", "a.txt": "2"})))
    assert (error["code"], error["source"]["pointer"]) == (
        "duplicate_path",
        f"{FILES_POINTER}/a.txt",
    )
    assert_nothing_stored(media_root)


def test_distinct_names_in_one_folder_are_fine(client, collection):
    files = {"docs/a.md": "1", "docs/b.md": "2", "docs/sub/a.md": "3", "Docs-2/a.md": "4"}
    assert post_json(client, collection, files).status_code == 201


# -- frontmatter limits -------------------------------------------------------------------------


def nested_frontmatter(depth: int) -> str:
    return f"---\nname: pdf\ndescription: d\nmetadata: {{a: {'[' * depth}{']' * depth}}}\n---\n"


@pytest.mark.parametrize(
    "content",
    [
        nested_frontmatter(20_000),
        "---\nname: pdf\ndescription: d\nmetadata:\n  a: " + "- " * 20_000 + "x\n---\n",
        "---\nname: pdf\ndescription: d\nmetadata: "
        + "{a: " * 20_000
        + "1"
        + "}" * 20_000
        + "\n---\n",
    ],
)
def test_deeply_nested_frontmatter_is_422_not_500(client, collection, media_root, content):
    for response in (
        post_json(client, collection, {"pdf/SKILL.md": content}),
        post_zip(client, collection, make_zip({"pdf/SKILL.md": content})),
    ):
        error = only_error(response)
        assert (error["code"], error["source"]["pointer"]) == (
            "invalid_skill",
            "/data/attributes/files/pdf~1SKILL.md",
        )
    assert_nothing_stored(media_root)


def test_frontmatter_limits_are_settings(client, collection, settings):
    settings.SKILLPORT_SKILLS = {**settings.SKILLPORT_SKILLS, "MAX_FRONTMATTER_DEPTH": 3}
    shallow = skill_md("pdf", "d", "metadata: {a: [1]}\n")
    assert post_json(client, collection, {"pdf/SKILL.md": shallow}).status_code == 201
    deep = skill_md("pdf", "d", "metadata: {a: [[1]]}\n")
    assert only_error(post_json(client, collection, {"pdf/SKILL.md": deep}))["code"] == (
        "invalid_skill"
    )
    settings.SKILLPORT_SKILLS = {**settings.SKILLPORT_SKILLS, "MAX_FRONTMATTER_SIZE": 100}
    big = skill_md("pdf", "d", "license: '" + "x" * 100 + "'\n")
    assert only_error(post_json(client, collection, {"pdf/SKILL.md": big}))["code"] == (
        "invalid_skill"
    )
