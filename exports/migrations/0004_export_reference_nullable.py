"""`reference` and `reference_origin` are null when not given (as in Commerce Layer)."""

from django.db import migrations, models


def empty_references_to_null(apps, schema_editor) -> None:
    Export = apps.get_model("exports", "Export")
    for name in ("reference", "reference_origin"):
        Export.objects.filter(**{name: ""}).update(**{name: None})


def null_references_to_empty(apps, schema_editor) -> None:
    Export = apps.get_model("exports", "Export")
    for name in ("reference", "reference_origin"):
        Export.objects.filter(**{f"{name}__isnull": True}).update(**{name: ""})


class Migration(migrations.Migration):
    dependencies = [
        ("exports", "0003_tenant_mode"),
    ]

    operations = [
        migrations.AlterField(
            model_name="export",
            name="reference",
            field=models.CharField(blank=True, max_length=255, null=True),
        ),
        migrations.AlterField(
            model_name="export",
            name="reference_origin",
            field=models.CharField(blank=True, max_length=255, null=True),
        ),
        migrations.RunPython(empty_references_to_null, null_references_to_empty, elidable=True),
    ]
