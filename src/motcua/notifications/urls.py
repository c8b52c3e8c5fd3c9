from django.urls import path

from motcua.notifications import views

app_name = "notifications"

urlpatterns = [
    path("can-bo/thong-bao/that-bai/", views.failed, name="failed"),
    path("huy-dang-ky/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("thong-bao/lua-chon/<str:token>/", views.preferences, name="preferences"),
]
