"""`{% chart spec %}`: a chart.js canvas with its data table (see web/chartdata.py)."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.inclusion_tag("web/_chart.html")
def chart(spec: dict[str, Any] | None) -> dict[str, Any]:
    if not spec:
        return {"spec": None}
    return {"spec": spec, "data_id": f"chart-data-{spec['chart']['id']}"}
