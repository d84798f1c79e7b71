"""The admin is a door like the API: no cross-tenant link, no mode or organization move, and
its writes go through the API's services (validation, events, audit versions, webhooks)."""

import io
import zipfile

import pytest

from events.models import Event, Version, WebhookDelivery
from skills.git import objects as git
from skills.models import SkillCollectionVersion, SkillPlugin
from tests.admin.helpers import form_data, plugin_skill_names
from tests.conftest import JsonApiClient

pytestmark = pytest.mark.django_db

PLUGIN = "/admin/skills/skillplugin/{}/change/"


def _post_skills(admin_client, plugin, skills):
    page = admin_client.get(PLUGIN.format(plugin.pk))
    return admin_client.post(
        PLUGIN.format(plugin.pk), form_data(page, skills=[str(skill.pk) for skill in skills])
    )


@pytest.mark.parametrize("boundary", ["other", "home_live"])
def test_a_skill_of_another_tenant_cannot_be_linked(admin_client, home, boundary, request):
    stranger = request.getfixturevalue(boundary)
    before = plugin_skill_names(home.key, home.plugin)
    theirs = plugin_skill_names(stranger.key, stranger.plugin)

    page = admin_client.get(PLUGIN.format(home.plugin.pk))
    offered = page.context["adminform"].form.fields["skills"].queryset
    assert not offered.filter(pk__in=[skill.pk for skill in stranger.skills]).exists()
    assert stranger.skills[0].name not in page.content.decode()

    response = _post_skills(admin_client, home.plugin, [home.skills[0], stranger.skills[0]])
    assert response.status_code == 200  # the form again, with the error
    assert "Select a valid choice" in response.content.decode()
    assert set(home.plugin.skills.all()) == {home.skills[0]}
    assert plugin_skill_names(home.key, home.plugin) == before
    assert plugin_skill_names(stranger.key, stranger.plugin) == theirs


def test_the_add_form_refuses_a_skill_of_another_tenant(admin_client, home, other):
    page = admin_client.get("/admin/skills/skillplugin/add/")
    data = form_data(
        page,
        organization=str(home.organization.pk),
        mode="test",
        name="new-kit",
        version="1.0.0",
        skills=[str(other.skills[0].pk)],
    )
    response = admin_client.post("/admin/skills/skillplugin/add/", data)
    assert response.status_code == 200
    assert "Choose rows of the same organization and mode." in response.content.decode()
    assert not SkillPlugin.objects.filter(name="new-kit").exists()


def test_a_same_tenant_skill_edit_goes_through_the_service(admin_client, home, admin_user):
    response = _post_skills(admin_client, home.plugin, home.skills)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert plugin_skill_names(home.key, home.plugin) == {skill.name for skill in home.skills}
    version = Version.objects.filter(resource_id=str(home.plugin.pk)).first()
    assert version.changes["skills"][1] == sorted(str(skill.pk) for skill in home.skills)
    assert version.who["type"] == "staff" and version.who["username"] == admin_user.username
    event = Event.objects.filter(
        resource_id=str(home.plugin.pk), name="skill_plugins.update"
    ).first()
    assert event is not None
    # The tenant's webhook on that topic hears the admin's edit as it hears the API's.
    assert WebhookDelivery.objects.filter(webhook=home.webhook, event=event).exists()


def test_the_admin_validates_as_the_api_does(admin_client, home):
    page = admin_client.get(PLUGIN.format(home.plugin.pk))
    response = admin_client.post(PLUGIN.format(home.plugin.pk), form_data(page, name="Not Kebab"))
    assert "Use kebab-case" in response.content.decode()
    other_plugin = SkillPlugin.objects.create(
        organization=home.organization, mode="test", name="taken-name"
    )
    response = admin_client.post(PLUGIN.format(home.plugin.pk), form_data(page, name="taken-name"))
    assert "already taken" in response.content.decode()
    response = admin_client.post(PLUGIN.format(home.plugin.pk), form_data(page, version="one"))
    assert "semantic version" in response.content.decode()
    home.plugin.refresh_from_db()
    assert home.plugin.name == "home-kit" and other_plugin.name == "taken-name"


@pytest.mark.parametrize(
    ("url", "attribute"),
    [
        ("/admin/skills/skillcollectionversion/{}/change/", "versions"),
        ("/admin/skills/skillcollection/{}/change/", "collection"),
        ("/admin/skills/skillplugin/{}/change/", "plugin"),
        ("/admin/skills/skillmarketplace/{}/change/", "marketplace"),
        ("/admin/events/webhook/{}/change/", "webhook"),
        ("/admin/exports/export/{}/change/", "export"),
    ],
)
def test_organization_and_mode_cannot_be_edited(admin_client, home, other, url, attribute):
    row = getattr(home, attribute)
    row = row[1] if isinstance(row, list) else row
    url = url.format(row.pk)
    page = admin_client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert "mode" not in form.fields and "organization" not in form.fields
    admin_client.post(url, form_data(page, mode="live", organization=str(other.organization.pk)))
    row.refresh_from_db()
    assert (row.organization_id, row.mode) == (home.organization.pk, "test")


def test_a_version_keeps_its_mode_and_its_label(admin_client, home):
    """The issue's case: version 2 moved to live took the test key's `prod` label away."""
    second = home.versions[1]
    url = f"/admin/skills/skillcollectionversion/{second.pk}/change/"
    admin_client.post(url, form_data(admin_client.get(url), mode="live"))
    client = JsonApiClient(home.key)
    response = client.get(f"/api/skill_collections/{home.collection.pk}?label=prod")
    assert response.status_code == 200
    current = response.json()["data"]["relationships"]["current_version"]["data"]["id"]
    assert current == str(second.pk)
    assert SkillCollectionVersion.objects.get(pk=second.pk).mode == "test"


def test_a_label_set_in_the_admin_moves_as_in_the_api(admin_client, home):
    first, second = home.versions
    url = f"/admin/skills/skillcollectionversion/{first.pk}/change/"
    response = admin_client.post(url, form_data(admin_client.get(url), release_label="prod"))
    assert response.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.release_label, second.release_label) == ("prod", None)


def _zip_names(response) -> list[str]:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))).namelist()


@pytest.mark.parametrize(
    ("model", "attribute", "expected"),
    [
        ("skillcollection", "collection", "home-two/SKILL.md"),
        ("skillplugin", "plugin", ".claude-plugin/plugin.json"),
        ("skillmarketplace", "marketplace", ".claude-plugin/marketplace.json"),
    ],
)
def test_change_pages_link_git_url_and_zip(admin_client, home, model, attribute, expected):
    row = getattr(home, attribute)
    page = admin_client.get(f"/admin/skills/{model}/{row.pk}/change/").content.decode()
    assert git.git_url(row) in page
    zip_url = f"/admin/skills/{model}/{row.pk}/zip/"
    assert f'href="{zip_url}"' in page
    assert expected in _zip_names(admin_client.get(zip_url))


def test_the_zip_of_a_collection_without_versions_is_a_404(admin_client, home):
    from tests.skills.factories import SkillCollectionFactory

    empty = SkillCollectionFactory(organization=home.organization)
    assert admin_client.get(f"/admin/skills/skillcollection/{empty.pk}/zip/").status_code == 404


def test_a_delivery_shows_its_attempts_and_is_redelivered(admin_client, home):
    url = f"/admin/events/webhookdelivery/{home.delivery.pk}/change/"
    page = admin_client.get(url).content.decode()
    assert "Internal Server Error" in page and "500" in page
    home.delivery.status = "failed"
    home.delivery.save()
    response = admin_client.post(
        "/admin/events/webhookdelivery/",
        {"action": "redeliver", "_selected_action": [str(home.delivery.pk)]},
    )
    assert response.status_code == 302
    home.delivery.refresh_from_db()
    assert home.delivery.status == "pending"


def test_exports_show_progress(admin_client, home):
    home.export.records_total, home.export.records_exported = 200, 50
    home.export.save()
    listing = admin_client.get("/admin/exports/export/").content.decode()
    assert "50 / 200 (25%)" in listing


def test_an_export_added_in_the_admin_is_the_apis(admin_client, home, other):
    from exports.models import Export

    page = admin_client.get("/admin/exports/export/add/")
    assert page.status_code == 200
    base = form_data(
        page,
        organization=str(home.organization.pk),
        mode="test",
        created_by=str(home.member.pk),
        format="json",
    )
    response = admin_client.post("/admin/exports/export/add/", {**base, "resource_type": "nope"})
    assert response.status_code == 200 and "resource_type" in response.content.decode()
    stranger = {**base, "resource_type": "members", "created_by": str(other.member.pk)}
    response = admin_client.post("/admin/exports/export/add/", stranger)
    assert "Choose rows of the same organization and mode." in response.content.decode()
    before = Export.objects.count()
    response = admin_client.post("/admin/exports/export/add/", {**base, "resource_type": "members"})
    assert response.status_code == 302, response.content.decode()[:2000]
    export = Export.objects.exclude(pk__in=[home.export.pk, other.export.pk]).get()
    assert Export.objects.count() == before + 1
    assert (export.organization_id, export.mode, export.status) == (
        home.organization.pk,
        "test",
        Export.Status.PENDING,
    )


def test_a_webhook_added_in_the_admin_belongs_to_one_tenant(admin_client, home):
    from events.models import Webhook

    data = {
        "organization": str(home.organization.pk),
        "mode": "live",
        "name": "staff-hook",
        "topic": "teams.create",
        "callback_url": "https://93.184.216.34/hooks",
        "include_resources": "[]",
        "event_callbacks-TOTAL_FORMS": "0",
        "event_callbacks-INITIAL_FORMS": "0",
    }
    response = admin_client.post("/admin/events/webhook/add/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    webhook = Webhook.objects.get(name="staff-hook")
    assert (webhook.organization_id, webhook.mode) == (home.organization.pk, "live")
    assert webhook.shared_secret
