"""Back-office privacy page: look up a citizen's face data and delete it on request."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from motcua.biometrics.selectors import citizen_face_summary
from motcua.biometrics.services import (
    DELETE_ROLES,
    face_data_delete,
    face_data_office_scope,
    face_data_viewed,
)
from motcua.core.errors import DomainError
from motcua.org.models import Citizen, User


def _allowed(request: HttpRequest) -> bool:
    return any(request.user.has_role(role) for role in DELETE_ROLES)  # type: ignore[union-attr]


def _office_scope(user: Any) -> set[int] | None:
    """A manager sees face data held at their units' offices; a system administrator, all."""
    return face_data_office_scope(user)


def _forbidden(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "web/error.html",
        {"message": "Chỉ quản trị hệ thống hoặc cán bộ quản lý được xem và xóa dữ liệu khuôn mặt."},
        status=403,
    )


@login_required
def privacy(request: HttpRequest) -> HttpResponse:
    if not _allowed(request):
        return _forbidden(request)
    id_number = request.GET.get("id_number", "").strip()
    context: dict = {"id_number": id_number}
    if id_number:
        citizen = Citizen.objects.filter(id_number=id_number).first()
        if citizen is None:
            context["not_found"] = True
        else:
            face_data_viewed(citizen=citizen, actor=cast(User, request.user))
            context.update(
                citizen_face_summary(citizen=citizen, office_ids=_office_scope(request.user))
            )
    return render(request, "biometrics/privacy.html", context)


@login_required
@require_POST
def delete(request: HttpRequest, id_number: str) -> HttpResponse:
    if not _allowed(request):
        return _forbidden(request)
    citizen = Citizen.objects.filter(id_number=id_number).first()
    back = reverse("biometrics:privacy") + f"?id_number={id_number}"
    if citizen is None:
        messages.error(request, "Không tìm thấy công dân có số định danh này.")
        return redirect(back)
    try:
        n = face_data_delete(
            citizen=citizen, actor=cast(User, request.user), reason=request.POST.get("reason", "")
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, f"Đã xóa {n} mẫu khuôn mặt và rút lại đồng ý của {citizen.full_name}."
        )
    return redirect(back)
