import factory

from core.models import Mode
from events.models import Webhook
from tests.factories import OrganizationFactory


class WebhookFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Webhook

    organization = factory.SubFactory(OrganizationFactory)
    mode = Mode.TEST
    name = factory.Sequence(lambda n: f"Hook {n}")
    topic = "teams.update"
    callback_url = "https://93.184.216.34/hooks"
