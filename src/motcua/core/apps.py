from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    name = "motcua.core"
    label = "core"
    verbose_name = "Lõi hệ thống"

    def ready(self) -> None:
        from motcua.core import links  # noqa: F401  registers the PUBLIC_BASE_URL check
        from motcua.core.dbstats import optimize_after_migrate

        post_migrate.connect(optimize_after_migrate, sender=self)
