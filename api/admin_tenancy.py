"""The admin is a door like the API: it keeps the same tenant boundaries.

A row's organization and mode are fixed once it exists (read-only on every change form), and
every choice a form offers (a select, a filter_horizontal, a raw-id lookup) is a row of the
edited row's organization, and of its mode when both rows have one. A posted id of another
tenant fails the form's validation because the field's queryset no longer holds it. On an add
form the owner is chosen in the same form, so the chosen relations are checked against it in
`clean()`. Writes then go through the same services as the API (each admin's `save_model`).
"""

from types import SimpleNamespace
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin import widgets
from django.db import models
from django.forms.models import BaseInlineFormSet
from django.utils.module_loading import import_string
from rest_framework.exceptions import ValidationError as ApiValidationError

from core.models import Tenant, TenantQuerySet

TENANCY_FIELDS = ("organization", "mode")


def has_field(model: type[models.Model], name: str) -> bool:
    return any(field.name == name for field in model._meta.get_fields())


def owner_of(instance: models.Model) -> tuple[Any, str | None] | None:
    """(organization id, mode or None) of a tenant or account-level row; None when unowned."""
    if not has_field(type(instance), "organization"):
        return None
    return instance.organization_id, getattr(instance, "mode", None) or None


def tenant_lookup(model: type[models.Model], organization_id, mode: str | None) -> dict | None:
    """The filter narrowing `model` to one owner (account-level rows: the organization only);
    None when `model`'s rows belong to no organization (blobs, task results)."""
    queryset = model._default_manager.all()
    if isinstance(queryset, TenantQuerySet):
        organization_path, mode_path = queryset.organization_path, queryset.mode_path
    elif has_field(model, "organization"):
        organization_path = "organization"
        mode_path = "mode" if has_field(model, "mode") else None
    else:
        return None
    lookup = {organization_path: organization_id}
    if mode and mode_path:
        lookup[mode_path] = mode
    return lookup


def narrow(queryset: models.QuerySet, owner: tuple[Any, str | None]) -> models.QuerySet:
    lookup = tenant_lookup(queryset.model, *owner)
    return queryset if lookup is None else queryset.filter(**lookup)


class TenantRawIdMixin:
    """A raw-id widget whose lookup popup lists the edited row's tenant only."""

    tenant_params: dict[str, str] = {}

    def url_parameters(self) -> dict[str, str]:
        return {**super().url_parameters(), **self.tenant_params}


class TenantForeignKeyRawIdWidget(TenantRawIdMixin, widgets.ForeignKeyRawIdWidget):
    pass


class TenantManyToManyRawIdWidget(TenantRawIdMixin, widgets.ManyToManyRawIdWidget):
    pass


def _choice_fields(form: forms.BaseForm):
    for name, field in form.fields.items():
        if isinstance(field, forms.ModelChoiceField):
            yield name, field


class TenantForm(forms.ModelForm):
    """Narrows every model choice to the edited row's tenant; on an add form, checks the chosen
    rows against the organization and mode chosen in the same form."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        owner = None if self.instance._state.adding else owner_of(self.instance)
        if owner is None:
            return
        for _name, field in _choice_fields(self):
            field.queryset = narrow(field.queryset, owner)
            widget = getattr(field.widget, "widget", field.widget)  # the related-field wrapper
            if isinstance(widget, TenantRawIdMixin):
                lookup = tenant_lookup(field.queryset.model, *owner) or {}
                widget.tenant_params = {key: str(value) for key, value in lookup.items()}

    def clean(self) -> dict:
        cleaned = super().clean()
        if not self.instance._state.adding:
            return cleaned  # the querysets are narrowed already
        organization = cleaned.get("organization") or getattr(self.instance, "organization", None)
        if organization is None:
            return cleaned
        owner = (organization.pk, cleaned.get("mode") or getattr(self.instance, "mode", None))
        for name, field in _choice_fields(self):
            chosen = cleaned.get(name)
            if name == "organization" or not chosen:
                continue
            rows = list(chosen) if isinstance(chosen, (list, models.QuerySet)) else [chosen]
            allowed = narrow(field.queryset.model._default_manager.all(), owner)
            if allowed.filter(pk__in=[row.pk for row in rows]).count() != len(rows):
                self.add_error(name, "Choose rows of the same organization and mode.")
        return cleaned


class TenantAdminMixin:
    """Organization and mode read-only on existing rows; every choice narrowed to the tenant.

    `api_serializer` (optional; a dotted path, as admin loads before DRF's settings): the API
    serializer whose `validate_<field>` methods the form runs too, so the admin refuses what the
    API refuses (names, versions, paths, people)."""

    api_serializer: str | None = None

    def get_readonly_fields(self, request, obj=None):
        fields = tuple(super().get_readonly_fields(request, obj))
        if obj is None:
            return fields
        fixed = [name for name in TENANCY_FIELDS if has_field(self.model, name)]
        return fields + tuple(name for name in fixed if name not in fields)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if isinstance(db_field, models.URLField):
            kwargs.setdefault("assume_scheme", "https")  # as the API's URLs (Django 6 default)
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in self.raw_id_fields:
            kwargs["widget"] = TenantForeignKeyRawIdWidget(db_field.remote_field, self.admin_site)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name in self.raw_id_fields:
            kwargs["widget"] = TenantManyToManyRawIdWidget(db_field.remote_field, self.admin_site)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_form(self, request, obj=None, change=False, **kwargs):
        base = kwargs.get("form", self.form)
        if not issubclass(base, TenantForm):
            base = type(f"Tenant{base.__name__}", (TenantForm, base), {})
        if self.api_serializer is not None:
            extra = {"api_serializer": self.api_serializer}
            base = type(base.__name__, (ApiValidatedForm, base), extra)
        kwargs["form"] = base
        return super().get_form(request, obj, change, **kwargs)


class ApiValidatedForm(forms.ModelForm):
    """Runs the API serializer's `validate_<field>` methods on the cleaned values."""

    api_serializer: str

    def clean(self) -> dict:
        cleaned = super().clean()
        instance = None if self.instance._state.adding else self.instance
        organization = cleaned.get("organization") or getattr(self.instance, "organization", None)
        mode = cleaned.get("mode") or getattr(self.instance, "mode", None)
        if organization is None or not mode:
            return cleaned
        request = SimpleNamespace(auth=SimpleNamespace(tenant=Tenant(organization.pk, mode)))
        serializer = import_string(self.api_serializer)(
            instance=instance, context={"request": request}
        )
        for name in list(cleaned):
            validate = getattr(serializer, f"validate_{name}", None)
            if validate is None or name in TENANCY_FIELDS or name in self.errors:
                continue
            try:
                cleaned[name] = validate(cleaned[name])
            except ApiValidationError as error:
                detail = error.detail if isinstance(error.detail, list) else [error.detail]
                self.add_error(name, [str(message) for message in detail])
        return cleaned


class TenantModelAdmin(TenantAdminMixin, admin.ModelAdmin):
    """The base of every admin of an organization-owned model."""


class TenantInlineFormSet(BaseInlineFormSet):
    """Inline rows and their choices (the row id too) from the parent's tenant only."""

    def add_fields(self, form, index) -> None:
        super().add_fields(form, index)
        parent = self.instance
        if parent is None or parent._state.adding:
            return
        owner = owner_of(parent)
        if owner is None and parent._meta.label == "organizations.Organization":
            owner = (parent.pk, None)  # an organization's own inlines (members)
        if owner is None:
            return
        for _name, field in _choice_fields(form):
            field.queryset = narrow(field.queryset, owner)


class TenantInline(admin.TabularInline):
    """The base of every inline: its forms and formset keep the parent's tenant."""

    form = TenantForm
    formset = TenantInlineFormSet


def tenant_of(obj: models.Model) -> Tenant:
    return Tenant(obj.organization_id, obj.mode)
