"""Server-side SVG charts: accessible text, escaped labels, target colouring."""

from __future__ import annotations

from motcua.web.charts import bar_chart, line_chart


def test_bar_chart_describes_values_in_vietnamese_and_colours_by_target():
    svg = bar_chart(
        title="Đúng hạn",
        labels=["Phường Hà Đông", "Phường Kiến Hưng"],
        values=[99.5, 90.0],
        target=99,
    )
    assert "<title" in svg and "Phường Hà Đông: 99,5%" in svg
    assert svg.count('fill="#1b6e3a"') == 1  # above target
    assert svg.count('fill="#b3261e"') == 1  # below target
    assert "Mục tiêu 99%" in svg


def test_chart_labels_are_escaped():
    svg = bar_chart(title="<script>", labels=["<b>x</b>"], values=[None])
    assert "<script>" not in svg and "&lt;b&gt;" in svg
    assert "không có dữ liệu" in svg


def test_line_chart_skips_missing_points():
    svg = line_chart(
        title="Xu hướng",
        labels=["09/2026", "10/2026", "11/2026"],
        series={"Đúng hạn (%)": [98.0, None, 99.2]},
    )
    assert svg.count("<circle") == 2
