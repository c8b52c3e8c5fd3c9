from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "motcua.org"
    label = "org"
    verbose_name = "Tổ chức và công dân"
