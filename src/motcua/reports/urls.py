from django.urls import path, re_path

from motcua.reports import views

app_name = "reports"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    re_path(r"^xuat\.(?P<fmt>csv|xlsx|pdf)$", views.export, name="export"),
]
