"""Public pages of the portal: the units' published documents ("Gửi nhận văn bản", "Công khai
minh bạch": directives, announcements of procedures...), with search, without JavaScript."""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from motcua.correspondence import selectors
from motcua.correspondence.rules import DOC_TYPE_CHOICES
from motcua.portal.views import portal_page


@portal_page
def documents(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "")[:200].strip()
    kind = request.GET.get("loai", "")
    if kind not in dict(DOC_TYPE_CHOICES):
        kind = ""
    unit = request.GET.get("don-vi", "")[:60]
    qs = selectors.published_documents(q=q, doc_type=kind, unit_code=unit)
    page = Paginator(qs, 20).get_page(request.GET.get("trang"))
    query = urlencode({k: v for k, v in (("q", q), ("loai", kind), ("don-vi", unit)) if v})
    return render(
        request,
        "correspondence/public_list.html",
        {
            "page": page,
            "q": q,
            "kind": kind,
            "unit": unit,
            "kinds": DOC_TYPE_CHOICES,
            "units": selectors.publishing_units(),
            "query": query,
        },
    )


@portal_page
def document(request: HttpRequest, pk: int) -> HttpResponse:
    doc = selectors.published_documents().filter(pk=pk).first()
    if doc is None:
        raise Http404("Không tìm thấy văn bản")
    return render(
        request,
        "correspondence/public_detail.html",
        {"doc": doc, "files": list(doc.files.all())},
    )


def document_file(request: HttpRequest, pk: int, file_pk: int) -> FileResponse:
    doc = selectors.published_documents().filter(pk=pk).first()
    row = doc.files.filter(pk=file_pk).first() if doc is not None else None
    if row is None:
        raise Http404("Không tìm thấy tệp")
    return FileResponse(
        row.file.open("rb"),
        as_attachment=False,
        filename=row.original_name,
        content_type=row.content_type,
    )
