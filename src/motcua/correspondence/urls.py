from django.urls import path

from motcua.correspondence import views

app_name = "correspondence"

# Mounted at /can-bo/van-ban/.
urlpatterns = [
    path("", views.registers, name="list"),
    path("moi/", views.create, name="create"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/gui/", views.send, name="send"),
    path("<int:pk>/vao-so/", views.register, name="register"),
    path("<int:pk>/phan-cong/", views.assign, name="assign"),
    path("<int:pk>/xong/", views.finish, name="finish"),
    path("<int:pk>/tep/<int:file_pk>/", views.file, name="file"),
    path("<int:pk>/tra-lai/", views.refuse, name="refuse"),
    path("<int:pk>/thu-hoi/", views.recall, name="recall"),
    path("<int:pk>/cong-khai/", views.publish, name="publish"),
    path("van-ban-giay/", views.paper, name="paper"),
    path("lay-y-kien/", views.consultations, name="consultations"),
    path("lay-y-kien/ho-so/<str:code>/", views.consult, name="consult"),
]
