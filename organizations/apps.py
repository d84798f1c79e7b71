from django.apps import AppConfig


class OrganizationsConfig(AppConfig):
    name = "organizations"

    def ready(self) -> None:
        from events.registry import track
        from organizations.models import Member, Team

        track(Team, type_name="teams")
        track(Member, type_name="members")
