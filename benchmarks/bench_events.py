"""Cost of tracking (queries and time per tracked save) and webhook delivery throughput."""

import os
import time


def run() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["SKILLPORT_WEBHOOKS_ALLOW_PRIVATE"] = "true"
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        from events import services
        from events.models import Webhook
        from organizations.models import Organization, Team
        from tests.events.receiver import Receiver

        organization = Organization.objects.create(name="Bench", slug="bench")
        teams = [
            Team.objects.create(organization=organization, name=f"t{i}", slug=f"t{i}")
            for i in range(300)
        ]
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            for team in teams:
                team.name = f"{team.name}!"
                team.save()
        elapsed = time.perf_counter() - started
        print(f"tracked update: {len(queries) / len(teams):.1f} queries/save (1 untracked)")
        print(f"tracked update: {elapsed / len(teams) * 1000:.2f} ms/save")

        receiver = Receiver().start()
        try:
            Webhook.objects.create(
                organization=organization,
                mode="test",
                topic="teams.update",
                callback_url=receiver.url,
            )
            for team in teams[:200]:
                team.name = f"{team.name}?"
                team.save()
            started = time.perf_counter()
            delivered = services.sweep(enqueue=False)
            elapsed = time.perf_counter() - started
            print(f"deliveries: {delivered / elapsed:.0f}/s ({delivered} in {elapsed:.2f}s)")
        finally:
            receiver.stop()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
