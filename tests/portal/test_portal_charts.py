"""SVG charts are accessible and escape their labels."""

from __future__ import annotations

from motcua.portal.charts import percent_bars, stacked_bars


def test_stacked_bars_have_title_desc_and_escaped_labels():
    svg = stacked_bars(
        [{"label": "Phường <Hà Đông>", "early": 3, "on_time": 5, "late": 1}],
        [("early", "Trước hạn"), ("on_time", "Đúng hạn"), ("late", "Quá hạn")],
        title="Tình hình giải quyết",
        desc="Mô tả",
    )
    assert svg.startswith("<svg") and 'role="img"' in svg
    assert "<title id=" in svg and "<desc id=" in svg
    assert "Phường &lt;Hà Đông&gt;" in svg and "<Hà Đông>" not in svg
    assert svg.count("<rect") == 1 + 3 + 3  # background, 3 legend swatches, 3 segments
    assert "Phường &lt;Hà Đông&gt; – Đúng hạn: 5" in svg


def test_empty_chart_says_so():
    assert "Chưa có số liệu." in stacked_bars([], [("n", "Số")], title="Trống")


def test_percent_bars_mark_target():
    svg = percent_bars(
        [{"label": "A", "p": 98.0}, {"label": "B", "p": None}], key="p", target=99, title="Đúng hạn"
    )
    assert "Mục tiêu 99%" in svg and "98,0%" in svg and "#b3261e" in svg
