from django.contrib import admin, messages
from django.utils.html import format_html

from api.admin_tenancy import TenantForm, TenantModelAdmin, tenant_of
from core.errors import ValidationFailed
from core.signing import signed_url
from exports.bulk import services
from exports.models import Export, SkillExport
from exports.skill_exports import services as skill_exports

# What an export is of: the API's attributes, validated by the API's `validate_spec`.
SPEC_FIELDS = ("resource_type", "format", "includes", "fields", "filters", "dry_data")


class ExportAdminForm(TenantForm):
    def clean(self) -> dict:
        cleaned = super().clean()
        if not self.instance._state.adding or self.errors:
            return cleaned
        data = {name: cleaned.get(name) for name in SPEC_FIELDS}
        try:
            services.validate_spec(tenant_of(self.instance), data)
        except ValidationFailed as error:
            for name, messages_ in error.errors.items():
                self.add_error(name if name in self.fields else None, [str(m) for m in messages_])
        return cleaned


@admin.register(Export)
class ExportAdmin(TenantModelAdmin):
    form = ExportAdminForm
    list_display = (
        "id",
        "organization",
        "mode",
        "resource_type",
        "format",
        "status",
        "progress",
        "created_at",
        "completed_at",
        "interrupted_at",
    )
    list_filter = ("status", "format", "resource_type", "dry_data", "mode")
    search_fields = ("id", "reference", "reference_origin", "resource_type")
    readonly_fields = (
        "status",
        "progress",
        "started_at",
        "completed_at",
        "interrupted_at",
        "records_count",
        "records_total",
        "records_exported",
        "errors_log",
        "attempts",
        "lease_owner",
        "lease_expires_at",
        "attachment",
        "file_expires_at",
        "download_link",
        "created_at",
        "updated_at",
    )
    raw_id_fields = ("organization", "created_by")
    actions = ("retry", "interrupt")
    # What the export is of; fixed once it has left `pending` (its file, events and audit
    # trail describe it). Bookkeeping (`reference`, `metadata`) stays editable.
    SPEC_FIELDS = SPEC_FIELDS

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if obj is not None and (obj.status != Export.Status.PENDING or obj.started_at):
            fields = (*fields, *self.SPEC_FIELDS)
        return fields

    def save_model(self, request, obj, form, change) -> None:
        if change:  # bookkeeping only: what the export is of is fixed
            return super().save_model(request, obj, form, change)
        data = {
            name: value
            for name, value in form.cleaned_data.items()
            if name not in ("organization", "mode", "created_by")
        }
        created = services.create_export(tenant_of(obj), obj.created_by, data)
        obj.pk, obj._state.adding = created.pk, False

    @admin.display(description="progress")
    def progress(self, export: Export) -> str:
        total = export.records_total or export.records_count
        if not total:
            return f"{export.records_exported} records"
        return f"{export.records_exported} / {total} ({100 * export.records_exported // total}%)"

    @admin.display(description="Download")
    def download_link(self, export: Export) -> str:
        if not export.attachment:
            return "-"
        url = signed_url(
            export.attachment, filename=export.file_name, content_type="application/gzip"
        ).url
        return format_html('<a href="{}">{}</a> (link valid 1 hour)', url, export.file_name)

    @admin.action(description="Retry the selected interrupted exports")
    def retry(self, request, queryset) -> None:
        count = sum(services.retry_export(export) for export in queryset)
        self.message_user(request, f"{count} export(s) queued again.", messages.SUCCESS)

    @admin.action(description="Interrupt the selected pending or running exports")
    def interrupt(self, request, queryset) -> None:
        count = sum(services.interrupt_export(export) for export in queryset)
        self.message_user(request, f"{count} export(s) interrupted.", messages.SUCCESS)


@admin.register(SkillExport)
class SkillExportAdmin(TenantModelAdmin):
    list_display = (
        "id",
        "organization",
        "mode",
        "target",
        "status",
        "error",
        "created_at",
        "completed_at",
    )
    list_filter = ("status", "target", "mode")
    search_fields = ("id", "error")
    readonly_fields = [field.name for field in SkillExport._meta.fields]
    actions = ("retry", "interrupt")

    def has_add_permission(self, request):
        return False

    @admin.action(description="Retry the selected failed skill exports")
    def retry(self, request, queryset) -> None:
        count = sum(skill_exports.retry_skill_export(export) for export in queryset)
        self.message_user(request, f"{count} skill export(s) queued again.", messages.SUCCESS)

    @admin.action(description="Interrupt the selected pending or running skill exports")
    def interrupt(self, request, queryset) -> None:
        count = sum(skill_exports.interrupt_skill_export(export) for export in queryset)
        self.message_user(request, f"{count} skill export(s) interrupted.", messages.SUCCESS)
