from django.urls import path

from motcua.queueing import views

app_name = "queueing"

urlpatterns = [
    # Staff pages (mounted at /can-bo/xep-hang/).
    path("", views.counter_select, name="counter_select"),
    path("quay/<int:counter_id>/", views.counter_page, name="counter"),
    path(
        "quay/<int:counter_id>/doi-chieu-khuon-mat/",
        views.counter_face_check,
        name="counter_face_check",
    ),
    path("quay/<int:counter_id>/<slug:action>/", views.counter_action, name="counter_action"),
    path("huong-dan/", views.desk, name="desk"),
    path("huong-dan/<slug:action>/", views.desk_action, name="desk_action"),
    path("bang-hien-thi/", views.board_select, name="board_select"),
    path("bao-cao/", views.report, name="report"),
    path("bao-cao/xuat.<str:fmt>", views.report_export, name="report_export"),
    # Public devices and the citizen's live ticket page.
    path("kiosk/<str:office>/", views.kiosk, name="kiosk"),
    path("kiosk/<str:office>/giong-noi/", views.kiosk_voice, name="kiosk_voice"),
    path("bang/<str:office>/", views.board, name="board"),
    path("ve/<str:token>/", views.ticket_live, name="ticket_live"),
    path("ve/<str:token>/qr.svg", views.ticket_qr, name="ticket_qr"),
    path("giong-noi/", views.voice_call, name="voice_call"),
]
