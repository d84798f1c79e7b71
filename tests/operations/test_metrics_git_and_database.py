"""What git and a lost database add to the metrics: clones and pushes with the real `git`
client against a live server thread, and a request while PostgreSQL is unreachable."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.api.test_database_unavailable import unreachable_database  # noqa: F401  (fixture)
from tests.factories import ApiKeyFactory
from tests.operations.test_metrics import TOKEN, metrics_on, scrape, value  # noqa: F401
from tests.skills.factories import SkillCollectionFactory, create_version, skill_files, skill_md
from tests.skills.gitclient import git_with_key, run_git, url_of

UPLOAD, RECEIVE = "git-upload-pack", "git-receive-pack"


@pytest.mark.django_db(transaction=True)
def test_clones_and_pushes_are_counted_with_their_bytes(metrics_on, live_server, tmp_path):  # noqa: F811
    key = ApiKeyFactory()
    collection = SkillCollectionFactory(organization=key.organization, created_by=key.member)
    create_version(collection, files=skill_files("pdf-tools"), commit_message="First")
    home = tmp_path / "home"
    home.mkdir()
    run_git(home, "config", "--global", "user.name", "Tester")
    run_git(home, "config", "--global", "user.email", "tester@example.com")
    url, target = url_of(live_server, collection), home / "repo"
    before = scrape()

    git_with_key(home, url, key.raw_key, "clone", url, str(target))
    cloned = scrape()
    assert (
        value(cloned, "skillport_git_operations_total", service=UPLOAD)
        - value(before, "skillport_git_operations_total", service=UPLOAD)
        >= 1
    )
    sent = {"service": UPLOAD, "direction": "sent"}
    pack = value(cloned, "skillport_git_bytes_total", **sent) - value(
        before, "skillport_git_bytes_total", **sent
    )
    assert pack > 100  # the pack of a version, not just the negotiation

    (target / "notes").mkdir()
    (target / "notes" / "SKILL.md").write_text(skill_md("notes"))
    git_with_key(home, url, key.raw_key, "add", "-A", cwd=target)
    git_with_key(home, url, key.raw_key, "commit", "-q", "-m", "notes", cwd=target)
    git_with_key(home, url, key.raw_key, "push", "origin", "main", cwd=target)
    pushed = scrape()
    assert (
        value(pushed, "skillport_git_operations_total", service=RECEIVE)
        - value(cloned, "skillport_git_operations_total", service=RECEIVE)
        == 1
    )
    received = {"service": RECEIVE, "direction": "received"}
    assert (
        value(pushed, "skillport_git_bytes_total", **received)
        - value(cloned, "skillport_git_bytes_total", **received)
        > 0
    )


@pytest.mark.django_db(transaction=True)
def test_a_request_that_finds_no_database_is_counted(metrics_on, request):  # noqa: F811
    before = value(scrape(), "skillport_database_errors_total", where="request")
    request.getfixturevalue("unreachable_database")  # skips on SQLite, saying why
    response = Client(raise_request_exception=False).get("/api/skill_collections")
    assert response.status_code == 503
    # The scrape answers meanwhile: the counters, without the database's gauges.
    found = scrape()
    assert value(found, "skillport_database_errors_total", where="request") - before == 1
    assert value(found, "skillport_database_errors_total", where="metrics") >= 1
    assert not any(name == "skillport_jobs" for name, _ in found)
