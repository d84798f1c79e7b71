from django.contrib import admin, messages
from django.utils.html import format_html, format_html_join

from skills import diffs, selectors, services
from skills.models import (
    Blob,
    Skill,
    SkillCollection,
    SkillCollectionVersion,
    SkillMarketplace,
    SkillPlugin,
    VersionFile,
)

VERSION_FIELDS = (
    "number",
    "release_label",
    "archived",
    "commit_message",
    "file_count",
    "total_size",
    "user_email",
    "created_at",
)
# Why a changed file shows no diff.
OMITTED = {
    diffs.BINARY: "binary file",
    diffs.TOO_LARGE: "no diff: larger than SKILLPORT_SKILLS_DIFF_MAX_FILE_SIZE",
    diffs.LIMIT: "no diff: beyond the page's DIFF_MAX_TOTAL_SIZE / DIFF_MAX_FILES",
}


class VersionInline(admin.TabularInline):
    model = SkillCollectionVersion
    fields = VERSION_FIELDS
    readonly_fields = (*[f for f in VERSION_FIELDS if f not in ("release_label", "archived")],)
    extra = 0
    can_delete = False
    show_change_link = True
    ordering = ("-number",)

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SkillCollection)
class SkillCollectionAdmin(admin.ModelAdmin):
    list_display = ("name", "root_path", "provider", "organization", "is_deleted", "created_at")
    list_filter = ("provider", "is_deleted", "organization")
    search_fields = ("name", "root_path", "id")
    readonly_fields = ("id", "created_at", "updated_at", "deleted_at")
    raw_id_fields = ("created_by", "updated_by")
    inlines = [VersionInline]


class VersionFileInline(admin.TabularInline):
    model = VersionFile
    fields = ("path", "blob", "size")
    readonly_fields = fields
    extra = 0
    can_delete = False

    @admin.display(description="size")
    def size(self, obj) -> int:
        return obj.blob.size

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("blob")

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SkillCollectionVersion)
class SkillCollectionVersionAdmin(admin.ModelAdmin):
    list_display = ("skill_collection", "number", "release_label", "archived", "created_at")
    list_filter = ("archived", "provider")
    search_fields = ("skill_collection__name", "skill_collection__root_path", "release_label")
    list_select_related = ("skill_collection",)
    readonly_fields = (
        "id",
        "skill_collection",
        "number",
        "root_path_at_version",
        "provider",
        "commit_message",
        "user_email",
        "created_by",
        "file_count",
        "total_size",
        "digest",
        "skills_list",
        "created_at",
        "changes",
    )
    exclude = ("file_paths", "organization")
    inlines = [VersionFileInline]
    actions = ["archive_versions"]

    @admin.display(description="skills")
    def skills_list(self, obj):
        return format_html_join(", ", "{}", ((skill.name,) for skill in obj.skills.all()))

    @admin.display(description="changes since the previous version")
    def changes(self, obj):
        """The API's diff against the previous version, every value escaped by format_html."""
        if obj.pk is None:
            return "-"
        against = selectors.diff_base(
            SkillCollectionVersion.objects.for_tenant(obj.tenant), obj, None
        )
        diff = diffs.diff_versions(obj, against)
        counts = diff.counts
        summary = format_html(
            "{} against {}: {} added, {} removed, {} changed, {} unchanged; +{} -{} lines{}",
            f"v{obj.number}",
            f"v{against.number}" if against else "the empty tree",
            counts[diffs.ADDED],
            counts[diffs.REMOVED],
            counts[diffs.CHANGED],
            diff.unchanged,
            diff.lines_added,
            diff.lines_removed,
            " (truncated: some diffs are beyond the limits)" if diff.truncated else "",
        )
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td><code>{}</code></td><td>{} → {}</td><td>{}</td></tr>",
            (
                (
                    change.status,
                    change.path,
                    change.old.size if change.old else "-",
                    change.new.size if change.new else "-",
                    format_html('<pre class="diff">{}</pre>', change.diff)
                    if change.diff is not None
                    else OMITTED[change.omitted],
                )
                for change in diff.files
            ),
        )
        return format_html(
            "<p>{}</p><table><thead><tr><th>status</th><th>path</th><th>size</th>"
            "<th>diff</th></tr></thead><tbody>{}</tbody></table>",
            summary,
            rows,
        )

    @admin.action(description="Archive selected versions")
    def archive_versions(self, request, queryset):
        count = services.archive_versions(queryset)
        self.message_user(request, f"Archived {count} version(s).", messages.SUCCESS)

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    list_display = ("name", "path", "skill_collection", "skill_collection_version", "updated_at")
    search_fields = ("name", "description", "path", "skill_collection__name")
    list_select_related = ("skill_collection", "skill_collection_version")
    readonly_fields = [f.name for f in Skill._meta.fields] + ["versions"]


@admin.register(SkillPlugin)
class SkillPluginAdmin(admin.ModelAdmin):
    list_display = ("name", "version", "organization", "created_at")
    search_fields = ("name", "description", "keywords")
    list_filter = ("organization",)
    filter_horizontal = ("skills",)
    raw_id_fields = ("created_by",)


@admin.register(SkillMarketplace)
class SkillMarketplaceAdmin(admin.ModelAdmin):
    list_display = ("name", "version", "organization", "created_at")
    search_fields = ("name", "description")
    list_filter = ("organization",)
    filter_horizontal = ("skill_plugins",)
    raw_id_fields = ("created_by",)


@admin.register(Blob)
class BlobAdmin(admin.ModelAdmin):
    list_display = ("sha256", "size", "storage_name", "created_at")
    search_fields = ("sha256",)
    readonly_fields = ("sha256", "size", "storage_name", "created_at")
