from django.contrib import admin, messages
from django.utils import timezone

from api.admin_tenancy import TenantInline, TenantModelAdmin
from organizations.models import ApiKey, Member, Organization, Team
from organizations.services import issue_api_key


class MemberInline(TenantInline):
    model = Member
    extra = 0
    fields = ("email", "name", "member_type")


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("slug", "name", "created_at")
    search_fields = ("slug", "name")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [MemberInline]


@admin.register(Team)
class TeamAdmin(TenantModelAdmin):
    list_display = ("name", "slug", "organization", "created_at")
    list_filter = ("organization",)
    search_fields = ("name", "slug")
    filter_horizontal = ()


@admin.register(Member)
class MemberAdmin(TenantModelAdmin):
    list_display = ("email", "name", "member_type", "organization", "created_at")
    list_filter = ("member_type", "organization")
    search_fields = ("email", "name")
    filter_horizontal = ("teams",)


@admin.action(description="Revoke selected keys")
def revoke_keys(modeladmin, request, queryset):
    count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
    modeladmin.message_user(request, f"Revoked {count} key(s).", messages.SUCCESS)


@admin.register(ApiKey)
class ApiKeyAdmin(TenantModelAdmin):
    list_display = (
        "prefix",
        "name",
        "mode",
        "scope",
        "member",
        "organization",
        "last_used_at",
        "revoked_at",
    )
    list_filter = ("mode", "scope", "organization", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("prefix", "name", "member__email")
    fields = (
        "member",
        "name",
        "mode",
        "scope",
        "rate_limit",
        "prefix",
        "last_used_at",
        "revoked_at",
    )
    readonly_fields = ("prefix", "last_used_at", "revoked_at")
    actions = [revoke_keys]

    def get_readonly_fields(self, request, obj=None):
        # A key's owner and mode are fixed once it exists; its name, scope and limits change
        # (a key is narrowed to `read` without issuing a new secret).
        fields = super().get_readonly_fields(request, obj)
        return (*fields, "member") if obj is not None else fields

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        key, raw_key = issue_api_key(
            member=obj.member, mode=obj.mode, name=obj.name, scope=obj.scope
        )
        if obj.rate_limit:
            key.rate_limit = obj.rate_limit
            key.save(update_fields=["rate_limit"])
        obj.pk = key.pk
        messages.warning(
            request,
            f"New API key (copy it now, it is not shown again): {raw_key}",
        )
