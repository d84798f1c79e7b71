from pathlib import Path

import pytest

from tests.factories import ApiKeyFactory
from tests.skills.gitclient import run_git


@pytest.fixture
def home(tmp_path) -> Path:
    """A throwaway HOME for the real `git` client, with an identity for commits."""
    home = tmp_path / "home"
    home.mkdir()
    run_git(home, "config", "--global", "user.name", "Tester")
    run_git(home, "config", "--global", "user.email", "tester@example.com")
    return home


@pytest.fixture
def key():
    """The API key the git tests clone and push with (`key.raw_key`)."""
    return ApiKeyFactory()
