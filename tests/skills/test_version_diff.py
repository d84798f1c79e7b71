"""`GET /api/skill_collection_versions/<id>/diff` and the diff on the version's admin page."""

import hashlib
import random
import subprocess

import pytest
from django.core.files.storage import default_storage

from core.models import Mode
from skills import blobs, diffs, linediff
from tests.conftest import JsonApiClient
from tests.factories import ApiKeyFactory
from tests.skills.factories import SkillCollectionFactory, create_version, skill_md

pytestmark = pytest.mark.django_db

SKILL = skill_md("pdf-tools")
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))


def sha(content: str | bytes) -> str:
    return hashlib.sha256(content.encode() if isinstance(content, str) else content).hexdigest()


def diff_of(client, version, query: str = "") -> dict:
    response = client.get(f"/api/skill_collection_versions/{version.pk}/diff{query}")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/vnd.api+json")
    return response.json()["data"]


def by_path(data: dict) -> dict[str, dict]:
    return {entry["path"]: entry for entry in data["attributes"]["files"]}


def forget_blob(content: bytes) -> None:
    """Delete a blob's stored file: an answer that still works never read it."""
    default_storage.delete(blobs.storage_name(sha(content)))


@pytest.fixture
def collection(organization):
    return SkillCollectionFactory(organization=organization, name="support")


@pytest.fixture
def history(collection):
    first = create_version(
        collection,
        {"pdf-tools/SKILL.md": SKILL, "README.md": "one\ntwo\nthree\n", "old.txt": "bye\n"},
        release_label="stable",
    )
    second = create_version(
        collection,
        {"pdf-tools/SKILL.md": SKILL, "README.md": "one\nTWO\nthree\n", "new.txt": "hi"},
    )
    return first, second


def test_added_removed_and_changed_against_the_previous_version(client, history):
    first, second = history
    data = diff_of(client, second)
    assert data["type"] == "skill_collection_version_diffs"
    assert data["id"] == f"{first.pk}..{second.pk}"
    attributes = data["attributes"]
    assert (attributes["number"], attributes["against_number"]) == (2, 1)
    assert attributes["files_added"] == attributes["files_removed"] == 1
    assert (attributes["files_changed"], attributes["files_unchanged"]) == (1, 1)
    assert (attributes["lines_added"], attributes["lines_removed"]) == (2, 2)
    assert attributes["truncated"] is False
    files = by_path(data)
    assert list(files) == ["README.md", "new.txt", "old.txt"]  # unchanged SKILL.md left out
    assert files["README.md"] == {
        "path": "README.md",
        "status": "changed",
        "old_size": 14,
        "new_size": 14,
        "old_sha256": sha("one\ntwo\nthree\n"),
        "new_sha256": sha("one\nTWO\nthree\n"),
        "binary": False,
        "diff": "--- a/README.md\n+++ b/README.md\n@@ -1,3 +1,3 @@\n one\n-two\n+TWO\n three\n",
        "diff_omitted": None,
        "lines_added": 1,
        "lines_removed": 1,
    }
    assert files["old.txt"]["status"] == "removed"
    assert (files["old.txt"]["new_size"], files["old.txt"]["new_sha256"]) == (None, None)
    assert files["old.txt"]["diff"] == "--- a/old.txt\n+++ /dev/null\n@@ -1 +0,0 @@\n-bye\n"
    assert files["new.txt"]["status"] == "added"
    assert (files["new.txt"]["old_size"], files["new.txt"]["new_size"]) == (None, 2)
    # No final newline: said the way git says it.
    assert files["new.txt"]["diff"] == (
        "--- /dev/null\n+++ b/new.txt\n@@ -0,0 +1 @@\n+hi\n\\ No newline at end of file\n"
    )
    relationships = data["relationships"]
    assert relationships["skill_collection_version"]["data"]["id"] == str(second.pk)
    assert relationships["against_version"]["data"] == {
        "type": "skill_collection_versions",
        "id": str(first.pk),
    }
    assert relationships["against_version"]["links"]["related"].endswith(
        f"/api/skill_collection_versions/{first.pk}"
    )
    assert data["meta"]["mode"] == "test"


def test_the_first_version_is_compared_with_the_empty_tree(client, history):
    first, _ = history
    data = diff_of(client, first)
    assert data["id"] == f"empty..{first.pk}"
    assert data["attributes"]["against_number"] is None
    assert data["relationships"]["against_version"] == {"data": None}
    files = by_path(data)
    assert {entry["status"] for entry in files.values()} == {"added"}
    assert list(files) == ["README.md", "old.txt", "pdf-tools/SKILL.md"]
    assert data["attributes"]["files_unchanged"] == 0
    assert files["README.md"]["diff"].startswith("--- /dev/null\n+++ b/README.md\n@@ -0,0 +1,3 @@")


def test_against_a_label_a_number_or_a_later_version(client, collection, history):
    first, second = history
    third = create_version(collection, {"pdf-tools/SKILL.md": SKILL}, release_label="2")
    by_label = diff_of(client, third, "?against=stable")
    assert by_label["attributes"]["against_number"] == 1
    assert set(by_path(by_label)) == {"README.md", "old.txt"}
    # A number wins over a release label spelled like one ("2" is the label of version 3).
    assert diff_of(client, third, "?against=2")["attributes"]["against_number"] == 2
    backwards = diff_of(client, first, "?against=3")
    assert backwards["id"] == f"{third.pk}..{first.pk}"
    assert {entry["status"] for entry in backwards["attributes"]["files"]} == {"added"}
    itself = diff_of(client, second, "?against=2")
    assert itself["attributes"]["files"] == []
    assert itself["attributes"]["files_unchanged"] == 3


def test_binary_files_say_so_and_are_read_only_when_needed(client, collection):
    create_version(
        collection,
        {"pdf-tools/SKILL.md": SKILL, "logo.png": PNG, "data.txt": b"\xff\xfe\x00abc"},
    )
    newer_png, newer_data = PNG + b"!", b"\xff\xfe\x00abcd"
    second = create_version(
        collection,
        {"pdf-tools/SKILL.md": SKILL, "logo.png": newer_png, "data.txt": newer_data},
    )
    # A PNG is binary by its name: neither side is read from storage.
    forget_blob(PNG)
    forget_blob(newer_png)
    files = by_path(diff_of(client, second))
    for path in ("logo.png", "data.txt"):  # data.txt: binary by its content (not UTF-8, NUL)
        assert files[path]["binary"] is True
        assert files[path]["diff"] is None
        assert files[path]["diff_omitted"] == "binary"
    assert files["logo.png"]["new_sha256"] == sha(newer_png)
    assert (files["data.txt"]["old_size"], files["data.txt"]["new_size"]) == (6, 7)


def test_oversized_files_get_no_diff_and_are_not_read(client, collection, settings):
    settings.SKILLPORT_SKILLS = {**settings.SKILLPORT_SKILLS, "DIFF_MAX_FILE_SIZE": 100}
    big, bigger = "x\n" * 60, "y\n" * 60
    create_version(collection, {"pdf-tools/SKILL.md": SKILL, "big.txt": big})
    second = create_version(collection, {"pdf-tools/SKILL.md": SKILL, "big.txt": bigger})
    forget_blob(big.encode())
    forget_blob(bigger.encode())
    data = diff_of(client, second)
    [entry] = data["attributes"]["files"]
    assert (entry["old_size"], entry["new_size"]) == (120, 120)
    assert entry["diff"] is None
    assert entry["diff_omitted"] == "too_large"
    assert entry["binary"] is None  # never looked at
    assert data["attributes"]["limits"]["max_file_size"] == 100
    assert data["attributes"]["truncated"] is False


def test_unicode_paths_and_content(client, collection):
    old = "café\nline\u2028same line\n"
    new = "café 🎉\nline\u2028same line\n"
    create_version(collection, {"pdf-tools/SKILL.md": SKILL, "notes/résumé.md": old})
    second = create_version(collection, {"pdf-tools/SKILL.md": SKILL, "notes/résumé.md": new})
    response = client.get(f"/api/skill_collection_versions/{second.pk}/diff")
    entry = by_path(response.json()["data"])["notes/résumé.md"]
    # Lines break at \n only: U+2028 stays inside its line, as in git.
    assert entry["diff"] == (
        "--- a/notes/résumé.md\n+++ b/notes/résumé.md\n@@ -1,2 +1,2 @@\n"
        "-café\n+café 🎉\n line\u2028same line\n"
    )
    assert (entry["old_size"], entry["new_size"]) == (len(old.encode()), len(new.encode()))


def test_the_answer_limits_cut_diffs_off_and_say_so(client, collection, settings):
    files_before = {
        "b.txt": "b\n",
        "c.txt": "c\n",
        "pdf-tools/SKILL.md": SKILL,
        "z.txt": "z\n" * 50,
    }
    create_version(collection, files_before)
    second = create_version(
        collection, {path: f"{text}more\n" for path, text in files_before.items()}
    )
    forget_blob(files_before["z.txt"].encode())  # beyond the limits below: never read
    settings.SKILLPORT_SKILLS = {**settings.SKILLPORT_SKILLS, "DIFF_MAX_TOTAL_SIZE": 40}
    data = diff_of(client, second)
    files = by_path(data)
    # SKILL.md (~150 bytes to read) does not fit in 40; smaller files after it would.
    assert [entry["diff_omitted"] for entry in files.values()] == [None, None, "limit", "limit"]
    assert files["b.txt"]["diff"].endswith(" b\n+more\n")
    assert files["z.txt"]["diff"] is None
    assert data["attributes"]["truncated"] is True
    settings.SKILLPORT_SKILLS = {
        **settings.SKILLPORT_SKILLS,
        "DIFF_MAX_TOTAL_SIZE": 10**6,
        "DIFF_MAX_FILES": 1,
    }
    data = diff_of(client, second)
    files = by_path(data)
    assert [entry["diff_omitted"] for entry in files.values()] == [None, "limit", "limit", "limit"]
    assert files["b.txt"]["lines_added"] == 1
    assert data["attributes"]["truncated"] is True


def test_a_smaller_file_after_one_beyond_the_budget_still_gets_its_diff(
    client, collection, settings
):
    create_version(collection, {"pdf-tools/SKILL.md": SKILL, "a.txt": "a\n" * 50, "b.txt": "b\n"})
    second = create_version(
        collection, {"pdf-tools/SKILL.md": SKILL, "a.txt": "a\n" * 51, "b.txt": "B\n"}
    )
    settings.SKILLPORT_SKILLS = {**settings.SKILLPORT_SKILLS, "DIFF_MAX_TOTAL_SIZE": 40}
    files = by_path(diff_of(client, second))
    assert files["a.txt"]["diff_omitted"] == "limit"
    assert files["b.txt"]["diff"].endswith("-b\n+B\n")


@pytest.mark.parametrize(
    ("query", "status", "parameter"),
    [
        ("?against=9", 404, "against"),
        ("?against=nope", 404, "against"),
        ("?against=99999999999999999999", 404, "against"),
        ("?against=", 400, "against"),
        ("?against=%00", 400, "against"),
        ("?against=" + "x" * 101, 400, "against"),
        ("?versus=1", 400, "versus"),
    ],
)
def test_bad_against_is_a_json_api_error(client, history, query, status, parameter):
    _, second = history
    response = client.get(f"/api/skill_collection_versions/{second.pk}/diff{query}")
    assert response.status_code == status
    [error] = response.json()["errors"]
    assert error["source"] == {"parameter": parameter}


def test_another_collections_label_is_unknown(client, organization, history):
    _, second = history
    other = SkillCollectionFactory(organization=organization)
    create_version(other, release_label="elsewhere")
    response = client.get(f"/api/skill_collection_versions/{second.pk}/diff?against=elsewhere")
    assert response.status_code == 404


def test_other_organizations_and_modes_see_nothing(
    client, other_client, anonymous_client, api_key, history
):
    _, second = history
    url = f"/api/skill_collection_versions/{second.pk}/diff"
    live = JsonApiClient(ApiKeyFactory(member=api_key.member, mode=Mode.LIVE))
    for stranger in (other_client, live):
        response = stranger.get(url)
        assert response.status_code == 404
        assert response.json()["errors"][0]["status"] == "404"
    assert anonymous_client.get(url).status_code == 401
    assert client.get("/api/skill_collection_versions/not-a-uuid/diff").status_code == 404


def test_the_query_count_does_not_grow_with_the_files(
    client, collection, django_assert_max_num_queries
):
    small = create_version(collection, {"pdf-tools/SKILL.md": SKILL, "a.txt": "a\n"})
    with django_assert_max_num_queries(7) as captured:  # key, savepoints, 3 reads
        diff_of(client, small)
    many = {f"docs/{number}.txt": f"{number}\n" for number in range(40)}
    create_version(collection, {"pdf-tools/SKILL.md": SKILL, **many})
    large = create_version(
        collection, {"pdf-tools/SKILL.md": SKILL, **{p: t * 2 for p, t in many.items()}}
    )
    with django_assert_max_num_queries(len(captured)):
        assert len(diff_of(client, large, "?against=1")["attributes"]["files"]) == 41


def test_the_admin_page_shows_the_diff_escaped(admin_client, collection):
    first = create_version(collection, {"pdf-tools/SKILL.md": SKILL, "page.html": "<p>old</p>\n"})
    second = create_version(
        collection,
        {"pdf-tools/SKILL.md": SKILL, "page.html": "<script>alert(1)</script>\n", "logo.png": PNG},
    )
    response = admin_client.get(f"/admin/skills/skillcollectionversion/{second.pk}/change/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "v2 against v1: 1 added, 0 removed, 1 changed, 1 unchanged; +1 -1 lines" in page
    # Each line classed for its colour (skillport/admin.css), its text escaped.
    assert (
        '<span class="removed">-&lt;p&gt;old&lt;/p&gt;</span>\n'
        '<span class="added">+&lt;script&gt;alert(1)&lt;/script&gt;</span>'
    ) in page
    assert "skillport/admin.css" in page
    assert "<script>alert(1)</script>" not in page
    assert "binary file" in page
    response = admin_client.get(f"/admin/skills/skillcollectionversion/{first.pk}/change/")
    assert "v1 against the empty tree: 2 added, 0 removed, 0 changed" in response.content.decode()


def test_the_openapi_document_describes_the_diff(anonymous_client):
    document = anonymous_client.get("/api/openapi.json", HTTP_ACCEPT="application/json").json()
    operation = document["paths"]["/api/skill_collection_versions/{id}/diff"]["get"]
    assert operation["tags"] == ["skill_collection_versions"]
    assert {parameter["name"] for parameter in operation["parameters"]} == {"id", "against"}
    assert {"200", "400", "401", "404"} <= set(operation["responses"])
    schema = document["components"]["schemas"]["SkillCollectionVersionDiffDocument"]
    data = schema["properties"]["data"]
    assert data["properties"]["type"]["enum"] == ["skill_collection_version_diffs"]
    files = data["properties"]["attributes"]["properties"]["files"]["items"]["properties"]
    assert files["diff_omitted"]["enum"] == ["binary", "too_large", "limit"]


def edited(lines: list[str], rng: random.Random) -> list[str]:
    """`lines` with random deletions, insertions, replacements and duplicated lines."""
    result = []
    for line in lines:
        roll = rng.random()
        if roll < 0.1:
            continue
        result.append(f"new {rng.randrange(50)}\n" if roll < 0.2 else line)
        if roll > 0.93:
            result.append(rng.choice(lines))
    return result


def test_real_git_applies_every_diff_even_on_adversarial_input(tmp_path):
    """Correct diffs from the bounded matcher (skills/linediff.py): `git apply` turns each old
    file into its new one, for random edits and for inputs that make difflib crawl."""
    rng = random.Random(16)
    pairs = {}
    for number in range(40):
        lines = [f"{rng.choice(['same', 'line', 'x'])} {rng.randrange(30)}\n" for _ in range(300)]
        pairs[f"random/{number}.txt"] = ("".join(lines), "".join(edited(lines, rng)))
    base = [f"line {number}\n" for number in range(20000)]
    scattered = [line if n % 7 else f"changed {n}\n" for n, line in enumerate(base)]
    pairs["scattered.txt"] = ("".join(base), "".join(scattered))
    pairs["repetitive.txt"] = ("x\n" * 30000, "x\ny\n" * 15000)
    pairs["shuffled.txt"] = ("".join(base), "".join(rng.sample(base, len(base))))
    pairs["no newline.txt"] = ("a\nb", "a\nc")
    pairs["emptied.txt"] = ("a\n", "")
    patch = []
    for path, (old, new) in pairs.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(old)
        text, added, removed = diffs.unified_diff(path, old, new)
        assert added == sum(line.startswith("+") for line in text.splitlines()[2:])
        assert removed == sum(line.startswith("-") for line in text.splitlines()[2:])
        patch.append(text)
    subprocess.run(
        ["git", "apply", "--unsafe-paths", "-"],
        input="".join(patch).encode(),
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    for path, (_old, new) in pairs.items():
        assert (tmp_path / path).read_text() == new, path


def test_a_spent_work_budget_still_gives_correct_blocks():
    rng = random.Random(3)
    old = [f"{rng.randrange(40)}\n" for _ in range(2000)]
    new = edited(old, rng)
    for budget in (0, 1000, linediff.WORK_BUDGET):
        blocks = linediff.matching_blocks(old, new, budget)
        ends = [(0, 0)]
        for i, j, size in blocks:
            assert old[i : i + size] == new[j : j + size]
            assert i >= ends[-1][0] and j >= ends[-1][1]  # increasing, never overlapping
            ends.append((i + size, j + size))
    assert len(linediff.matching_blocks(old, new, 0)) <= 2  # the common head and tail only
