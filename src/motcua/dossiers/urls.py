from django.urls import path

from motcua.dossiers import views

app_name = "dossiers"

urlpatterns = [
    path("", views.worklist, name="worklist"),
    path("tiep-nhan/", views.receive, name="receive"),
    path("so-theo-doi/", views.ledger, name="ledger"),
    path("<str:code>/", views.detail, name="detail"),
    path("<str:code>/thao-tac/", views.act, name="act"),
    path("<str:code>/dinh-kem/", views.attach, name="attach"),
    path("<str:code>/dinh-kem/<int:pk>/", views.attachment, name="attachment"),
    path("<str:code>/mau/<str:form>.pdf", views.form_pdf, name="form_pdf"),
]
