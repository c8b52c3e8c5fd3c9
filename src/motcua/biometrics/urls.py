from django.urls import path

from motcua.biometrics import views

app_name = "biometrics"

urlpatterns = [
    path("", views.privacy, name="privacy"),
    path("<str:id_number>/xoa/", views.delete, name="delete"),
]
