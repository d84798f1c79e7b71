from django.contrib import admin, messages
from django.utils.html import format_html

from api.admin_tenancy import TenantInline, TenantModelAdmin
from files import selectors, services
from files.models import File, FileLink


def download_link(link: FileLink) -> str:
    if link.revoked_at or link.file.status != File.Status.ACTIVE:
        return "—"
    return format_html('<a href="{}">download</a>', selectors.link_url(link))


class FileLinkInline(TenantInline):
    model = FileLink
    extra = 0
    fields = ("expires_at", "revoked_at", "download")
    readonly_fields = fields
    can_delete = False

    @admin.display(description="download")
    def download(self, link):
        return download_link(link)


@admin.action(description="Delete the stored bytes of the selected files")
def delete_files(modeladmin, request, queryset):
    for file in queryset.filter(status=File.Status.ACTIVE):
        services.delete_file(file)
    modeladmin.message_user(request, "Deleted.", messages.SUCCESS)


@admin.register(File)
class FileAdmin(TenantModelAdmin):
    list_display = ("file_name", "purpose", "status", "file_size", "organization", "created_at")
    list_filter = ("purpose", "status", "organization")
    search_fields = ("file_name", "title", "sha256")
    readonly_fields = [field.name for field in File._meta.fields]
    inlines = [FileLinkInline]
    actions = [delete_files]

    def has_add_permission(self, request):
        return False


@admin.action(description="Revoke the selected links")
def revoke_links(modeladmin, request, queryset):
    count = services.revoke_links(queryset)
    modeladmin.message_user(request, f"Revoked {count} link(s).", messages.SUCCESS)


@admin.register(FileLink)
class FileLinkAdmin(TenantModelAdmin):
    list_display = ("file", "expires_at", "revoked_at", "organization", "download")
    list_filter = ("organization", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("file__file_name", "file__sha256")
    readonly_fields = ("file", "expires_at", "revoked_at", "created_by", "download")
    fields = readonly_fields
    actions = [revoke_links]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("file")

    def has_add_permission(self, request):
        return False

    @admin.display(description="download")
    def download(self, link):
        return download_link(link)
