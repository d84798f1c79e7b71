"""The admin in a real headless browser: Playwright (PyPI) driving Debian's Chromium.

Logged in as a superuser against the live server: every model's list and a change form, a
plugin's skills edited, the cross-organization and cross-mode edits of issue #25 tried as a
hostile page would (refused, nothing stored, the tenants' API answers unchanged), a version's
coloured diff, an export retried. Skips, saying why, when Playwright or Chromium is missing."""

import secrets
import shutil

import pytest
from django.contrib import admin

from exports.models import Export
from skills.models import SkillCollectionVersion
from tests.admin.helpers import plugin_skill_names

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (requirements/test.txt)"
)
CHROMIUM = shutil.which("chromium")
pytestmark = [
    pytest.mark.django_db(transaction=True),  # the live server's thread sees the rows
    pytest.mark.skipif(
        CHROMIUM is None, reason="no chromium on PATH: `apt-get install chromium` to run these"
    ),
]
PASSWORD = secrets.token_urlsafe()  # the test database's throwaway superuser


@pytest.fixture
def browser():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server, django_user_model, monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes
    # between browser steps are plain synchronous ones.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    django_user_model.objects.create_superuser("staff", "staff@example.com", PASSWORD)
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    page.goto("/admin/login/")
    page.fill("#id_username", "staff")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    sync_api.expect(page.locator("#user-tools")).to_contain_text("staff")
    yield page
    context.close()


def _open(page, url: str):
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    return response


def _api_skill_names(page, live_server, key, plugin) -> set[str]:
    """The plugin's skills as its tenant's API answers them, over real HTTP."""
    response = page.request.get(
        f"{live_server.url}/api/skill_plugins/{plugin.pk}?include=skills",
        headers={"Authorization": f"Bearer {key.raw_key}", "Accept": "application/vnd.api+json"},
    )
    assert response.status == 200
    return {item["attributes"]["name"] for item in response.json().get("included", [])}


def test_every_list_and_a_change_form(page, home, other):
    for model in admin.site._registry:
        opts = model._meta
        _open(page, f"/admin/{opts.app_label}/{opts.model_name}/")
        link = page.locator("#result_list tbody tr th a").first
        if link.count():
            with page.expect_navigation() as navigation:
                link.click()
            assert navigation.value.status == 200, opts.label
            sync_api.expect(page.locator("#content-main")).to_be_visible()


def test_a_plugin_skill_edit_in_the_same_organization(page, live_server, home):
    _open(page, f"/admin/skills/skillplugin/{home.plugin.pk}/change/")
    page.locator(f"#id_skills_from option[value='{home.skills[1].pk}']").dblclick()
    page.click("input[name=_save]")
    sync_api.expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    expected = {skill.name for skill in home.skills}
    assert _api_skill_names(page, live_server, home.key, home.plugin) == expected


def test_a_cross_organization_skill_link_is_refused(page, live_server, home, other):
    theirs = plugin_skill_names(other.key, other.plugin)
    _open(page, f"/admin/skills/skillplugin/{home.plugin.pk}/change/")
    offered = page.locator("#id_skills_from option, #id_skills_to option").all_inner_texts()
    assert other.skills[0].name not in offered and home.skills[1].name in offered
    # A hostile page: the other organization's skill id slipped into the chosen list (through
    # the widget's own cache, which is what it selects and posts on save).
    page.evaluate(
        """id => {
            SelectBox.add_to_cache('id_skills_to', {value: id, text: 'smuggled'});
            SelectBox.redisplay('id_skills_to');
        }""",
        str(other.skills[0].pk),
    )
    page.click("input[name=_save]")
    sync_api.expect(page.locator(".errorlist")).to_contain_text("Select a valid choice")
    assert set(home.plugin.skills.all()) == {home.skills[0]}
    assert _api_skill_names(page, live_server, home.key, home.plugin) == {home.skills[0].name}
    assert _api_skill_names(page, live_server, other.key, other.plugin) == theirs


def test_a_cross_mode_edit_is_refused(page, live_server, home, home_live):
    second = home.versions[1]
    _open(page, f"/admin/skills/skillcollectionversion/{second.pk}/change/")
    assert page.locator("select[name=mode], input[name=mode]").count() == 0
    # A hostile page posts the field anyway: version 2 to live, and the plugin to live.
    page.evaluate(
        """() => {
            const input = Object.assign(document.createElement('input'),
                {type: 'hidden', name: 'mode', value: 'live'});
            document.querySelector('#content form').append(input);
        }"""
    )
    page.click("input[name=_save]")
    sync_api.expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    assert SkillCollectionVersion.objects.get(pk=second.pk).mode == "test"
    response = page.request.get(
        f"{live_server.url}/api/skill_collections/{home.collection.pk}?label=prod",
        headers={"Authorization": f"Bearer {home.key.raw_key}"},
    )
    assert response.status == 200
    current = response.json()["data"]["relationships"]["current_version"]["data"]["id"]
    assert current == str(second.pk)
    # The live tenant's skill is not offered to the test plugin either.
    _open(page, f"/admin/skills/skillplugin/{home.plugin.pk}/change/")
    offered = page.locator("#id_skills_from option").all_inner_texts()
    assert home_live.skills[0].name not in offered
    # Nor do the collection, plugin or marketplace pages offer to move them.
    for model, row in [
        ("skillcollection", home.collection),
        ("skillplugin", home.plugin),
        ("skillmarketplace", home.marketplace),
    ]:
        _open(page, f"/admin/skills/{model}/{row.pk}/change/")
        fields = page.locator(
            "#content-main form [name=mode], #content-main form [name=organization]"
        )
        assert fields.count() == 0, model


def test_a_version_diff_in_colours(page, home):
    _open(page, f"/admin/skills/skillcollectionversion/{home.versions[1].pk}/change/")
    added = page.locator("pre.diff span.added").first
    removed = page.locator("pre.diff span.removed").first
    sync_api.expect(added).to_be_visible()
    green = added.evaluate("node => getComputedStyle(node).backgroundColor")
    red = removed.evaluate("node => getComputedStyle(node).backgroundColor")
    assert green == "rgb(230, 255, 236)" and red == "rgb(255, 235, 233)"


def test_an_export_is_retried(page, home):
    _open(page, "/admin/exports/export/")
    page.check(f"input[name=_selected_action][value='{home.export.pk}']")
    page.select_option("select[name=action]", "retry")
    page.click("button[name=index]")
    sync_api.expect(page.locator(".messagelist")).to_contain_text("1 export(s) queued again.")
    assert Export.objects.get(pk=home.export.pk).status == Export.Status.PENDING
