"""Background work for exports, run by `python manage.py db_worker`."""

from django_tasks import task

from exports import services, skill_exports


@task()
def run_export(export_id: str) -> str:
    services.sweep()
    return services.run(export_id)


@task()
def sweep_exports() -> dict[str, int]:
    return services.sweep()


@task()
def run_skill_export(export_id: str) -> str:
    skill_exports.sweep()
    return skill_exports.run(export_id)
