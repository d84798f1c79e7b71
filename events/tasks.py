from core.jobs.queue import task
from events import services


@task()
def deliver_webhook(delivery_id: str, probe: bool = False) -> str:
    """Attempt one webhook delivery (a no-op when it was delivered or is held elsewhere)."""
    return services.attempt_delivery(delivery_id, probe=probe)
