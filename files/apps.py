from django.apps import AppConfig


class FilesConfig(AppConfig):
    name = "files"

    def ready(self) -> None:
        # Imported here: models (and what imports them) load only once the app registry is ready.
        from core.integrity import register
        from files.integrity import NAME, check_files

        register(NAME, check_files)
