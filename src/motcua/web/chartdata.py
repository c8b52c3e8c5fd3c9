"""Chart data for chart.js, built on the server: labels people can read, sensible axes, a table.

Pure functions of plain data (no database, no request), tested alone. Each builder returns
`{"chart": ..., "table": ...}`: `chart` goes to the page as JSON (`json_script`, never
executed) and is drawn by `web/charts.js` with chart.js from our static files; `table` is the
same figures as an HTML table beside the chart, for screen readers and for anyone who prefers
numbers. Percent axes run 0–100 with a tick every 20; count axes end on a "nice" number.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import date
from typing import Any

# Dark enough for 3:1 against white (WCAG 1.4.11, non-text contrast) and told apart by the
# legend order and the table, not by colour alone.
COLOURS = {
    "served": "#1b6e3a",
    "no_shows": "#a35200",
    "early": "#1b6e3a",
    "on_time": "#3f7f1f",
    "late": "#b3261e",
    "in_progress_on_time": "#0b4a8b",
    "in_progress_overdue": "#a35200",
    "on_time_pct": "#0b4a8b",
    "satisfaction_pct": "#1b6e3a",
    "n": "#0b4a8b",
}
FALLBACK = ["#0b4a8b", "#1b6e3a", "#a35200", "#6a1b9a", "#b3261e"]
BAD = "#b3261e"  # a bar under its target


def vn_number(value: float | int | None, decimals: int = 0) -> str:
    """Vietnamese number: 1.234 and 98,5."""
    if value is None:
        return "–"
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def vn_percent(value: float | None) -> str:
    return "–" if value is None else f"{vn_number(value, 1)}%"


def month_label(month: date) -> str:
    """Short month for an axis: "Th 11/2026" (never cut: the axis gets the whole label)."""
    return f"Th {month:%m/%Y}"


def category_label(label: Any) -> str:
    """Axis text of a category: days as dd/mm/yyyy, months as "Th 11/2026"."""
    if isinstance(label, date):
        return f"{label:%d/%m/%Y}"
    text = str(label or "").strip()
    m = re.fullmatch(r"(?:Tháng\s+)?(\d{1,2})/(\d{4})", text) or None
    if m:
        return f"Th {int(m.group(1)):02d}/{m.group(2)}"
    m = re.fullmatch(r"(\d{4})-(\d{2})", text)
    if m:
        return f"Th {m.group(2)}/{m.group(1)}"
    return text or "–"


def nice_axis(peak: float, max_steps: int = 7) -> tuple[int, int]:
    """(max, step) of a count axis: the smallest step of 1, 2 or 5 × 10^k that reaches the peak
    in at most `max_steps` ticks, and the first tick at or above the peak."""
    if peak <= 0:
        return 5, 1
    power = 10 ** max(0, math.floor(math.log10(peak / max_steps)) if peak > max_steps else 0)
    while True:
        for m in (1, 2, 5):
            step = int(m * power)
            if math.ceil(peak / step) <= max_steps:
                return int(math.ceil(peak / step) * step), step
        power *= 10


def _colour(key: str, index: int) -> str:
    return COLOURS.get(key, FALLBACK[index % len(FALLBACK)])


def percent_bars(
    *,
    chart_id: str,
    title: str,
    rows: Sequence[dict[str, Any]],
    key: str,
    series_label: str,
    target: float | None = None,
    label_key: str = "label",
    group_label: str = "Nhóm",
) -> dict[str, Any]:
    """One horizontal bar per row for a percentage, axis 0–100 every 20, optional target line."""
    labels = [category_label(r.get(label_key)) for r in rows]
    values = [None if r.get(key) is None else round(float(r[key]), 1) for r in rows]
    colours = [
        BAD if (target is not None and v is not None and v < target) else _colour(key, 0)
        for v in values
    ]
    chart = {
        "id": chart_id,
        "type": "bar",
        "horizontal": True,
        "stacked": False,
        "unit": "%",
        "title": title,
        "labels": labels,
        "datasets": [{"label": series_label, "data": values, "colors": colours}],
        "axis": {"min": 0, "max": 100, "step": 20, "title": f"{series_label} (%)"},
        "target": None
        if target is None
        else {"value": target, "label": f"Mục tiêu {vn_number(target)}%"},
    }
    head = [group_label, series_label]
    body = [[s, vn_percent(v)] for s, v in zip(labels, values, strict=True)]
    caption = title + ("" if target is None else f" (mục tiêu ≥ {vn_number(target)}%)")
    return {"chart": chart, "table": {"caption": caption, "head": head, "rows": body}}


def count_bars(
    *,
    chart_id: str,
    title: str,
    rows: Sequence[dict[str, Any]],
    series: Sequence[tuple[str, str]],
    label_key: str = "label",
    group_label: str = "Nhóm",
    axis_title: str = "Số hồ sơ",
    horizontal: bool = True,
) -> dict[str, Any]:
    """Bars of counts (horizontal for named groups, upright for days), stacked when there are
    several series, with a total column in the table."""
    labels = [category_label(r.get(label_key)) for r in rows]
    data = {k: [int(r.get(k) or 0) for r in rows] for k, _ in series}
    totals = [sum(data[k][i] for k, _ in series) for i in range(len(rows))]
    top, step = nice_axis(max(totals or [0]))
    chart = {
        "id": chart_id,
        "type": "bar",
        "horizontal": horizontal,
        "stacked": len(series) > 1,
        "unit": "",
        "title": title,
        "labels": labels,
        "datasets": [
            {"label": name, "data": data[k], "colors": _colour(k, i)}
            for i, (k, name) in enumerate(series)
        ],
        "axis": {"min": 0, "max": top, "step": step, "title": axis_title},
        "target": None,
    }
    head = [group_label, *(name for _, name in series)]
    body = [[s, *(vn_number(data[k][i]) for k, _ in series)] for i, s in enumerate(labels)]
    if len(series) > 1:
        head.append("Tổng")
        for line, total in zip(body, totals, strict=True):
            line.append(vn_number(total))
    return {"chart": chart, "table": {"caption": title, "head": head, "rows": body}}


def percent_lines(
    *,
    chart_id: str,
    title: str,
    rows: Sequence[dict[str, Any]],
    series: Sequence[tuple[str, str]],
    label_key: str = "label",
    group_label: str = "Tháng",
) -> dict[str, Any]:
    """Percentages over periods (months), one line per series, axis 0–100 every 20."""
    labels = [category_label(r.get(label_key)) for r in rows]
    values = {
        k: [None if r.get(k) is None else round(float(r[k]), 1) for r in rows] for k, _ in series
    }
    chart = {
        "id": chart_id,
        "type": "line",
        "horizontal": False,
        "stacked": False,
        "unit": "%",
        "title": title,
        "labels": labels,
        "datasets": [
            {"label": name, "data": values[k], "colors": _colour(k, i)}
            for i, (k, name) in enumerate(series)
        ],
        "axis": {"min": 0, "max": 100, "step": 20, "title": "Tỷ lệ (%)"},
        "target": None,
    }
    head = [group_label, *(name for _, name in series)]
    body = [[s, *(vn_percent(values[k][i]) for k, _ in series)] for i, s in enumerate(labels)]
    return {"chart": chart, "table": {"caption": title, "head": head, "rows": body}}
