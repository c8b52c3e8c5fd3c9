from django.apps import AppConfig


class CorrespondenceConfig(AppConfig):
    name = "motcua.correspondence"
    label = "correspondence"
    verbose_name = "Văn bản đi, văn bản đến"
