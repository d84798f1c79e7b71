"""Staff manage organizations and keys in the Django admin: create a key (shown once), revoke."""

import re

import pytest

from organizations.models import ApiKey, hash_key
from tests.factories import ApiKeyFactory, MemberFactory

pytestmark = pytest.mark.django_db


def test_admin_creates_key_and_shows_it_once(admin_client):
    member = MemberFactory()
    response = admin_client.post(
        "/admin/organizations/apikey/add/",
        {"member": member.pk, "name": "ci", "mode": "live", "scope": "read", "rate_limit": ""},
        follow=True,
    )
    assert response.status_code == 200
    raw_key = re.search(r"sk_live_[A-Za-z0-9_\-]+", response.content.decode()).group(0)
    key = ApiKey.objects.get(key_hash=hash_key(raw_key))
    assert key.member == member and key.mode == "live" and key.name == "ci"
    assert key.scope == "read"
    change_page = admin_client.get(f"/admin/organizations/apikey/{key.pk}/change/")
    assert raw_key not in change_page.content.decode()


def test_admin_revoke_action(admin_client):
    key = ApiKeyFactory()
    response = admin_client.post(
        "/admin/organizations/apikey/",
        {"action": "revoke_keys", "_selected_action": [key.pk]},
        follow=True,
    )
    assert response.status_code == 200
    key.refresh_from_db()
    assert key.revoked_at is not None


@pytest.mark.parametrize("url", ["organization", "member", "team", "apikey"])
def test_admin_lists_and_search(admin_client, url):
    ApiKeyFactory()
    response = admin_client.get(f"/admin/organizations/{url}/?q=a")
    assert response.status_code == 200
