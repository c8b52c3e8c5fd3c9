from django.urls import path

from motcua.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("thu-tuc/", views.procedures, name="procedures"),
    path("thu-tuc/<str:code>/", views.procedure_detail, name="procedure_detail"),
    path("tra-cuu/", views.lookup, name="lookup"),
    path("tinh-hinh-giai-quyet/", views.statistics, name="statistics"),
    path("co-quan/", views.offices, name="offices"),
    path("cong-khai/", views.transparency, name="transparency"),
    path("tin-tuc/", views.news_list, name="news_list"),
    path("tin-tuc/<slug:slug>/", views.news_detail, name="news_detail"),
    path("tin-tuc/<slug:slug>/danh-gia/", views.news_rate, name="news_rate"),
    path("tin-tuc/<slug:slug>/binh-luan/", views.news_comment, name="news_comment"),
    path("danh-gia/", views.service_rating, name="service_rating"),
    path("dat-lich/", views.booking, name="booking"),
    path("dat-lich/huy/", views.booking_cancel, name="booking_cancel"),
    path("can-bo/tin-bai/", views.staff_news, name="staff_news"),
    path("can-bo/tin-bai/moi/", views.staff_news_edit, name="staff_news_new"),
    path("can-bo/tin-bai/<int:pk>/", views.staff_news_edit, name="staff_news_edit"),
    path(
        "can-bo/tin-bai/binh-luan/<int:pk>/",
        views.staff_comment_moderate,
        name="staff_comment_moderate",
    ),
]
