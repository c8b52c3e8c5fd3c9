from django.apps import AppConfig
from django.db.models.signals import post_migrate


class DossiersConfig(AppConfig):
    name = "motcua.dossiers"
    label = "dossiers"
    verbose_name = "Hồ sơ"

    def ready(self) -> None:
        from motcua.dossiers.search_index import ensure_after_migrate

        post_migrate.connect(ensure_after_migrate, sender=self)

        # The public lookup (the portal's busiest API read) is answered by the API lane
        # (web.apilane): the same ninja operation, without Django's middleware stack.
        from motcua.web.apilane import Route, register

        register(Route("GET", "api/v1/public/dossiers/<code>", query=("verify",)))
