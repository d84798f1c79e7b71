"""Settings: one object per app over defaults written once; the reference is made from them."""

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings

from core.conf import REGISTRY, AppSettings, environment_settings
from core.management.commands import config_reference
from events.conf import DEFAULTS as WEBHOOK_DEFAULTS
from events.conf import events_conf
from exports.conf import exports_conf
from skills.conf import skills_conf

ROOT = Path(__file__).resolve().parents[1]
APPS = ["core", "api", "events", "organizations", "files", "skills", "exports"]


def app_groups() -> list[AppSettings]:
    return [group for group in REGISTRY if isinstance(group, AppSettings)]


def test_the_configuration_page_is_generated_from_the_defaults():
    page = config_reference.page_path().read_text()
    assert config_reference.render(page) == page, (
        "docs/reference/configuration.md is stale: run `manage.py config_reference`"
    )
    call_command("config_reference", "--check")


def test_every_setting_is_on_the_page():
    page = config_reference.page_path().read_text()
    for group in REGISTRY:
        for key, record in group.defaults.items():
            assert f"`{record.env}`" in page if record.env else group.setting_name(key) in page


def test_each_variable_and_setting_is_declared_once():
    variables = Counter(r.env for group in REGISTRY for r in group.defaults.values() if r.env)
    assert [name for name, count in variables.items() if count > 1] == []
    names = Counter((group.name, key) for group in app_groups() for key in group.defaults)
    assert [name for name, count in names.items() if count > 1] == []


def test_config_maps_the_environment_to_every_app_settings_object():
    assert [group.title for group in app_groups() if not group.mapped] == []


def test_no_app_module_reads_the_environment():
    offenders = []
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            text = path.read_text()
            if "os.environ" in text or "getenv" in text:
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_override_settings_reaches_the_app_settings_and_is_undone():
    before = events_conf.TIMEOUT
    with override_settings(SKILLPORT_WEBHOOKS={"TIMEOUT": 1.5}):
        assert events_conf.TIMEOUT == 1.5
        assert WEBHOOK_DEFAULTS["BACKOFF_BASE"].default == events_conf.BACKOFF_BASE
    assert before == events_conf.TIMEOUT


def test_the_settings_fixture_reaches_the_app_settings(settings):
    settings.SKILLPORT = {**settings.SKILLPORT, "EXPORT_CHUNK_SIZE": 7}
    assert exports_conf.EXPORT_CHUNK_SIZE == 7
    settings.SKILLPORT_WEBHOOKS_ALLOW_PRIVATE = True
    assert events_conf.ALLOW_PRIVATE is True


def test_an_unknown_setting_is_an_attribute_error():
    with pytest.raises(AttributeError):
        skills_conf.NO_SUCH_SETTING  # noqa: B018


def test_only_the_variables_that_are_set_become_settings():
    environ = {
        "SKILLPORT_WEBHOOKS_TIMEOUT": "3",
        "SKILLPORT_WEBHOOKS_ALLOW_PRIVATE": "yes",
        "SKILLPORT_EXPORT_MAX_RECORDS": "0",
        "SKILLPORT_EXPORT_CHUNK_SIZE": "10",
        "SKILLPORT_SKILLS_GIT_MAX_PUSH_SIZE": "",  # blank: unset, the default applies
    }
    assert environment_settings(environ, app_groups()) == {
        "SKILLPORT": {"EXPORT_MAX_RECORDS": None, "EXPORT_CHUNK_SIZE": 10},
        "SKILLPORT_SKILLS": {},
        "SKILLPORT_WEBHOOKS": {"TIMEOUT": 3.0},
        "SKILLPORT_WEBHOOKS_ALLOW_PRIVATE": True,
    }


def test_config_settings_maps_the_environment_to_the_app_settings(tmp_path):
    script = (
        "import django, json; django.setup();"
        "from api.conf import api_conf; from events.conf import events_conf;"
        "from skills.conf import skills_conf;"
        "print(json.dumps([api_conf.MAX_URI_LENGTH, events_conf.ALLOW_PRIVATE,"
        " events_conf.PUBLIC_URL, skills_conf.GIT_MAX_PUSH_SIZE]))"
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SKILLPORT_")},
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SKILLPORT_VAR_DIR": str(tmp_path),
        "SKILLPORT_MAX_URI_LENGTH": "100",
        "SKILLPORT_WEBHOOKS_ALLOW_PRIVATE": "true",
    }
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    default_push = skills_conf.defaults["GIT_MAX_PUSH_SIZE"].default
    assert json.loads(result.stdout) == [100, True, "http://localhost:8000", default_push]
