from django.apps import AppConfig


class WorktimeConfig(AppConfig):
    name = "motcua.worktime"
    label = "worktime"
    verbose_name = "Lịch làm việc"

    def ready(self) -> None:
        from motcua.worktime import checks  # noqa: F401  (registers the system checks)
