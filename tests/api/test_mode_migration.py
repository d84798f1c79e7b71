"""Rows that existed before modes were separated become `test` data when the migrations run.

A fresh install on a file SQLite database is migrated to just before the mode columns, rows are
written with the historical models of that state, then the rest of the migrations run.
"""

from tests.served import install_env, manage

BEFORE_MODES = (
    ("organizations", "0001_initial"),
    ("skills", "0001_initial"),
    ("files", "0001_initial"),
    ("exports", "0002_skill_exports"),
)

WRITE_OLD_ROWS = """
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

state = MigrationExecutor(connection).loader.project_state(%r)
models = state.apps
organization = models.get_model("organizations", "Organization").objects.create(
    name="old", slug="old"
)
models.get_model("skills", "SkillCollection").objects.create(
    organization=organization, name="old", root_path=".claude/skills"
)
models.get_model("exports", "Export").objects.create(
    organization=organization, resource_type="teams"
)
models.get_model("files", "File").objects.create(
    organization=organization, file_name="a.zip", file_size=1, file_type="application/zip",
    purpose="export", sha256="0" * 64, storage_name="files/a.zip",
)
"""

READ_MODES = """
from exports.models import Export
from files.models import File
from skills.models import SkillCollection

for model in (SkillCollection, Export, File):
    print(model.__name__, *model.objects.values_list("mode", flat=True))
"""


def test_rows_from_before_modes_become_test_data(tmp_path):
    env = install_env(tmp_path)
    for app, migration in BEFORE_MODES:
        manage(env, "migrate", app, migration, "--noinput", "-v0")
    manage(env, "shell", "-v0", "-c", WRITE_OLD_ROWS % (list(BEFORE_MODES),))
    manage(env, "migrate", "--noinput", "-v0")
    modes = manage(env, "shell", "-v0", "-c", READ_MODES).split("\n")
    assert [line for line in modes if line] == [
        "SkillCollection test",
        "Export test",
        "File test",
    ]
