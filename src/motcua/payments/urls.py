from django.urls import path

from motcua.payments import views

app_name = "payments"

urlpatterns = [
    path("ho-so/<str:code>/tien-mat/", views.cash, name="cash"),
    path("ho-so/<str:code>/vietqr.png", views.vietqr, name="vietqr"),
    path("ho-so/<str:code>/hoan-tra/<str:receipt_id>/", views.refund, name="refund"),
    path("so-quy/", views.cash_book, name="cash_book"),
    path("so-quy/xuat.xlsx", views.cash_book_xlsx, name="cash_book_xlsx"),
    path("doi-chieu/", views.daily, name="daily"),
    path("doi-soat/", views.reconciliation, name="reconciliation"),
    path("doi-soat/<int:pk>/", views.reconciliation_resolve, name="reconciliation_resolve"),
]

public_urlpatterns = [
    path("thanh-toan/truc-tuyen/", views.pay_online, name="pay_online"),
    path("thanh-toan/don/<str:public_id>/", views.pay_order, name="pay_order"),
]
