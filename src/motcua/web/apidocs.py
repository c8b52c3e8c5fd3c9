"""The API documentation page (/api/v1/docs) served entirely from our own static files.

django-ninja's default Swagger page loads Swagger UI from a CDN when "ninja" is not an
installed app, so the page stays blank in an office without internet. This renderer uses
swagger-ui-dist installed from npm (/static/vendor/swagger-ui/) and an init script of ours:
no inline script (the Content-Security-Policy allows only 'self'), and no call to the public
validator badge (validatorUrl: null).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from ninja.openapi.docs import DocsBase

if TYPE_CHECKING:
    from ninja import NinjaAPI


class LocalSwagger(DocsBase):
    template = "web/api_docs.html"
    settings: dict[str, Any] = {
        "layout": "BaseLayout",
        "deepLinking": True,
        "validatorUrl": None,  # the default badge calls validator.swagger.io
    }

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        config = {**self.settings, "url": self.get_openapi_url(api, kwargs)}
        # "Try it out" with a logged-in session writes only with the CSRF token (core.auth).
        context = {"api": api, "swagger_settings": config, "add_csrf": True}
        return render(request, self.template, context)
