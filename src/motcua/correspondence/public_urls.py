from django.urls import path

from motcua.correspondence import public

app_name = "documents_public"

# Mounted at /van-ban/ (the portal).
urlpatterns = [
    path("", public.documents, name="list"),
    path("<int:pk>/", public.document, name="detail"),
    path("<int:pk>/tep/<int:file_pk>/", public.document_file, name="file"),
]
