from django.urls import path

from motcua.delivery import views

app_name = "delivery"

# Mounted at /can-bo/tra-ket-qua/.
urlpatterns = [
    path("", views.tasks, name="tasks"),
    path("<str:code>/", views.task, name="task"),
    path("<str:code>/trao/", views.handover, name="handover"),
    path("<str:code>/gui-buu-dien/", views.ship, name="ship"),
]

# Public pages, mounted at the site root (namespace "delivery_public").
public_urlpatterns = [
    path("tra-cuu/nhan-ket-qua/", views.public_choose, name="choose"),
]
