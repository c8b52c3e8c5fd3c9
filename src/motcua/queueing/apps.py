from django.apps import AppConfig


class QueueingConfig(AppConfig):
    name = "motcua.queueing"
    label = "queueing"
    verbose_name = "Xếp hàng"

    def ready(self) -> None:
        from motcua.queueing import lookups

        lookups.connect_signals()
