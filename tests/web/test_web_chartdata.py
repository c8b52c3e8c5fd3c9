"""Chart data builders: readable labels, sensible axes, the same figures in the table."""

from __future__ import annotations

from datetime import date

import pytest

from motcua.web import chartdata


@pytest.mark.parametrize(
    ("peak", "expected"),
    [(0, (5, 1)), (3, (3, 1)), (7, (7, 1)), (12, (12, 2)), (99, (100, 20)), (1234, (1400, 200))],
)
def test_count_axes_end_on_nice_numbers(peak, expected):
    top, step = chartdata.nice_axis(peak)
    assert (top, step) == expected
    assert top >= peak and top % step == 0 and top // step <= 7


@pytest.mark.parametrize(
    ("label", "shown"),
    [
        (date(2026, 11, 17), "17/11/2026"),  # a day
        (date(2026, 12, 1), "01/12/2026"),
        ("12/2026", "Th 12/2026"),  # the dashboard's month rows (never cut to "12/202")
        ("Tháng 1/2027", "Th 01/2027"),  # the portal's month rows
        ("2026-09", "Th 09/2026"),
        ("Phường Hà Đông", "Phường Hà Đông"),
    ],
)
def test_month_labels_are_short_and_whole(label, shown):
    assert chartdata.category_label(label) == shown


def test_percent_bars_axis_0_to_100_every_20_with_target_and_table():
    spec = chartdata.percent_bars(
        chart_id="dung-han",
        title="Tỷ lệ đúng hạn",
        rows=[{"label": "Phường Hà Đông", "p": 99.5}, {"label": "Phường Kiến Hưng", "p": 90.0},
              {"label": "Phường Dương Nội", "p": None}],
        key="p",
        series_label="Tỷ lệ đúng hạn",
        target=99,
        group_label="Đơn vị",
    )  # fmt: skip
    chart = spec["chart"]
    assert chart["axis"] == {"min": 0, "max": 100, "step": 20, "title": "Tỷ lệ đúng hạn (%)"}
    assert chart["target"] == {"value": 99, "label": "Mục tiêu 99%"}
    assert chart["datasets"][0]["data"] == [99.5, 90.0, None]
    # Under the target is red, at or above it is not.
    colours = chart["datasets"][0]["colors"]
    assert colours[1] == chartdata.BAD and colours[0] != chartdata.BAD
    assert spec["table"]["head"] == ["Đơn vị", "Tỷ lệ đúng hạn"]
    assert spec["table"]["rows"] == [
        ["Phường Hà Đông", "99,5%"],
        ["Phường Kiến Hưng", "90,0%"],
        ["Phường Dương Nội", "–"],
    ]
    assert "mục tiêu ≥ 99%" in spec["table"]["caption"]


def test_stacked_counts_have_totals_and_vietnamese_thousands():
    spec = chartdata.count_bars(
        chart_id="ket-qua",
        title="Kết quả",
        rows=[{"label": "Hộ tịch", "early": 1200, "on_time": 30, "late": 4}],
        series=[("early", "Trước hạn"), ("on_time", "Đúng hạn"), ("late", "Quá hạn")],
    )
    chart = spec["chart"]
    assert chart["stacked"] and chart["axis"]["max"] == 1400 and chart["axis"]["step"] == 200
    assert spec["table"]["head"][-1] == "Tổng"
    assert spec["table"]["rows"] == [["Hộ tịch", "1.200", "30", "4", "1.234"]]


def test_trend_lines_by_month():
    spec = chartdata.percent_lines(
        chart_id="xu-huong",
        title="Xu hướng",
        rows=[{"label": chartdata.month_label(date(2026, 10, 1)), "a": 98.0, "b": None},
              {"label": chartdata.month_label(date(2026, 11, 1)), "a": 99.24, "b": 87.5}],
        series=[("a", "Đúng hạn"), ("b", "Hài lòng")],
    )  # fmt: skip
    assert spec["chart"]["labels"] == ["Th 10/2026", "Th 11/2026"]
    assert spec["chart"]["type"] == "line" and spec["chart"]["axis"]["step"] == 20
    assert spec["chart"]["datasets"][0]["data"] == [98.0, 99.2]
    assert spec["table"]["rows"] == [["Th 10/2026", "98,0%", "–"], ["Th 11/2026", "99,2%", "87,5%"]]
