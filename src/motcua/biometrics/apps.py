from django.apps import AppConfig
from django.db.models.signals import post_migrate, pre_migrate


class BiometricsConfig(AppConfig):
    name = "motcua.biometrics"
    label = "biometrics"
    verbose_name = "Sinh trắc học khuôn mặt"

    def ready(self) -> None:
        from django.core.signals import setting_changed

        from motcua.biometrics.engine import _on_setting_changed
        from motcua.biometrics.triggers import drop_before_migrate, ensure_after_migrate

        setting_changed.connect(_on_setting_changed, dispatch_uid="biometrics.engine.reset")
        pre_migrate.connect(drop_before_migrate, sender=self)
        post_migrate.connect(ensure_after_migrate, sender=self)
