from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "motcua.payments"
    label = "payments"
    verbose_name = "Phí, lệ phí và biên lai"

    def ready(self) -> None:
        from motcua.payments import checks  # noqa: F401  (registers the system checks)
