from django.apps import AppConfig


class BiometricsConfig(AppConfig):
    name = "motcua.biometrics"
    label = "biometrics"
    verbose_name = "Sinh trắc học khuôn mặt"

    def ready(self) -> None:
        from django.core.signals import setting_changed

        from motcua.biometrics.engine import _on_setting_changed

        setting_changed.connect(_on_setting_changed, dispatch_uid="biometrics.engine.reset")
