"""Issue 8 A6: the Decision 766 scoring rules alone (no database), on a fixture with known points."""

from __future__ import annotations

import pytest

from motcua.reports.index766 import (
    GROUPS,
    INDICATORS,
    UNKNOWN_SPLIT,
    score_index,
    score_indicator,
    threshold_points,
)

BY_KEY = {i.key: i for i in INDICATORS}

# A ward's quarter: 200 dossiers handled, 190 on time; 10 late, 4 rated "dissatisfied", 2 with a
# complaint; 50 complaints of which 40 classified, 45 on time, 50 without a bad outcome.
FIXTURE = {
    "Số hồ sơ tiếp nhận, xử lý trong kỳ": 200,
    "Số hồ sơ đã và đang xử lý trước hạn, đúng hạn, trong hạn": 190,
    "Số hồ sơ giải quyết quá hạn": 10,
    "Số hồ sơ có đánh giá không hài lòng": 4,
    "Số hồ sơ có phản ánh, kiến nghị (Hệ thống phản ánh, kiến nghị)": 2,
    "Số phản ánh, kiến nghị đã phân loại": 40,
    "Số phản ánh, kiến nghị trong kỳ": 50,
    "Số phản ánh, kiến nghị xử lý đúng hạn": 45,
    "Số phản ánh, kiến nghị tiếp nhận, xử lý trong kỳ": 50,
    "Số phản ánh, kiến nghị không bị đánh giá không hài lòng, không quá hạn": 50,
    "Số TTHC công khai đúng hạn trên CSDL quốc gia về TTHC": 9,
    "Số TTHC phải cập nhật, công khai trong kỳ": 10,
    "Số TTHC có dịch vụ công trực tuyến (một phần hoặc toàn trình)": 30,
    "Số TTHC thuộc thẩm quyền": 40,
}


def test_the_five_groups_add_up_to_100_points():
    assert [g.max_points for g in GROUPS] == [18, 20, 22, 22, 18]
    assert sum(g.max_points for g in GROUPS) == 100
    # Where the split inside a group is known it never exceeds the group.
    for g in GROUPS:
        known = [i.max_points for i in INDICATORS if i.group == g.key and i.max_points]
        assert sum(known) <= g.max_points


@pytest.mark.parametrize(
    ("rate", "full_at", "expected"),
    [
        (0.85, 0.8, 10.0),  # at or above the threshold: full points, not 8.5
        (0.80, 0.8, 10.0),
        (0.60, 0.8, 7.5),  # below: rate × max / threshold
        (0.25, 0.5, 5.0),
        (0.0, 0.9, 0.0),
    ],
)
def test_threshold_rule(rate, full_at, expected):
    assert threshold_points(rate, 10, full_at) == expected


def test_known_fixture_scores():
    index = score_index(FIXTURE)
    groups = {g["key"]: g for g in index["groups"]}
    rows = {i["key"]: i for g in index["groups"] for i in g["indicators"]}
    assert rows["2.1"]["rate_pct"] == 95.0 and rows["2.1"]["points"] == 19.0
    # 5.4 = 100% − (10 + 4 + 2) / 200 = 92% ≥ 90% → all 6 points.
    assert rows["5.4"]["rate_pct"] == 92.0 and rows["5.4"]["points"] == 6.0
    assert (rows["5.1"]["points"], rows["5.2"]["points"], rows["5.3"]["points"]) == (4.0, 4.5, 2.0)
    assert groups["satisfaction"]["points"] == 16.5
    assert groups["progress"]["points"] == 19.0
    assert rows["1.2"]["points"] == 3.6  # 90% of 4 points
    # 3.1: 30/40 = 75%, below its 80% threshold; its points inside the group were not found:
    # the rate is shown, the points are named as missing, not invented.
    assert rows["3.1"]["rate_pct"] == 75.0 and rows["3.1"]["points"] is None
    assert UNKNOWN_SPLIT in rows["3.1"]["missing"]
    # Groups with a missing part are not added to the total; the total says over how much.
    assert (
        groups["transparency"]["points"] is None and groups["transparency"]["partial_points"] == 3.6
    )
    assert (index["total"], index["total_max"]) == (35.5, 38)


def test_below_the_satisfaction_threshold_points_are_proportional():
    values = dict(FIXTURE)
    values["Số hồ sơ giải quyết quá hạn"] = 30
    values["Số hồ sơ có đánh giá không hài lòng"] = 6
    values["Số hồ sơ có phản ánh, kiến nghị (Hệ thống phản ánh, kiến nghị)"] = 0
    row = score_indicator(BY_KEY["5.4"], values)
    assert row["rate_pct"] == 82.0 and row["points"] == pytest.approx(5.47)  # 82/90 × 6


def test_each_missing_input_is_named():
    row = score_indicator(BY_KEY["5.4"], {"Số hồ sơ tiếp nhận, xử lý trong kỳ": 100})
    assert row["points"] is None
    assert row["missing"] == [
        "Số hồ sơ giải quyết quá hạn",
        "Số hồ sơ có đánh giá không hài lòng",
        "Số hồ sơ có phản ánh, kiến nghị (Hệ thống phản ánh, kiến nghị)",
    ]
    empty = score_index({})
    assert empty["total"] is None
    for g in empty["groups"]:
        assert g["points"] is None and g["missing"]
