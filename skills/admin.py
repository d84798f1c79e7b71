from django.contrib import admin, messages
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from api.admin_tenancy import TenantInline, TenantModelAdmin, tenant_of
from skills import diffs, downloads, selectors, services, sharing
from skills.archives import stream_zip
from skills.bundles import layouts
from skills.git import objects as git
from skills.models import (
    Blob,
    ShareLink,
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


class VersionInline(TenantInline):
    model = SkillCollectionVersion
    fields = VERSION_FIELDS
    readonly_fields = (*[f for f in VERSION_FIELDS if f not in ("release_label", "archived")],)
    extra = 0
    can_delete = False
    show_change_link = True
    ordering = ("-number",)

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class DownloadsAdmin(TenantModelAdmin):
    """The change page links to the row's git clone URL and to a zip of it, as the API does."""

    def get_urls(self):
        opts = self.model._meta
        name = f"{opts.app_label}_{opts.model_name}_zip"
        view = self.admin_site.admin_view(self.zip_view)
        return [path("<path:object_id>/zip/", view, name=name), *super().get_urls()]

    def zip_view(self, request, object_id):
        obj = get_object_or_404(self.get_queryset(request), pk=object_id)
        if not self.has_view_permission(request, obj):
            raise Http404
        return self.zip_response(request, obj)

    def zip_response(self, request, obj):
        entries = self.zip_entries(obj)
        response = StreamingHttpResponse(
            stream_zip(entries, level=zip_compress_level()), content_type="application/zip"
        )
        name = f"{obj.name}-{obj.version}.zip" if getattr(obj, "version", "") else f"{obj.name}.zip"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    @admin.display(description="git clone URL")
    def git_url(self, obj) -> str:
        if obj.pk is None:
            return "-"
        return format_html('<a href="{0}"><code>{0}</code></a>', git.git_url(obj))

    @admin.display(description="zip download")
    def zip_download(self, obj) -> str:
        if obj.pk is None:
            return "-"
        opts = self.model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_zip", args=[obj.pk])
        return format_html('<a href="{}">download the zip</a>', url)


def zip_compress_level() -> int:
    return downloads.zip_compress_level()


@admin.register(SkillCollection)
class SkillCollectionAdmin(DownloadsAdmin):
    list_display = ("name", "root_path", "provider", "organization", "is_deleted", "created_at")
    list_filter = ("provider", "is_deleted", "organization")
    search_fields = ("name", "root_path", "id")
    readonly_fields = (
        "id",
        "git_url",
        "zip_download",
        "is_deleted",
        "created_by",
        "updated_by",
        "created_at",
        "updated_at",
        "deleted_at",
    )
    inlines = [VersionInline]
    api_serializer = "skills.serializers.SkillCollectionSerializer"
    EDITABLE = ("name", "root_path", "provider", "folder_id")
    fields = ("organization", "mode", *EDITABLE, *readonly_fields)

    def save_model(self, request, obj, form, change) -> None:
        # Staff are no member of the organization: the audit trail names them instead.
        values = {name: form.cleaned_data[name] for name in self.EDITABLE}
        if change:
            services.update_collection(obj, actor=None, **values)
            return
        created = services.create_collection(tenant=tenant_of(obj), actor=None, **values)
        obj.pk, obj._state.adding = created.pk, False

    def zip_response(self, request, collection):
        version = collection.current_version
        if version is None:
            raise Http404("This skill collection has no version yet.")
        return downloads.zip_response(request, collection, version)


class VersionFileInline(TenantInline):
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


def diff_html(text: str) -> str:
    """A unified diff with each line classed (added, removed, hunk header) for the colours of
    skillport/admin.css; every line is escaped by format_html."""
    kinds = {"+": "added", "-": "removed", "@": "hunk"}
    lines = format_html_join(
        "",
        '<span class="{}">{}</span>\n',
        ((kinds.get(line[:1], "context"), line) for line in text.splitlines()),
    )
    return format_html('<pre class="diff">{}</pre>', lines)


@admin.register(SkillCollectionVersion)
class SkillCollectionVersionAdmin(TenantModelAdmin):
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
    exclude = ("file_paths",)
    inlines = [VersionFileInline]
    actions = ["archive_versions"]
    api_serializer = "skills.serializers.SkillCollectionVersionSerializer"

    class Media:
        css = {"all": ("skillport/admin.css",)}

    def save_model(self, request, obj, form, change) -> None:
        # The API's write: a label set here moves off the version that had it.
        services.update_version(
            obj, release_label=form.cleaned_data["release_label"], archived=obj.archived
        )

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
            '<tr class="{}"><td>{}</td><td><code>{}</code></td><td>{} → {}</td><td>{}</td></tr>',
            (
                (
                    f"diff-{change.status}",
                    change.status,
                    change.path,
                    change.old.size if change.old else "-",
                    change.new.size if change.new else "-",
                    diff_html(change.diff) if change.diff is not None else OMITTED[change.omitted],
                )
                for change in diff.files
            ),
        )
        return format_html(
            '<p>{}</p><table class="version-diff"><thead><tr><th>status</th><th>path</th>'
            "<th>size</th><th>diff</th></tr></thead><tbody>{}</tbody></table>",
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
class SkillAdmin(TenantModelAdmin):
    list_display = (
        "name",
        "path",
        "skill_collection",
        "skill_collection_version",
        "spec_findings_count",
        "updated_at",
    )
    search_fields = ("name", "description", "path", "skill_collection__name")
    list_select_related = ("skill_collection", "skill_collection_version")
    readonly_fields = [
        *(f.name for f in Skill._meta.fields if f.name != "spec_findings"),
        "spec_report",
        "versions",
    ]

    @admin.display(description="spec findings")
    def spec_findings_count(self, obj: Skill) -> int:
        return len(obj.spec_findings)

    @admin.display(description="spec findings (skills-ref)")
    def spec_report(self, obj: Skill) -> str:
        """Which agents may refuse this skill: the Agent Skills reference validator's findings."""
        if not obj.spec_findings:
            return "None: the SKILL.md follows the Agent Skills spec."
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li><code>{}</code> {}</li>",
                ((f["code"], f["detail"]) for f in obj.spec_findings),
            ),
        )


class RelationsAdmin(DownloadsAdmin):
    """Plugins and marketplaces: written with their many-to-many through the API's services
    (`create`/`update` with the related rows), so the admin's edit is validated, evented and
    audited as the API's is; the ModelForm never saves the relation itself."""

    relation: str
    create: str
    update: str

    def save_model(self, request, obj, form, change) -> None:
        values = {
            name: form.cleaned_data[name]
            for name in form.cleaned_data
            if name not in ("organization", "mode", self.relation)
        }
        related = list(form.cleaned_data[self.relation])
        if change:
            getattr(services, self.update)(obj, **{self.relation: related}, **values)
            return
        created = getattr(services, self.create)(
            tenant=tenant_of(obj), actor=None, **{self.relation: related}, **values
        )
        obj.pk, obj._state.adding = created.pk, False

    def save_related(self, request, form, formsets, change) -> None:
        for formset in formsets:  # the relation itself was saved by the service
            self.save_formset(request, form, formset, change=change)


@admin.register(SkillPlugin)
class SkillPluginAdmin(RelationsAdmin):
    list_display = ("name", "version", "organization", "mode", "created_at")
    search_fields = ("name", "description", "keywords")
    list_filter = ("organization", "mode")
    filter_horizontal = ("skills",)
    readonly_fields = ("git_url", "zip_download", "created_by", "created_at", "updated_at")
    api_serializer = "skills.serializers.SkillPluginSerializer"
    relation, create, update = "skills", "create_plugin", "update_plugin"

    def zip_entries(self, plugin):
        return layouts.plugin_bundle(plugin)


@admin.register(SkillMarketplace)
class SkillMarketplaceAdmin(RelationsAdmin):
    list_display = ("name", "version", "organization", "mode", "created_at")
    search_fields = ("name", "description")
    list_filter = ("organization", "mode")
    filter_horizontal = ("skill_plugins",)
    readonly_fields = ("git_url", "zip_download", "created_by", "created_at", "updated_at")
    api_serializer = "skills.serializers.SkillMarketplaceSerializer"
    relation, create, update = "skill_plugins", "create_marketplace", "update_marketplace"

    def zip_entries(self, marketplace):
        return layouts.marketplace_bundle(marketplace)


@admin.register(Blob)
class BlobAdmin(admin.ModelAdmin):
    list_display = ("sha256", "size", "storage_name", "created_at")
    search_fields = ("sha256",)
    readonly_fields = ("sha256", "size", "storage_name", "created_at")


@admin.action(description="Revoke the selected share links")
def revoke_share_links(modeladmin, request, queryset):
    links = [link for link in queryset if not link.revoked]
    for link in links:
        sharing.revoke(link)  # one by one: each revocation joins the audit trail
    modeladmin.message_user(request, f"Revoked {len(links)} share link(s).", messages.SUCCESS)


@admin.register(ShareLink)
class ShareLinkAdmin(TenantModelAdmin):
    list_display = ("__str__", "version", "label", "expires_at", "revoked_at", "organization")
    list_filter = ("organization", "mode", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("skill_collection__name", "skill_plugin__name", "skill_marketplace__name")
    readonly_fields = (
        "skill_collection",
        "skill_plugin",
        "skill_marketplace",
        "version",
        "label",
        "expires_at",
        "revoked_at",
        "created_by",
        "url",
    )
    fields = readonly_fields
    actions = [revoke_share_links]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("skill_collection", "skill_plugin", "skill_marketplace")
        )

    def has_add_permission(self, request):
        return False

    @admin.display(description="URL")
    def url(self, link):
        return "" if link.revoked else sharing.share_url(link)
