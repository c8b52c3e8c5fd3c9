"""Server-rendered SVG charts (no JavaScript): stacked bars with <title>/<desc> for screen readers.

Pure functions of plain data, so they are tested without a database or a browser.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

_ids = itertools.count(1)

# Colours chosen for contrast on white and distinguishable without colour (patterns not needed:
# every bar segment also has its own <title>, and a data table follows every chart).
PALETTE = {
    "early": "#1b6e3a",
    "on_time": "#4c9a2a",
    "late": "#b3261e",
    "in_progress_on_time": "#0b4a8b",
    "in_progress_overdue": "#e07b00",
    "very_satisfied": "#1b6e3a",
    "satisfied": "#4c9a2a",
    "dissatisfied": "#b3261e",
    "n": "#0b4a8b",
}


def _fmt(n: Any) -> str:
    return f"{int(n):,}".replace(",", ".")


def _pct(value: Any) -> str:
    """Vietnamese decimal comma: 98,5%."""
    return f"{float(value):.1f}%".replace(".", ",")


def stacked_bars(
    rows: Sequence[dict[str, Any]],
    series: Sequence[tuple[str, str]],
    *,
    title: str,
    desc: str = "",
    label_key: str = "label",
    width: int = 760,
    bar_height: int = 22,
) -> SafeString:
    """A horizontal stacked bar per row; `series` is [(key, Vietnamese label)]."""
    uid = next(_ids)
    label_w, right_pad, top, legend_h = 220, 70, 34, 28
    plot_w = width - label_w - right_pad
    totals = [sum(int(r.get(k) or 0) for k, _ in series) for r in rows]
    peak = max(totals or [0]) or 1
    height = top + legend_h + max(1, len(rows)) * (bar_height + 10) + 10
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-labelledby="chart-t{uid} chart-d{uid}" xmlns="http://www.w3.org/2000/svg" '
        f'font-family="Noto Sans, DejaVu Sans, Arial, sans-serif" font-size="13">',
        f'<title id="chart-t{uid}">{escape(title)}</title>',
        f'<desc id="chart-d{uid}">{escape(desc or title)}</desc>',
        '<rect width="100%" height="100%" fill="#fff"/>',
    ]
    # Legend.
    x = 8
    for key, label in series:
        parts.append(
            f'<rect x="{x}" y="8" width="14" height="14" fill="{PALETTE.get(key, "#666")}"/>'
        )
        parts.append(f'<text x="{x + 19}" y="20" fill="#1a1a1a">{escape(label)}</text>')
        x += 28 + 8 * len(label)
    if not rows:
        parts.append(f'<text x="8" y="{top + legend_h + 14}" fill="#555">Chưa có số liệu.</text>')
    for i, (row, total) in enumerate(zip(rows, totals, strict=True)):
        y = top + legend_h + i * (bar_height + 10)
        label = str(row.get(label_key) or "")
        short = label if len(label) <= 30 else label[:29] + "…"
        parts.append(
            f'<text x="{label_w - 8}" y="{y + bar_height * 0.7:.0f}" text-anchor="end" fill="#1a1a1a">'
            f"<title>{escape(label)}</title>{escape(short)}</text>"
        )
        x0 = float(label_w)
        for key, series_label in series:
            value = int(row.get(key) or 0)
            if value <= 0:
                continue
            w = plot_w * value / peak
            parts.append(
                f'<rect x="{x0:.1f}" y="{y}" width="{w:.1f}" height="{bar_height}" fill="{PALETTE.get(key, "#666")}">'
                f"<title>{escape(label)} – {escape(series_label)}: {_fmt(value)}</title></rect>"
            )
            x0 += w
        parts.append(
            f'<text x="{x0 + 6:.1f}" y="{y + bar_height * 0.7:.0f}" fill="#1a1a1a">{_fmt(total)}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308  every interpolated text is escaped above


def percent_bars(
    rows: Sequence[dict[str, Any]],
    *,
    key: str,
    title: str,
    desc: str = "",
    target: float | None = None,
    label_key: str = "label",
    width: int = 760,
) -> SafeString:
    """One horizontal bar per row for a percentage (0–100) with an optional target line."""
    uid = next(_ids)
    label_w, right_pad, top, bar_h = 220, 70, 14, 20
    plot_w = width - label_w - right_pad
    height = top + max(1, len(rows)) * (bar_h + 10) + 24
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-labelledby="chart-t{uid} chart-d{uid}" xmlns="http://www.w3.org/2000/svg" '
        f'font-family="Noto Sans, DejaVu Sans, Arial, sans-serif" font-size="13">',
        f'<title id="chart-t{uid}">{escape(title)}</title>',
        f'<desc id="chart-d{uid}">{escape(desc or title)}</desc>',
        '<rect width="100%" height="100%" fill="#fff"/>',
    ]
    for i, row in enumerate(rows):
        y = top + i * (bar_h + 10)
        label = str(row.get(label_key) or "")
        short = label if len(label) <= 30 else label[:29] + "…"
        value = row.get(key)
        parts.append(
            f'<text x="{label_w - 8}" y="{y + bar_h * 0.75:.0f}" text-anchor="end" fill="#1a1a1a">'
            f"<title>{escape(label)}</title>{escape(short)}</text>"
        )
        if value is None:
            parts.append(f'<text x="{label_w}" y="{y + bar_h * 0.75:.0f}" fill="#555">–</text>')
            continue
        w = plot_w * max(0.0, min(100.0, float(value))) / 100
        ok = target is None or float(value) >= target
        colour = "#1b6e3a" if ok else "#b3261e"
        parts.append(
            f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{colour}">'
            f"<title>{escape(label)}: {_pct(value)}</title></rect>"
        )
        parts.append(
            f'<text x="{label_w + w + 6:.1f}" y="{y + bar_h * 0.75:.0f}" fill="#1a1a1a">{_pct(value)}</text>'
        )
    if target is not None:
        tx = label_w + plot_w * target / 100
        parts.append(
            f'<line x1="{tx:.1f}" y1="{top - 6}" x2="{tx:.1f}" y2="{height - 18}" stroke="#1a1a1a" stroke-dasharray="4 3"/>'
            f'<text x="{tx:.1f}" y="{height - 4}" text-anchor="middle" fill="#1a1a1a">Mục tiêu {target:g}%</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308  every interpolated text is escaped above
