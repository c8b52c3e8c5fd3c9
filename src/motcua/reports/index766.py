"""Scoring rules of the Decision 766/QĐ-TTg index, as plain data and arithmetic (no database).

Decision 766/QĐ-TTg of 23/6/2022 (Prime Minister) approves the index of service to citizens and
businesses: five groups, 100 points — transparency 18, progress and results 20, digitisation
22, online services 22, satisfaction 18. Each group is made of indicators; the National Public
Service Portal computes them in real time from synchronised dossiers.

Sources read for these rules (no full text of the decision's annex was available here):
- group maxima: the decision as published by the Nam Định Department of Home Affairs
  (sonoivu.namdinh.gov.vn, "Thủ tướng Chính phủ phê duyệt Bộ chỉ số ...");
- indicator formulas and thresholds: the technical description "Mô tả công thức tính chỉ số
  766" (file "Mô tả công thức tính chỉ số 766.docx", SHA-256 41A27E55…87AF, reproduced in a
  public repository as formula-document.js): indicators 1.1–1.4, 2.1–2.2, 3.1–3.6, 4.1–4.5,
  5.1–5.4 with "Đạt từ X% trở lên sẽ đạt điểm tối đa; dưới X%: tỷ lệ × điểm tối đa / X%";
- points of single indicators: 1.2 = 4 of 18 and 5.4 = 6 of 18 (baocaotaichinh.vn summary
  of the decision); 5.1 = 5, 5.2 = 5, 5.3 = 2 (a provincial monitoring tool's notes, which
  add up with 5.4 to the group's 18); group 2's 20 points all go to indicator 2.1 (summary:
  "đạt tỷ lệ về xử lý hồ sơ đúng hạn thì được tối đa 20 điểm"; indicator 2.2, the average
  processing time, is followed without points and is left out here).
Points of the other indicators inside groups 1, 3 and 4 were not found: they are None here
and named as a missing input, instead of being invented.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

DECISION = "Quyết định 766/QĐ-TTg ngày 23/6/2022"
FORMULA_SOURCE = "Mô tả công thức tính chỉ số 766 (Văn phòng Chính phủ)"


@dataclass(frozen=True)
class Indicator:
    """One indicator: its rate is numerator / denominator; points follow the threshold rule."""

    key: str  # "2.1"
    group: str  # "progress"
    name: str  # Vietnamese name of the indicator
    max_points: float | None  # None: the split inside the group was not found
    full_at: float | None  # rate at which the full points are reached (None: no points)
    numerator: str  # name of the input counted above the line
    denominator: str  # name of the input counted below the line
    source: str  # where the formula and threshold come from
    note: str = ""
    complement: tuple[str, ...] = field(default_factory=tuple)  # 5.4: 100% − sum of rates


@dataclass(frozen=True)
class Group:
    key: str
    name: str
    max_points: int


GROUPS: tuple[Group, ...] = (
    Group("transparency", "Công khai, minh bạch", 18),
    Group("progress", "Tiến độ, kết quả giải quyết", 20),
    Group("digitisation", "Số hóa hồ sơ", 22),
    Group("online", "Cung cấp dịch vụ trực tuyến", 22),
    Group("satisfaction", "Mức độ hài lòng", 18),
)

_F = f"{FORMULA_SOURCE}, chỉ số"

INDICATORS: tuple[Indicator, ...] = (
    # 1. Transparency (18).
    Indicator(
        "1.1",
        "transparency",
        "Tỷ lệ thủ tục hành chính công bố đúng hạn",
        None,
        1.0,
        "Số TTHC công bố đúng hạn",
        "Số TTHC công bố trong kỳ",
        f"{_F} 1.1",
    ),
    Indicator(
        "1.2",
        "transparency",
        "Tỷ lệ thủ tục hành chính được cập nhật, công khai đúng hạn",
        4,
        1.0,
        "Số TTHC công khai đúng hạn trên CSDL quốc gia về TTHC",
        "Số TTHC phải cập nhật, công khai trong kỳ",
        f"{_F} 1.2; 4/18 điểm theo {DECISION}",
    ),
    Indicator(
        "1.3",
        "transparency",
        "Tỷ lệ TTHC công khai đủ các bộ phận tạo thành",
        None,
        1.0,
        "Số TTHC công khai đủ bộ phận tạo thành",
        "Số TTHC đang công khai",
        f"{_F} 1.3 (khoản 2 Điều 8 Nghị định 63/2010/NĐ-CP)",
    ),
    Indicator(
        "1.4",
        "transparency",
        "Tỷ lệ hồ sơ đồng bộ lên Cổng Dịch vụ công quốc gia",
        None,
        1.0,
        "Số hồ sơ đã đồng bộ lên Cổng Dịch vụ công quốc gia",
        "Số hồ sơ tiếp nhận trong kỳ",
        f"{_F} 1.4",
    ),
    # 2. Progress and results (20).
    Indicator(
        "2.1",
        "progress",
        "Tỷ lệ hồ sơ xử lý trước hạn, đúng hạn",
        20,
        1.0,
        "Số hồ sơ đã và đang xử lý trước hạn, đúng hạn, trong hạn",
        "Số hồ sơ tiếp nhận, xử lý trong kỳ",
        f"{_F} 2.1; 20/20 điểm theo {DECISION}",
        note=(
            "Hồ sơ yêu cầu bổ sung hơn 01 lần tính quá hạn; hồ sơ đang chờ bổ sung lấy thời "
            "điểm yêu cầu bổ sung làm thời điểm kết thúc. Mô tả công thức không nêu ngưỡng: "
            "điểm = tỷ lệ × 20."
        ),
    ),
    # 3. Online services (22).
    Indicator(
        "3.1",
        "online",
        "Tỷ lệ TTHC cung cấp dịch vụ công trực tuyến",
        None,
        0.8,
        "Số TTHC có dịch vụ công trực tuyến (một phần hoặc toàn trình)",
        "Số TTHC thuộc thẩm quyền",
        f"{_F} 3.1 (đạt từ 80% được điểm tối đa)",
    ),
    Indicator(
        "3.3",
        "online",
        "Tỷ lệ hồ sơ nộp trực tuyến",
        None,
        0.5,
        "Số hồ sơ tiếp nhận trực tuyến (có kết quả điện tử nếu TTHC trả kết quả giấy)",
        "Số hồ sơ tiếp nhận trong kỳ",
        f"{_F} 3.3 (đạt từ 50% được điểm tối đa)",
    ),
    Indicator(
        "3.5",
        "online",
        "Tỷ lệ TTHC có nghĩa vụ tài chính được tích hợp thanh toán trực tuyến",
        None,
        0.8,
        "Số TTHC có hồ sơ đồng bộ dữ liệu phí, lệ phí thanh toán trực tuyến",
        "Số TTHC có phí, lệ phí",
        f"{_F} 3.5 (đạt từ 80% được điểm tối đa)",
    ),
    Indicator(
        "3.6",
        "online",
        "Tỷ lệ hồ sơ thanh toán trực tuyến",
        None,
        1.0,
        "Số hồ sơ thanh toán trực tuyến",
        "Số hồ sơ của TTHC có phí, lệ phí",
        f"{_F} 3.6",
    ),
    # 4. Digitisation (22).
    Indicator(
        "4.1",
        "digitisation",
        "Tỷ lệ hồ sơ có cấp kết quả giải quyết TTHC điện tử",
        None,
        1.0,
        "Số hồ sơ có tệp kết quả điện tử",
        "Số hồ sơ của TTHC trả kết quả bằng giấy tờ",
        f"{_F} 4.1",
    ),
    Indicator(
        "4.2",
        "digitisation",
        "Tỷ lệ hồ sơ thực hiện số hóa hồ sơ",
        None,
        0.8,
        "Số hồ sơ có tệp đính kèm thành phần hồ sơ và tệp kết quả điện tử",
        "Số hồ sơ thuộc thẩm quyền",
        f"{_F} 4.2 (đạt từ 80% được điểm tối đa)",
    ),
    Indicator(
        "4.3",
        "digitisation",
        "Tỷ lệ hồ sơ khai thác, sử dụng lại thông tin, dữ liệu số hóa",
        None,
        0.8,
        "Số hồ sơ có thành phần đánh dấu tái sử dụng dữ liệu số hóa",
        "Số hồ sơ thuộc thẩm quyền",
        f"{_F} 4.3 (đạt từ 80% được điểm tối đa)",
    ),
    # 5. Satisfaction (18).
    Indicator(
        "5.1",
        "satisfaction",
        "Tỷ lệ phản ánh, kiến nghị theo phân loại",
        5,
        1.0,
        "Số phản ánh, kiến nghị đã phân loại",
        "Số phản ánh, kiến nghị trong kỳ",
        f"{_F} 5.1",
    ),
    Indicator(
        "5.2",
        "satisfaction",
        "Tiến độ xử lý phản ánh, kiến nghị",
        5,
        1.0,
        "Số phản ánh, kiến nghị xử lý đúng hạn",
        "Số phản ánh, kiến nghị tiếp nhận, xử lý trong kỳ",
        f"{_F} 5.2",
    ),
    Indicator(
        "5.3",
        "satisfaction",
        "Tỷ lệ hài lòng trong xử lý phản ánh, kiến nghị",
        2,
        1.0,
        "Số phản ánh, kiến nghị không bị đánh giá không hài lòng, không quá hạn",
        "Số phản ánh, kiến nghị trong kỳ",
        f"{_F} 5.3",
    ),
    Indicator(
        "5.4",
        "satisfaction",
        "Tỷ lệ hài lòng trong tiếp nhận, giải quyết TTHC",
        6,
        0.9,
        "",
        "Số hồ sơ tiếp nhận, xử lý trong kỳ",
        f"{_F} 5.4 (đạt từ 90% được điểm tối đa); 6/18 điểm theo {DECISION}",
        note="= 100% − (tỷ lệ hồ sơ quá hạn + tỷ lệ hồ sơ có phản ánh, kiến nghị hoặc không hài lòng).",
        complement=(
            "Số hồ sơ giải quyết quá hạn",
            "Số hồ sơ có đánh giá không hài lòng",
            "Số hồ sơ có phản ánh, kiến nghị (Hệ thống phản ánh, kiến nghị)",
        ),
    ),
)

UNKNOWN_SPLIT = "Điểm tối đa của chỉ số này trong nhóm (chưa tìm được văn bản phân bổ)"


def threshold_points(rate: float, max_points: float, full_at: float) -> float:
    """Full points from `full_at` up; below it, proportionally: rate × max / full_at.

    ("Đạt từ 80% trở lên sẽ đạt điểm tối đa. Dưới 80% tính theo công thức: tỷ lệ × điểm tối
    đa / 80%", the published description of indicators 3.1, 3.3, 3.5, 4.2, 4.3, 5.4.)
    """
    if full_at <= 0:
        raise ValueError("full_at must be positive")
    rate = max(0.0, min(1.0, rate))
    if rate >= full_at:
        return float(max_points)
    return round(max_points * rate / full_at, 2)


def _rate(ind: Indicator, values: Mapping[str, float | None]) -> float | None:
    if ind.complement:
        whole = values.get(ind.denominator)
        parts = [values.get(name) for name in ind.complement]
        if not whole or any(p is None for p in parts):
            return None
        return max(0.0, 1.0 - sum(p or 0 for p in parts) / whole)
    top, whole = values.get(ind.numerator), values.get(ind.denominator)
    if top is None or not whole:
        return None
    return min(1.0, top / whole)


def score_indicator(ind: Indicator, values: Mapping[str, float | None]) -> dict[str, Any]:
    """Points of one indicator from named input values (None or absent: the input is missing)."""
    needed = (
        list(ind.complement) + [ind.denominator]
        if ind.complement
        else [
            ind.numerator,
            ind.denominator,
        ]
    )
    used = {name: values[name] for name in needed if values.get(name) is not None}
    missing = [name for name in needed if values.get(name) is None]
    rate = _rate(ind, values) if not missing else None
    if rate is None and not missing and values.get(ind.denominator) == 0:
        missing.append(f"{ind.denominator} (bằng 0 trong kỳ)")
    points: float | None = None
    provisional: float | None = None
    if ind.complement and missing and values.get(ind.denominator):
        # Counting a missing part as zero gives the most this indicator could score: shown as
        # "tạm tính", never added to the group.
        known = {k: v for k, v in values.items() if v is not None}
        rate_upper = _rate(ind, {**{n: 0 for n in ind.complement}, **known})
        if rate_upper is not None and ind.max_points is not None and ind.full_at is not None:
            provisional = threshold_points(rate_upper, ind.max_points, ind.full_at)
    if ind.max_points is None and ind.full_at is not None:
        missing.append(UNKNOWN_SPLIT)
    elif rate is not None and ind.full_at is not None and ind.max_points is not None:
        points = threshold_points(rate, ind.max_points, ind.full_at)
    return {
        "key": ind.key,
        "group": ind.group,
        "name": ind.name,
        "max": ind.max_points,
        "full_at_pct": round(ind.full_at * 100) if ind.full_at else None,
        "rate_pct": round(rate * 100, 2) if rate is not None else None,
        "points": points,
        "provisional_points": provisional,
        "inputs": used,
        "missing": missing,
        "source": ind.source,
        "note": ind.note,
    }


def score_index(values: Mapping[str, float | None]) -> dict[str, Any]:
    """Every indicator and group from named inputs; a group scores only when all its parts do."""
    rows = [score_indicator(ind, values) for ind in INDICATORS]
    groups = []
    for g in GROUPS:
        parts = [r for r in rows if r["group"] == g.key]
        computed = [r for r in parts if r["points"] is not None]
        complete = len(computed) == len(parts)
        groups.append(
            {
                "key": g.key,
                "name": g.name,
                "max": g.max_points,
                "points": round(sum(r["points"] for r in parts), 2) if complete else None,
                "partial_points": round(sum(r["points"] for r in computed), 2),
                "partial_max": sum(r["max"] or 0 for r in computed),
                "indicators": parts,
                "missing": [f"{r['key']}: {m}" for r in parts for m in r["missing"]],
            }
        )
    done = [g for g in groups if g["points"] is not None]
    return {
        "groups": groups,
        "total": round(sum(g["points"] for g in done), 2) if done else None,
        "total_max": sum(g["max"] for g in done),
        "decision": DECISION,
        "source": FORMULA_SOURCE,
    }
