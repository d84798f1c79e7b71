"""`manage.py check_tenancy` reports links already stored across organizations or modes."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from skills.models import Skill, SkillCollectionVersion, SkillPlugin
from tests.api.test_link_boundary import make
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


def check_tenancy() -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("check_tenancy", stdout=out)
    except SystemExit as exit:
        return exit.code, out.getvalue()
    return 0, out.getvalue()


def test_clean_on_good_data():
    home = OrganizationFactory()
    skill = make("skill", home, "test")
    plugin = make("plugin", home, "test")
    plugin.skills.add(skill)
    skill.versions.add(skill.skill_collection_version)
    make("skill_export", home, "live")
    make("callback", home, "live")
    code, out = check_tenancy()
    assert code == 0, out
    assert "0 cross-tenant links" in out


def test_finds_links_stored_behind_the_orms_back():
    home, other = OrganizationFactory(), OrganizationFactory()
    skill = make("skill", home, "test")
    # A foreign key changed with QuerySet.update, which sends no signal and calls no save().
    Skill.objects.filter(pk=skill.pk).update(skill_collection=make("collection", other, "test"))
    # A many-to-many row inserted straight into the through table.
    plugin = make("plugin", other, "test")
    SkillPlugin.skills.through.objects.bulk_create(
        [SkillPlugin.skills.through(skillplugin_id=plugin.pk, skill_id=skill.pk)]
    )
    # A version moved to the other mode in raw SQL: its collection and skills stay in test.
    version = make("version", home, "test")
    table = connection.ops.quote_name(SkillCollectionVersion._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET mode = 'live' WHERE id = %s", [version.pk.hex])
    code, out = check_tenancy()
    assert code == 1
    lines = out.splitlines()
    assert any(
        "skills.Skill.skill_collection" in line and str(skill.pk) in line and "organization" in line
        for line in lines
    ), out
    assert any("skills.SkillPlugin.skills" in line and str(plugin.pk) in line for line in lines), (
        out
    )
    assert any(
        "skills.SkillCollectionVersion.skill_collection" in line
        and str(version.pk) in line
        and "mode" in line
        for line in lines
    ), out
    assert "3 cross-tenant links" in out
