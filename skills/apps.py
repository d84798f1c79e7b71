from django.apps import AppConfig


class SkillsConfig(AppConfig):
    name = "skills"
    verbose_name = "Skills registry"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported here: models (and what imports them) load only once the app registry is ready.
        from api.operations.made import Made, register_made
        from events.registry import track
        from skills import schema  # noqa: F401  (registers its OpenAPI paths)
        from skills.discovery import schema as discovery_schema  # noqa: F401  (and these)
        from skills.integrity import register_checks
        from skills.models import (
            ShareLink,
            SkillCollection,
            SkillCollectionVersion,
            SkillMarketplace,
            SkillPlugin,
        )
        from skills.selectors import skill_ids_by_path

        track(SkillCollection, type_name="skill_collections")
        # A version's file list can hold 10,000 paths: its digest stands for it in the trail.
        track(
            SkillCollectionVersion,
            type_name="skill_collection_versions",
            exclude=("updated_at", "file_paths", "git_commit"),
        )
        track(SkillPlugin, type_name="skill_plugins")
        track(SkillMarketplace, type_name="skill_marketplaces")
        track(ShareLink, type_name="share_links", exclude=("updated_at",))
        register_checks()
        # An atomic request may name the skills a version makes: `meta.skill_lids` of its add.
        register_made(
            "skill_collection_versions",
            Made(member="skill_lids", type="skills", key="path", ids=skill_ids_by_path),
        )
