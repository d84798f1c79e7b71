"""Plugin layout 2 (`gemini-extension.json`, skills/bundles/layouts.py `LAYOUTS`) takes effect now
for the plugins and marketplaces already there: their git history keeps its commits and gains
one that adds the file; a fresh install lays everything out in layout 2 from its first commit."""

import uuid

import django.db.models.deletion
from django.db import migrations, models

from skills.bundles.epochs import record_layout_epoch


def layout_2_since_now(apps, schema_editor):
    record_layout_epoch(apps, schema_editor, 2)


class Migration(migrations.Migration):
    dependencies = [
        ("organizations", "0004_api_key_scope"),
        ("skills", "0010_share_links"),
    ]

    operations = [
        migrations.CreateModel(
            name="BundleLayoutEpoch",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "mode",
                    models.CharField(
                        choices=[("test", "Test"), ("live", "Live")], db_index=True, max_length=4
                    ),
                ),
                ("layout", models.PositiveSmallIntegerField()),
                ("since", models.DateTimeField()),
                (
                    "organization",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="organizations.organization",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("organization", "mode", "layout"), name="bundle_layout_epoch_unique"
                    )
                ],
            },
        ),
        migrations.RunPython(layout_2_since_now, migrations.RunPython.noop),
    ]
