"""Server-side SVG charts: accessible (<title>, <desc>, a data table beside them), no JS, no CDN."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from html import escape

from django.utils.safestring import SafeString, mark_safe

_ids = itertools.count(1)  # unique title/desc ids when several charts share a page


def bar_chart(
    *,
    title: str,
    labels: Sequence[str],
    values: Sequence[float | None],
    unit: str = "%",
    target: float | None = None,
    max_value: float | None = None,
    width: int = 640,
    bar_height: int = 22,
) -> SafeString:
    """Horizontal bars, one per label, with an optional target line (e.g. 99 % on time)."""
    label_w, pad = 220, 8
    top = 28
    height = top + len(labels) * (bar_height + pad) + 24
    peak = max_value or max([v for v in values if v is not None] + [target or 0, 1])
    plot_w = width - label_w - 60
    uid = next(_ids)
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" '
        f'xmlns="http://www.w3.org/2000/svg" aria-labelledby="ct{uid} cd{uid}">',
        f'<title id="ct{uid}">{escape(title)}</title>',
        f'<desc id="cd{uid}">{escape(_describe(labels, values, unit))}</desc>',
        f'<text x="0" y="16" font-size="14" font-weight="bold">{escape(title)}</text>',
    ]
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = top + i * (bar_height + pad)
        parts.append(
            f'<text x="{label_w - 6}" y="{y + bar_height * 0.7:.0f}" font-size="12" text-anchor="end">'
            f"{escape(_short(label))}</text>"
        )
        if value is None:
            parts.append(
                f'<text x="{label_w + 4}" y="{y + bar_height * 0.7:.0f}" font-size="12">–</text>'
            )
            continue
        w = max(1.0, plot_w * value / peak)
        colour = "#1b6e3a" if target is None or value >= target else "#b3261e"
        parts.append(
            f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_height}" fill="{colour}"/>'
        )
        parts.append(
            f'<text x="{label_w + w + 4:.1f}" y="{y + bar_height * 0.7:.0f}" font-size="12">'
            f"{_fmt(value)}{escape(unit)}</text>"
        )
    if target is not None:
        x = label_w + plot_w * target / peak
        parts.append(
            f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{height - 20}" stroke="#f2a900" '
            f'stroke-width="2" stroke-dasharray="4 3"/>'
        )
        parts.append(
            f'<text x="{x:.1f}" y="{height - 6}" font-size="11" text-anchor="middle">'
            f"Mục tiêu {_fmt(target)}{escape(unit)}</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text part is escaped above


def line_chart(
    *,
    title: str,
    labels: Sequence[str],
    series: dict[str, Sequence[float | None]],
    unit: str = "%",
    target: float | None = None,
    width: int = 640,
    height: int = 240,
) -> SafeString:
    """Trend lines over periods (months), one per series, with an optional target line."""
    left, right, top, bottom = 44, 16, 28, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    all_values = [v for s in series.values() for v in s if v is not None]
    lo = min(all_values + ([target] if target is not None else []) + [0])
    hi = max(all_values + ([target] if target is not None else []) + [1])
    span = (hi - lo) or 1
    n = max(len(labels) - 1, 1)
    colours = ["#0b4a8b", "#1b6e3a", "#8a5a00", "#6a1b9a"]

    def xy(i: int, v: float) -> tuple[float, float]:
        return left + plot_w * i / n, top + plot_h * (1 - (v - lo) / span)

    desc = "; ".join(f"{name}: {_describe(labels, vals, unit)}" for name, vals in series.items())
    uid = next(_ids)
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" '
        f'xmlns="http://www.w3.org/2000/svg" aria-labelledby="ct{uid} cd{uid}">',
        f'<title id="ct{uid}">{escape(title)}</title><desc id="cd{uid}">{escape(desc)}</desc>',
        f'<text x="0" y="16" font-size="14" font-weight="bold">{escape(title)}</text>',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" stroke="#888"/>',
        f'<text x="{left - 4}" y="{top + 4}" font-size="11" text-anchor="end">{_fmt(hi)}</text>',
        f'<text x="{left - 4}" y="{top + plot_h}" font-size="11" text-anchor="end">{_fmt(lo)}</text>',
    ]
    for i, label in enumerate(labels):
        x, _ = xy(i, lo)
        parts.append(
            f'<text x="{x:.1f}" y="{height - bottom + 16}" font-size="11" text-anchor="middle">{escape(label)}</text>'
        )
    if target is not None:
        _, y = xy(0, target)
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#f2a900" '
            f'stroke-dasharray="4 3" stroke-width="2"/>'
            f'<text x="{width - right}" y="{y - 4:.1f}" font-size="11" text-anchor="end">'
            f"Mục tiêu {_fmt(target)}{escape(unit)}</text>"
        )
    for k, (name, values) in enumerate(series.items()):
        colour = colours[k % len(colours)]
        points = [xy(i, v) for i, v in enumerate(values) if v is not None]
        if points:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            parts.append(
                f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{path}"/>'
            )
            parts.extend(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>' for x, y in points
            )
        parts.append(
            f'<text x="{left + 8 + k * 180}" y="{height - 4}" font-size="12" fill="{colour}">■ {escape(name)}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text part is escaped above


def _fmt(value: float) -> str:
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")  # Vietnamese decimal comma


def _short(label: str, limit: int = 34) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _describe(labels: Sequence[str], values: Sequence[float | None], unit: str) -> str:
    return ", ".join(
        f"{label}: {'không có dữ liệu' if v is None else _fmt(v) + unit}"
        for label, v in zip(labels, values, strict=True)
    )
