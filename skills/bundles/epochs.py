"""When a plugin layout came into effect for the data already there (skills/bundles/layouts.py
`LAYOUTS`, `BundleLayoutEpoch`), recorded by the migration that introduces the layout."""

from django.utils import timezone


def record_layout_epoch(apps, schema_editor, layout: int) -> None:
    """For a data migration (`RunPython`): each tenant that has a plugin or a marketplace now gets
    `layout` since now, so what happened before keeps the layout it was served in; a tenant
    with none (a fresh install) gets no row and lays everything out in the newest layout."""
    epoch = apps.get_model("skills", "BundleLayoutEpoch")
    tenants: set = set()
    for name in ("SkillPlugin", "SkillMarketplace"):
        rows = apps.get_model("skills", name).objects.using(schema_editor.connection.alias)
        tenants |= set(rows.values_list("organization_id", "mode").distinct())
    now = timezone.now()
    epoch.objects.using(schema_editor.connection.alias).bulk_create(
        [
            epoch(organization_id=organization, mode=mode, layout=layout, since=now)
            for organization, mode in sorted(tenants, key=str)
        ],
        ignore_conflicts=True,
    )
