from django.apps import AppConfig


class HomeserviceConfig(AppConfig):
    name = "motcua.homeservice"
    label = "homeservice"
    verbose_name = "Phục vụ tại nhà"
