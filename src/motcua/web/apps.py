from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "motcua.web"
    label = "web"
    verbose_name = "Giao diện"

    def ready(self) -> None:
        from django.core import checks

        from motcua.web.production import check_demo_in_production

        # `motcua check --deploy`: no demo accounts or demo data in production.
        checks.register(check_demo_in_production, "motcua", deploy=True)
