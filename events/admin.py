from django import forms
from django.contrib import admin, messages

from api.admin_tenancy import TenantForm, TenantInline, TenantModelAdmin, tenant_of
from events import services
from events.models import Event, EventCallback, EventStore, Version, Webhook, WebhookDelivery
from events.registry import is_topic
from events.security import UnsafeCallbackUrl, check_callback_url


class ReadOnlyAdmin(TenantModelAdmin):
    """The audit trail is append-only: visible to staff, never edited by hand."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(EventStore)
class EventStoreAdmin(ReadOnlyAdmin):
    list_display = ("name", "resource_type", "resource_id", "organization", "created_at")
    list_filter = ("resource_type", "event")
    search_fields = ("name", "resource_id")
    date_hierarchy = "created_at"


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ("name", "resource_type", "resource_id", "organization", "created_at")
    list_filter = ("resource_type",)
    search_fields = ("name", "resource_id")
    date_hierarchy = "created_at"
    actions = ["redeliver"]

    @admin.action(description="Redeliver to the webhooks of their topic")
    def redeliver(self, request, queryset) -> None:
        count = sum(len(services.redeliver_event(event)) for event in queryset)
        self.message_user(request, f"{count} deliveries queued.", messages.SUCCESS)


@admin.register(Version)
class VersionAdmin(ReadOnlyAdmin):
    list_display = ("resource_type", "resource_id", "event", "organization", "created_at")
    list_filter = ("resource_type", "event")
    search_fields = ("resource_id",)
    date_hierarchy = "created_at"


class EventCallbackInline(TenantInline):
    model = EventCallback
    fields = ("created_at", "event", "response_code", "response_message")
    readonly_fields = fields
    ordering = ("-created_at",)
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True


class WebhookAdminForm(TenantForm):
    """The same topic and callback URL rules as the API."""

    callback_url = forms.URLField(max_length=2048, assume_scheme="https")

    class Meta:
        model = Webhook
        fields = ("organization", "mode", "name", "topic", "callback_url", "include_resources")

    def clean_topic(self) -> str:
        topic = self.cleaned_data["topic"]
        if not is_topic(topic):
            raise forms.ValidationError(f"'{topic}' is not a known topic.")
        return topic

    def clean_callback_url(self) -> str:
        url = self.cleaned_data["callback_url"]
        try:
            check_callback_url(url)
        except UnsafeCallbackUrl as error:
            raise forms.ValidationError(str(error)) from None
        return url


@admin.register(Webhook)
class WebhookAdmin(TenantModelAdmin):
    form = WebhookAdminForm
    list_display = (
        "name",
        "topic",
        "callback_url",
        "organization",
        "mode",
        "circuit_state",
        "circuit_failure_count",
    )
    list_filter = ("circuit_state", "topic", "mode")
    search_fields = ("name", "topic", "callback_url")
    readonly_fields = (
        "shared_secret",
        "circuit_state",
        "circuit_failure_count",
        "circuit_opened_at",
    )
    inlines = [EventCallbackInline]
    actions = ["reset_circuit"]
    EDITABLE = ("name", "topic", "callback_url", "include_resources")

    def save_model(self, request, obj, form, change) -> None:
        values = {name: form.cleaned_data[name] for name in self.EDITABLE}
        if change:
            services.update_webhook(obj, **values)
            return
        created = services.create_webhook(tenant=tenant_of(obj), **values)
        obj.pk, obj._state.adding = created.pk, False

    @admin.action(description="Reset the circuit (close it and send what waited)")
    def reset_circuit(self, request, queryset) -> None:
        for webhook in queryset:
            services.reset_circuit(webhook)
        self.message_user(request, f"{queryset.count()} circuits reset.", messages.SUCCESS)


class AttemptInline(EventCallbackInline):
    """Each attempt of one delivery: what the callback answered."""

    fields = ("created_at", "callback_url", "response_code", "response_message")
    readonly_fields = fields
    fk_name = "delivery"


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ("event", "webhook", "status", "attempts", "next_attempt_at", "delivered_at")
    list_filter = ("status",)
    search_fields = ("event__name", "event__resource_id", "webhook__name", "webhook__callback_url")
    list_select_related = ("event", "webhook")
    inlines = [AttemptInline]
    actions = ["redeliver"]

    @admin.action(description="Redeliver the selected deliveries")
    def redeliver(self, request, queryset) -> None:
        count = len(services.redeliver_deliveries(queryset))
        self.message_user(request, f"{count} deliveries queued.", messages.SUCCESS)


@admin.register(EventCallback)
class EventCallbackAdmin(ReadOnlyAdmin):
    list_display = ("callback_url", "response_code", "webhook", "event", "created_at")
    list_filter = ("response_code",)
    search_fields = ("callback_url",)
