from django.apps import AppConfig


class OrganizationsConfig(AppConfig):
    name = "organizations"

    def ready(self) -> None:
        # Imported here: models (and what imports them) load only once the app registry is ready.
        from events.registry import track
        from organizations.models import Member, Team

        track(Team, type_name="teams")
        track(Member, type_name="members")
