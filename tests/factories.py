import factory

from core.models import Tenant
from organizations.models import ApiKey, Member, Mode, Organization, Team


def tenant_of(organization, mode: str = Mode.TEST) -> Tenant:
    """The (organization, mode) a service call writes for; test mode like the default key."""
    return Tenant(organization.pk, mode)


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Organization {n}")
    slug = factory.Sequence(lambda n: f"org-{n}")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.Sequence(lambda n: f"team-{n}")


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Member {n}")
    email = factory.Sequence(lambda n: f"member{n}@example.com")


class ApiKeyFactory(factory.django.DjangoModelFactory):
    """`ApiKeyFactory().raw_key` is the secret, available only at creation like in the API."""

    class Meta:
        model = ApiKey

    member = factory.SubFactory(MemberFactory)
    organization = factory.SelfAttribute("member.organization")
    mode = Mode.TEST

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        key = model_class(*args, **kwargs)
        raw_key = key.set_new_key()
        key.save()
        key.raw_key = raw_key
        return key
