"""Writes for organizations, members and API keys."""

from django.db import transaction
from django.utils.text import slugify

from organizations.models import ApiKey, Member, Mode, Organization, Scope, Team


@transaction.atomic
def create_api_key(
    *,
    organization_slug: str,
    mode: str = Mode.TEST,
    member_email: str | None = None,
    name: str = "",
    scope: str = Scope.WRITE,
) -> tuple[ApiKey, str]:
    """Create a key, creating the organization and member when missing; return (key, secret)."""
    organization, _ = Organization.objects.get_or_create(
        slug=slugify(organization_slug), defaults={"name": organization_slug}
    )
    email = member_email or f"admin@{organization.slug}.example"
    member, _ = Member.objects.get_or_create(
        organization=organization, email=email, defaults={"name": email.split("@")[0]}
    )
    return issue_api_key(member=member, mode=mode, name=name, scope=scope)


def issue_api_key(
    *, member: Member, mode: str = Mode.TEST, name: str = "", scope: str = Scope.WRITE
) -> tuple[ApiKey, str]:
    key = ApiKey(
        organization_id=member.organization_id, member=member, mode=mode, name=name, scope=scope
    )
    raw_key = key.set_new_key()
    key.save()
    return key, raw_key


@transaction.atomic
def create_team(*, organization: Organization, name: str, members: list[Member] = ()) -> Team:
    """A team (slug from its name) with `members`; recorded like any other tracked change."""
    team = Team.objects.create(organization=organization, name=name, slug=slugify(name))
    for member in members:
        member.teams.add(team)
    return team
