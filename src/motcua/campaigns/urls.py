from django.urls import path

from motcua.campaigns import views

app_name = "campaigns"

urlpatterns = [
    path("can-bo/chien-dich/", views.campaign_list, name="list"),
    path("can-bo/chien-dich/moi/", views.campaign_create, name="create"),
    path("can-bo/chien-dich/<int:pk>/", views.campaign_detail, name="detail"),
    path("can-bo/chien-dich/<int:pk>/dang/", views.campaign_publish, name="publish"),
    path(
        "can-bo/chien-dich/<int:pk>/dang-lai/<str:channel>/",
        views.campaign_retry,
        name="retry",
    ),
    path("can-bo/chien-dich/<int:pk>/cap-nhat/", views.campaign_refresh, name="refresh"),
    path("chien-dich/anh/<str:code>/", views.campaign_image, name="image"),
    path("dang-ky-nhan-tin/", views.subscribe, name="subscribe"),
    path("dang-ky-nhan-tin/xac-nhan/<str:token>/", views.confirm, name="confirm"),
    # Before notifications' own pattern (same path): subscriptions' links are told apart by
    # their signature, every other link is handed to notifications.views.unsubscribe.
    path("huy-dang-ky/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
