"""Posting an admin change form as a browser would: every field as rendered, then edits."""

from tests.conftest import JsonApiClient


def form_data(response, **changes) -> dict:
    """The POST a browser sends for the change page in `response`, with `changes` applied."""
    data: dict = {}

    def add(form) -> None:
        for name in form.fields:
            value = form[name].value()
            if value is None or value is False:
                continue  # an unchecked box or an empty choice is not sent
            data[form.add_prefix(name)] = "on" if value is True else value

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        add(inline.formset.management_form)
        for form in inline.formset.forms:
            add(form)
    data.update(changes)
    return data


def plugin_skill_names(key, plugin) -> set[str]:
    """What the plugin's own tenant's API answers for its skills."""
    response = JsonApiClient(key).get(f"/api/skill_plugins/{plugin.pk}?include=skills")
    assert response.status_code == 200, response.content
    return {item["attributes"]["name"] for item in response.json().get("included", [])}
