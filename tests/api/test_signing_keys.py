"""The signing key: random per install (never a key shipped in the repository), kept private in
the var dir and shared by every process of the install; SECRET_KEY wins; rotation via
SECRET_KEY_FALLBACKS keeps signed links valid."""

import os
import re
import secrets
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client

from core.signing import SALT, make_token
from tests.conftest import JsonApiClient

ROOT = Path(__file__).resolve().parents[2]
PRINT_KEYS = (
    "import os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings');"
    "from django.conf import settings;"
    "print(settings.SECRET_KEY); print(','.join(settings.SECRET_KEY_FALLBACKS))"
)


def settings_process(var_dir: Path, **env: str) -> subprocess.Popen:
    """A fresh process of the install at `var_dir` that prints its key and fallbacks."""
    environ = {
        k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "SECRET_KEY_FALLBACKS"}
    }
    return subprocess.Popen(
        [sys.executable, "-c", PRINT_KEYS],
        cwd=ROOT,
        env={**environ, "SKILLPORT_VAR_DIR": str(var_dir), **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def keys_of(process: subprocess.Popen) -> tuple[str, list[str]]:
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    key, fallbacks = out.splitlines()
    return key, [item for item in fallbacks.split(",") if item]


def install_key(var_dir: Path, **env: str) -> tuple[str, list[str]]:
    return keys_of(settings_process(var_dir, **env))


def new_key() -> str:
    return secrets.token_urlsafe(48)


@pytest.fixture
def stored_file(db):
    return default_storage.save("exports/secret/data.json.gz", ContentFile(b"secret"))


def test_a_link_forged_with_another_installs_default_key_is_refused(tmp_path, stored_file):
    # Before: every install without SECRET_KEY served the same key shipped in settings.py, so
    # anyone could sign a link that this server accepted.
    other_key, _ = install_key(tmp_path / "other-install")
    payload = {"n": stored_file, "e": 2**40, "f": "", "t": ""}
    forged = signing.dumps(payload, key=other_key, salt=SALT, compress=True)
    response = JsonApiClient().get(f"/api/downloads/{forged}")
    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "invalid_signature"


def test_the_default_key_is_random_per_install(tmp_path):
    first, _ = install_key(tmp_path / "a")
    second, _ = install_key(tmp_path / "b")
    assert first != second
    assert len(first) >= 50


def test_key_file_is_private_and_shared_by_every_process(tmp_path):
    var_dir = tmp_path / "var"
    var_dir.mkdir()
    # Several processes start at once on a fresh install: they must agree on one key.
    processes = [settings_process(var_dir) for _ in range(4)]
    keys = {keys_of(process)[0] for process in processes}
    key_file = var_dir / "secret_key"
    assert keys == {key_file.read_text().strip()}
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert [p.name for p in var_dir.iterdir() if "secret_key" in p.name] == ["secret_key"]
    # A later process (a restart, a worker) reuses it.
    assert install_key(var_dir)[0] == keys.pop()


def test_secret_key_from_the_environment_wins(tmp_path):
    explicit = new_key()
    assert install_key(tmp_path, SECRET_KEY=explicit)[0] == explicit
    assert not (tmp_path / "secret_key").exists()


def test_fallbacks_come_from_the_environment(tmp_path):
    old, older = new_key(), new_key()
    _, fallbacks = install_key(tmp_path, SECRET_KEY_FALLBACKS=f"{old}, {older}")
    assert fallbacks == [old, older]


def test_a_link_signed_with_a_rotated_key_works_while_that_key_is_a_fallback(settings, stored_file):
    old, new = new_key(), new_key()
    settings.SECRET_KEY = old
    token = make_token(stored_file)
    settings.SECRET_KEY = new
    assert JsonApiClient().get(f"/api/downloads/{token}").status_code == 403
    settings.SECRET_KEY_FALLBACKS = [old]
    response = JsonApiClient().get(f"/api/downloads/{token}")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"secret"


def test_no_signing_key_literal_in_the_repository():
    assignment = re.compile(
        r"""SECRET_KEY\s*=\s*["']|environ\.get\(\s*["']SECRET_KEY["']\s*,\s*["']"""
    )
    skip = {".venv", "var", ".git", "__pycache__", "node_modules"}
    offenders = []
    for folder, folders, files in os.walk(ROOT):
        folders[:] = [name for name in folders if name not in skip]
        for name in files:
            path = Path(folder) / name
            if path.suffix in {".py", ".cfg", ".toml", ".ini", ".env", ""} and assignment.search(
                path.read_text(errors="ignore")
            ):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_an_admin_session_survives_a_key_change_while_the_old_key_is_a_fallback(
    settings, admin_user
):
    old, new = new_key(), new_key()
    browser = Client()
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = old, []
    browser.force_login(admin_user)
    assert browser.get("/admin/").status_code == 200
    settings.SECRET_KEY = new  # without the fallback the session is no longer valid
    assert browser.get("/admin/").status_code == 302
    settings.SECRET_KEY = old
    browser.force_login(admin_user)
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = new, [old]
    assert browser.get("/admin/").status_code == 200
