from django.contrib import admin
from django.urls import include, path

from motcua.api import api
from motcua.delivery.urls import public_urlpatterns as delivery_public
from motcua.payments.urls import public_urlpatterns as payments_public
from motcua.web import views as web_views

admin.site.site_header = "Quản trị hệ thống một cửa"
admin.site.site_title = "motcua"
admin.site.index_title = "Danh mục và cấu hình"

handler404 = "motcua.web.views.not_found"

urlpatterns = [
    path("healthz", web_views.healthz, name="healthz"),
    path("favicon.ico", web_views.favicon, name="favicon"),
    path("api/v1/", api.urls),
    path("quan-tri/", admin.site.urls),
    path("can-bo/", include("motcua.web.urls")),
    path("can-bo/ho-so/", include("motcua.dossiers.urls")),
    path("can-bo/xep-hang/", include("motcua.queueing.urls")),
    path("can-bo/bao-cao/", include("motcua.reports.urls")),
    path("can-bo/khuon-mat/", include("motcua.biometrics.urls")),
    path("can-bo/thu-phi/", include("motcua.payments.urls")),
    path("", include((payments_public, "payments_public"))),
    path("", include((delivery_public, "delivery_public"))),
    path("", include("motcua.homeservice.urls")),
    path("can-bo/tra-ket-qua/", include("motcua.delivery.urls")),
    # Campaigns before notifications: /huy-dang-ky/<token>/ is shared (see campaigns.urls).
    path("", include("motcua.campaigns.urls")),
    path("", include("motcua.notifications.urls")),
    path("can-bo/van-ban/", include("motcua.correspondence.urls")),
    path("van-ban/", include("motcua.correspondence.public_urls")),
    path("", include("motcua.portal.urls")),
]
