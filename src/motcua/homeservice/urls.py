from django.urls import path

from motcua.homeservice import views

app_name = "homeservice"

urlpatterns = [
    path("dat-lich-tai-nha/", views.book, name="book"),
    path("dat-lich-tai-nha/tra-cuu/", views.lookup, name="lookup"),
    path("can-bo/tai-nha/", views.dispatch, name="dispatch"),
    path("can-bo/tai-nha/dat-lich/", views.desk_book, name="desk_book"),
    path("can-bo/tai-nha/in/", views.day_sheet, name="day_sheet"),
    path("can-bo/tai-nha/hom-nay/", views.today, name="today"),
    path("can-bo/tai-nha/sw.js", views.service_worker, name="sw"),
]
