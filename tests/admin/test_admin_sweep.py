"""Every admin change form of every organization-owned model keeps the tenant boundaries.

Opened on a row of one tenant while two other tenants (another organization; the same one in
the other mode) have rows of every model: organization and mode are read-only, and every choice
the form offers (selects, filter_horizontal, raw-id lookups, inline forms) is a row of the
edited row's organization, and of its mode where both rows have one. A model added to the admin
later is swept too, so it cannot reopen the hole."""

import pytest
from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import ForeignKeyRawIdWidget

from api.admin_tenancy import TenantAdminMixin, TenantRawIdMixin, has_field, owner_of

pytestmark = pytest.mark.django_db

OWNED = [
    (model, model_admin)
    for model, model_admin in admin.site._registry.items()
    if has_field(model, "organization")
]


def _ids(owned):
    return [model._meta.label for model, _ in owned]


def _same_tenant(row, edited) -> bool:
    owner = owner_of(row)
    if owner is None:
        return True  # unowned rows (blobs) belong to nobody
    if owner[0] != edited.organization_id:
        return False
    edited_mode = getattr(edited, "mode", None)
    return owner[1] is None or edited_mode is None or owner[1] == edited_mode


def _check_form(form, edited, where: str) -> None:
    for name in ("organization", "mode"):
        assert name not in form.fields, f"{where}: '{name}' is editable on an existing row"
    for name, field in form.fields.items():
        if not isinstance(field, forms.ModelChoiceField):
            continue
        strangers = [row for row in field.queryset if not _same_tenant(row, edited)]
        assert not strangers, f"{where}: '{name}' offers another tenant's rows {strangers}"
        widget = getattr(field.widget, "widget", field.widget)
        if isinstance(widget, ForeignKeyRawIdWidget):
            assert isinstance(widget, TenantRawIdMixin), f"{where}: '{name}' raw-id lookup"
            params = widget.url_parameters()
            assert any(str(edited.organization_id) == value for value in params.values()), where


def test_the_sweep_covers_the_owned_models():
    labels = set(_ids(OWNED))
    assert {"skills.SkillPlugin", "skills.SkillCollectionVersion", "events.Webhook"} <= labels


@pytest.mark.parametrize(("model", "model_admin"), OWNED, ids=_ids(OWNED))
def test_change_form_keeps_the_tenant(admin_client, home, home_live, other, model, model_admin):
    assert isinstance(model_admin, TenantAdminMixin), "use api.admin_tenancy.TenantModelAdmin"
    assert not model_admin.autocomplete_fields, "autocomplete is not narrowed to the tenant"
    rows = model._default_manager.filter(organization=home.organization)
    if has_field(model, "mode"):
        rows = rows.filter(mode=home.mode)
    edited = rows.first()
    assert edited is not None, f"add a {model._meta.label} row to tests/admin/world.py"
    opts = model._meta
    url = f"/admin/{opts.app_label}/{opts.model_name}/{edited.pk}/change/"
    response = admin_client.get(url)
    assert response.status_code == 200, url
    _check_form(response.context["adminform"].form, edited, url)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for form in [*formset.forms, formset.empty_form]:
            _check_form(form, edited, f"{url} inline {type(formset).__name__}")


@pytest.mark.parametrize(
    ("model", "model_admin"), list(admin.site._registry.items()), ids=lambda v: str(v)
)
def test_every_list_has_a_search_box(admin_client, model, model_admin):
    assert model_admin.search_fields, f"{model._meta.label} has no search_fields"
    opts = model._meta
    response = admin_client.get(f"/admin/{opts.app_label}/{opts.model_name}/?q=x")
    assert response.status_code == 200
