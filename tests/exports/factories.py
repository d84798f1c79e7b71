import factory

from core.models import Mode
from exports.models import Export
from tests.factories import MemberFactory, OrganizationFactory


class ExportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Export

    organization = factory.SubFactory(OrganizationFactory)
    mode = Mode.TEST
    created_by = factory.SubFactory(
        MemberFactory, organization=factory.SelfAttribute("..organization")
    )
    resource_type = "members"
    format = Export.Format.JSON
