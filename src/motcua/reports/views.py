"""Management dashboard: targets per unit, field, procedure, officer and month; exports."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from motcua.core.errors import PermissionDenied
from motcua.org.models import Role, Unit
from motcua.reports import exports, selectors
from motcua.web import chartdata

ALLOWED = {Role.MANAGER, Role.LEADER, Role.SYSADMIN}


def _scope(request: HttpRequest) -> set[int] | None:
    """Units the figures cover: the current unit (switcher) with its sub-units and predecessors,
    or with `?pham-vi=tat-ca` every unit the official may see (None = all, for superusers)."""
    from motcua.org.permissions import visible_unit_ids

    user: Any = request.user
    if not user.is_superuser and not (user.role_set() & ALLOWED):
        raise PermissionDenied("Chỉ cán bộ quản lý, lãnh đạo mới xem được báo cáo.")
    visible = None if user.is_superuser else visible_unit_ids(user)
    unit = getattr(request, "current_unit", None)
    if request.GET.get("pham-vi") == "tat-ca" or unit is None:
        return visible
    own = _unit_closure(unit)
    return own if visible is None else own & visible


def _unit_closure(unit: Unit) -> set[int]:
    """A unit, its sub-units, and the units it replaced (their files are now its files)."""
    ids = unit.descendant_ids()
    frontier = set(ids)
    while frontier:
        older = set(Unit.objects.filter(successors__in=frontier).values_list("pk", flat=True)) - ids
        ids |= older
        frontier = older
    return ids


def _period(request: HttpRequest) -> selectors.Period:
    from django.contrib import messages

    from motcua.core.dates import INVALID_MESSAGE, parse_date

    default = selectors.Period.last_days(90)
    try:
        start = parse_date(request.GET.get("from")) or default.date_from
        end = parse_date(request.GET.get("to")) or default.date_to
    except ValueError:
        messages.error(request, INVALID_MESSAGE)
        return default
    return selectors.Period(min(start, end), max(start, end))


def _money(period: Any, unit_ids: Any) -> dict[str, Any]:
    """Fees and charges collected in the period (payments app), amounts formatted for the page."""
    from motcua.payments.selectors import money_summary

    money = money_summary(start=period.start, end=period.end, unit_ids=unit_ids)

    def fmt(n: int) -> str:
        return f"{n:,}".replace(",", ".")

    for m in money["methods"]:
        m["amount_display"] = fmt(m["amount"])
    for key in ("total", "refunded", "net"):
        money[f"{key}_display"] = fmt(money[key])
    return money


def _context(request: HttpRequest) -> dict[str, Any]:
    unit_ids = _scope(request)
    period = _period(request)
    dimension = request.GET.get("theo", "unit")
    if dimension not in selectors.DIMENSIONS:
        dimension = "unit"
    rows = selectors.kpi_table(dimension=dimension, period=period, unit_ids=unit_ids)
    trend = selectors.kpi_table(dimension="month", period=period, unit_ids=unit_ids)
    summary = selectors.kpi_summary(period=period, unit_ids=unit_ids)
    top = rows[:15]
    dim_label = selectors.DIMENSIONS[dimension]
    return {
        "period": period,
        "dimension": dimension,
        "dimensions": selectors.DIMENSIONS,
        "rows": rows,
        "summary": summary,
        "index": selectors.index_766(period=period, unit_ids=unit_ids),
        "money": _money(period, unit_ids),
        "overdue": _overdue(unit_ids),
        "deliveries": _deliveries(unit_ids, period),
        "home_visits": _home_visits(unit_ids, period),
        "partner_delays": _partner_delays(unit_ids, period),
        "trend": [{**r, "month_label": chartdata.month_label(r["key"])} for r in trend],
        "on_time_chart": chartdata.percent_bars(
            chart_id="dung-han",
            title=f"Tỷ lệ giải quyết đúng hạn theo {dim_label.lower()}",
            rows=top,
            key="on_time_pct",
            series_label="Tỷ lệ đúng hạn",
            target=selectors.ON_TIME_TARGET,
            group_label=dim_label,
        ),
        "satisfaction_chart": chartdata.percent_bars(
            chart_id="hai-long",
            title=f"Tỷ lệ hài lòng theo {dim_label.lower()}",
            rows=top,
            key="satisfaction_pct",
            series_label="Tỷ lệ hài lòng",
            target=selectors.SATISFACTION_TARGET,
            group_label=dim_label,
        ),
        "trend_chart": chartdata.percent_lines(
            chart_id="xu-huong",
            title="Tỷ lệ đúng hạn và hài lòng theo tháng",
            rows=[{**r, "label": chartdata.month_label(r["key"])} for r in trend],
            series=[("on_time_pct", "Đúng hạn"), ("satisfaction_pct", "Hài lòng")],
        ),
    }


def _overdue(unit_ids: Any) -> list[Any]:
    """Open overdue dossiers; those waiting on a partner past its sub-deadline say so."""
    from motcua.correspondence.selectors import waiting_on_partners

    rows = list(selectors.overdue_dossiers(unit_ids=unit_ids)[:50])
    waits = waiting_on_partners([d.pk for d in rows])
    for d in rows:
        d.partner_waits = [w for w in waits.get(d.pk, []) if w["partner_late"]]  # type: ignore[attr-defined]
    return rows


def _partner_delays(unit_ids: Any, period: selectors.Period) -> list[dict[str, Any]]:
    """Joint procedures: answers late by the partner agencies (counted against them)."""
    from motcua.correspondence.selectors import partner_delays

    return partner_delays(unit_ids=unit_ids, date_from=period.date_from, date_to=period.date_to)


def _deliveries(unit_ids: Any, period: selectors.Period) -> list[dict[str, Any]]:
    """Delivery success and days to deliver per method (the delivery app's figures)."""
    from motcua.delivery.selectors import delivery_stats

    return delivery_stats(unit_ids=unit_ids, date_from=period.date_from, date_to=period.date_to)


def _home_visits(unit_ids: Any, period: selectors.Period) -> list[dict[str, Any]]:
    """Home visits per officer in the period (the home-service app's figures)."""
    from motcua.homeservice.selectors import visits_per_officer

    return visits_per_officer(unit_ids, period.date_from, period.date_to)


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    try:
        context = _context(request)
    except PermissionDenied as exc:
        return render(request, "web/error.html", {"message": exc.message}, status=403)
    return render(request, "reports/dashboard.html", context)


@login_required
def export(request: HttpRequest, fmt: str) -> HttpResponse:
    try:
        context = _context(request)
    except PermissionDenied as exc:
        return render(request, "web/error.html", {"message": exc.message}, status=403)
    name = (
        f"bao-cao-{context['dimension']}-{context['period'].date_from}-{context['period'].date_to}"
    )
    if fmt == "csv":
        body, ctype = exports.kpi_csv(context["rows"]), "text/csv; charset=utf-8"
    elif fmt == "xlsx":
        body = exports.kpi_xlsx(
            context["rows"],
            title=f"Báo cáo chỉ số {context['period'].date_from} – {context['period'].date_to}",
            index=context["index"],
        )
        ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body, ctype = exports.kpi_pdf(context), "application/pdf"
    response = HttpResponse(body, content_type=ctype)
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response
