from django.apps import AppConfig


class BiometricsConfig(AppConfig):
    name = "motcua.biometrics"
    label = "biometrics"
    verbose_name = "Sinh trắc học khuôn mặt"
