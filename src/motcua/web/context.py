"""Role-aware navigation for the back office."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from motcua.org.models import Role

# (label, url name, roles that see it; empty = every official)
NAV: list[tuple[str, str, set[str]]] = [
    ("Trang chính", "web:home", set()),
    ("Tiếp nhận hồ sơ", "dossiers:receive", {Role.RECEPTION, Role.HOME_SERVICE}),
    ("Hồ sơ", "dossiers:worklist", set()),
    (
        "Văn bản đi, đến",
        "correspondence:list",
        {Role.RECEPTION, Role.SPECIALIST, Role.LEADER, Role.MANAGER},
    ),
    ("Trả kết quả", "delivery:tasks", {Role.RECEPTION, Role.HOME_SERVICE, Role.MANAGER}),
    ("Việc tại nhà hôm nay", "homeservice:today", {Role.HOME_SERVICE}),
    ("Điều phối tại nhà", "homeservice:dispatch", {Role.MANAGER}),
    ("Quầy phục vụ", "queueing:counter_select", {Role.RECEPTION}),
    ("Bàn hướng dẫn", "queueing:desk", {Role.RECEPTION, Role.MANAGER}),
    ("Bảng hiển thị", "queueing:board_select", set()),
    ("Báo cáo, thống kê", "reports:dashboard", {Role.MANAGER, Role.LEADER, Role.SYSADMIN}),
    ("Báo cáo xếp hàng", "queueing:report", {Role.MANAGER, Role.LEADER, Role.SYSADMIN}),
    ("Dữ liệu khuôn mặt", "biometrics:privacy", {Role.MANAGER, Role.SYSADMIN}),
    ("Danh mục thủ tục", "web:catalog", set()),
    ("Tin bài, bình luận", "portal:staff_news", {Role.MANAGER, Role.LEADER, Role.SYSADMIN}),
    ("Chiến dịch truyền thông", "campaigns:list", {Role.MANAGER, Role.LEADER}),
    ("Quản trị", "admin:index", {Role.SYSADMIN}),
]


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or request.path.startswith("/api/"):
        return {}
    roles = user.role_set()
    if user.is_superuser:
        roles.add(Role.SYSADMIN)
    items = []
    for label, name, allowed in NAV:
        if allowed and not (roles & allowed):
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue  # a capability not installed yet
        items.append({"label": label, "url": url, "active": request.path == url})
    from motcua.org.models import Unit

    units = list(Unit.objects.filter(staff_roles__user=user).distinct().order_by("level", "name"))
    if len(units) > 1:  # the switcher says where the official's own dossiers wait
        from motcua.dossiers.selectors import waiting_by_unit

        waiting = waiting_by_unit(user=user, unit_ids=[u.pk for u in units])
        for u in units:
            u.waiting = waiting.get(u.pk, 0)  # type: ignore[attr-defined]
    return {
        "nav_items": items,
        "my_units": units,
        "current_unit": getattr(request, "current_unit", None),
        "my_roles": [Role(r).label for r in sorted(roles) if r in Role.values],
    }
