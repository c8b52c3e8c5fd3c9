"""Writes of the catalogue: versions are created and published, never edited once published.

A dossier keeps the ProcedureVersion it was received under, so a change of content always
becomes a new version; old versions stay exactly as they were.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, time
from typing import Any

from django.db import transaction
from django.db.models import Max

from motcua.catalog.models import Channel, Field, Level, Procedure, ProcedureVersion, TimeUnit
from motcua.core.errors import Conflict, ValidationFailed
from motcua.core.services import audit_record

# National codes: "1.001193", "2.000815", local variants "1.000948.H38".
CODE_RE = re.compile(r"^\d\.\d{6}(\.[0-9A-Za-z]+)*$")
FIELD_CODE_RE = re.compile(r"^[-a-z0-9_]+$")
CUTOFF_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")

CHANNEL_ORDER = [c.value for c in Channel]
LEVELS = [lv.value for lv in Level]
TIME_UNITS = [u.value for u in TimeUnit]

# The JSON shape of one procedure (import and export), in export order.
EXPORT_KEYS = [
    "code",
    "version",
    "name",
    "field",
    "level",
    "time_unit",
    "time_value",
    "cutoff",
    "time_cases",
    "fees",
    "papers",
    "result_paper",
    "legal_basis",
    "channels",
    "holiday_duty",
    "forms",
    "conditions",
    "steps",
    "agency",
    "consultations",
    "decision",
    "valid_from",
    "note",
]
# "version" is informational in an export and ignored on import.
ALLOWED_KEYS = set(EXPORT_KEYS)
TEXT_LIMITS = {"name": 500, "result_paper": 500, "agency": 300, "decision": 300, "note": 500}


@dataclass
class ImportResult:
    """What an import did, as lists of procedure codes."""

    created: list[str] = field(default_factory=list)
    new_versions: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return len(self.created) + len(self.new_versions)

    def summary(self) -> str:
        return (
            f"Tạo mới {len(self.created)} thủ tục, {len(self.new_versions)} phiên bản mới, "
            f"{len(self.unchanged)} không thay đổi."
        )


# --------------------------------------------------------------------------- validation


class _Errors:
    def __init__(self, where: str) -> None:
        self.where = where
        self.items: list[dict[str, str]] = []

    def add(self, key: str, message: str) -> None:
        prefix = f"{self.where}: " if self.where else ""
        self.items.append({"field": key, "message": prefix + message})


def _text(value: Any) -> str:
    return re.sub(r"[ \t]+", " ", unicodedata.normalize("NFC", str(value))).strip()


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


FEE_KEYS = {
    "name",
    "kind",
    "amount",
    "unit",
    "channels",
    "tiers",
    "cap",
    "basis",
    "exemptions",
    "note",
    "collect",
}
EXEMPTION_KEYS = {"code", "group", "basis", "proof", "percent"}
TIME_CASE_KEYS = {"code", "label", "time_unit", "time_value", "basis"}


def _money_ok(value: Any) -> bool:
    return _is_int(value) and value >= 0


def _clean_fees(fees: Any, errors: _Errors) -> list[dict[str, Any]]:
    """Fee lines (see motcua.catalog.fees for the shape); keys that are absent stay absent."""
    from motcua.catalog.fees import KINDS, UNITS

    out: list[dict[str, Any]] = []
    if not isinstance(fees, list):
        errors.add("fees", "phí, lệ phí phải là một danh sách.")
        return out
    for i, fee in enumerate(fees, 1):
        if not isinstance(fee, dict) or not _text(fee.get("name") or ""):
            errors.add("fees", f"khoản phí thứ {i} thiếu tên.")
            continue
        name = _text(fee["name"])
        extra = sorted(set(fee) - FEE_KEYS)
        if extra:
            errors.add(
                "fees", f"khoản phí thứ {i} có trường không được hỗ trợ: {', '.join(extra)}."
            )
        amount = fee.get("amount", 0)
        if not _is_int(amount):
            errors.add("fees", f"số tiền của khoản phí «{name}» phải là số nguyên (đồng).")
            continue
        if amount < 0:
            errors.add("fees", f"số tiền của khoản phí «{name}» không được âm.")
            continue
        line: dict[str, Any] = {"name": name}
        if "kind" in fee:
            if fee["kind"] not in KINDS:
                errors.add(
                    "fees", f"loại của khoản «{name}» phải là «phi» (phí) hoặc «le_phi» (lệ phí)."
                )
                continue
            line["kind"] = fee["kind"]
        line["amount"] = amount
        unit = fee.get("unit", "case")
        if unit not in UNITS:
            errors.add("fees", f"đơn vị tính của khoản «{name}» phải là case, copy hoặc page.")
            continue
        if "unit" in fee:
            line["unit"] = unit
        if "collect" in fee:
            if fee["collect"] not in ("reception", "result"):
                errors.add(
                    "fees",
                    f"thời điểm thu của khoản «{name}» phải là «reception» (khi tiếp nhận) "
                    "hoặc «result» (khi trả kết quả).",
                )
                continue
            line["collect"] = fee["collect"]
        if "channels" in fee:
            channels = fee["channels"]
            if not isinstance(channels, dict) or not all(
                c in CHANNEL_ORDER and _money_ok(v) for c, v in channels.items()
            ):
                errors.add(
                    "fees",
                    f"mức thu theo hình thức nộp của khoản «{name}» phải có dạng "
                    '{"online": 10000} (direct, online, post, home; số nguyên không âm).',
                )
                continue
            line["channels"] = {c: channels[c] for c in CHANNEL_ORDER if c in channels}
        if "tiers" in fee:
            tiers = fee["tiers"]
            ok = (
                unit == "page"
                and isinstance(tiers, list)
                and tiers
                and all(
                    isinstance(t, dict)
                    and set(t) == {"from", "amount"}
                    and _is_int(t["from"])
                    and t["from"] >= 1
                    and _money_ok(t["amount"])
                    for t in tiers
                )
            )
            starts = [t["from"] for t in tiers] if ok else []
            if not ok or starts[0] != 1 or starts != sorted(set(starts)):
                errors.add(
                    "fees",
                    f"bậc giá theo trang của khoản «{name}» phải là danh sách "
                    '[{"from": 1, "amount": 2000}, {"from": 3, "amount": 1000}] tăng dần, bắt đầu từ trang 1 '
                    "(chỉ dùng với đơn vị tính page).",
                )
                continue
            line["tiers"] = [{"from": t["from"], "amount": t["amount"]} for t in tiers]
        if "cap" in fee and fee["cap"] is not None:
            if not _money_ok(fee["cap"]):
                errors.add("fees", f"mức tối đa của khoản «{name}» phải là số nguyên không âm.")
                continue
            line["cap"] = fee["cap"]
        for key in ("basis", "note"):
            if fee.get(key):
                line[key] = _text(fee[key])
        if "exemptions" in fee:
            exemptions = fee["exemptions"]
            clean_ex = []
            bad = not isinstance(exemptions, list)
            for ex in exemptions if not bad else []:
                if (
                    not isinstance(ex, dict)
                    or set(ex) - EXEMPTION_KEYS
                    or not FIELD_CODE_RE.match(str(ex.get("code") or ""))
                    or not _text(ex.get("group") or "")
                    or not _text(ex.get("basis") or "")
                    or (
                        "percent" in ex
                        and not (_is_int(ex["percent"]) and 0 < ex["percent"] <= 100)
                    )
                ):
                    bad = True
                    break
                item = {
                    "code": ex["code"],
                    "group": _text(ex["group"]),
                    "basis": _text(ex["basis"]),
                }
                if ex.get("proof"):
                    item["proof"] = _text(ex["proof"])
                if "percent" in ex and ex["percent"] != 100:
                    item["percent"] = ex["percent"]
                clean_ex.append(item)
            if bad:
                errors.add(
                    "fees",
                    f"đối tượng miễn, giảm của khoản «{name}» phải có mã (chữ thường không dấu), "
                    "nhóm đối tượng và căn cứ pháp lý (điều, khoản của văn bản).",
                )
                continue
            line["exemptions"] = clean_ex
        out.append(line)
    return out


def _clean_time_cases(cases: Any, out: dict[str, Any], errors: _Errors) -> list[dict[str, Any]]:
    """Cases of a legally variable time; the first must be the version's own time."""
    clean: list[dict[str, Any]] = []
    if cases in (None, []):
        return clean
    if not isinstance(cases, list):
        errors.add("time_cases", "các trường hợp thời hạn phải là một danh sách.")
        return clean
    seen: set[str] = set()
    for i, case in enumerate(cases, 1):
        if (
            not isinstance(case, dict)
            or set(case) - TIME_CASE_KEYS
            or not FIELD_CODE_RE.match(str(case.get("code") or ""))
            or not _text(case.get("label") or "")
            or case.get("time_unit") not in TIME_UNITS
            or not _is_int(case.get("time_value", 0))
            or case.get("time_value", 0) < 0
            or (case.get("time_unit") == TimeUnit.SAME_DAY and case.get("time_value", 0) != 0)
            or (case.get("time_unit") != TimeUnit.SAME_DAY and case.get("time_value", 0) < 1)
        ):
            errors.add(
                "time_cases",
                f"trường hợp thời hạn thứ {i} cần mã (chữ thường không dấu), tên, đơn vị thời hạn "
                "và thời hạn hợp lệ.",
            )
            continue
        if case["code"] in seen:
            errors.add("time_cases", f"mã trường hợp thời hạn «{case['code']}» bị lặp.")
            continue
        seen.add(case["code"])
        item = {
            "code": case["code"],
            "label": _text(case["label"]),
            "time_unit": case["time_unit"],
            "time_value": case.get("time_value", 0),
        }
        if case.get("basis"):
            item["basis"] = _text(case["basis"])
        clean.append(item)
    if clean and (clean[0]["time_unit"], clean[0]["time_value"]) != (
        out.get("time_unit"),
        out.get("time_value"),
    ):
        errors.add(
            "time_cases",
            "trường hợp thời hạn đầu tiên phải trùng thời hạn giải quyết chung của thủ tục.",
        )
    return clean


CONSULTATION_KEYS = {"agency", "name", "question", "due_days", "step"}
CONSULTATION_STEPS = ("accept", "assign")


def _clean_consultations(items: Any, errors: _Errors) -> list[dict[str, Any]]:
    """Agencies a joint procedure consults ("liên thông"): [{"agency": electronic code,
    "name", "question", "due_days": working days (1–30) counted within the dossier's deadline,
    "step": "accept" (on acceptance) or "assign" (when handed to processing, the default)}]."""
    clean: list[dict[str, Any]] = []
    if items in (None, []):
        return clean
    if not isinstance(items, list):
        errors.add("consultations", "các cơ quan phối hợp phải là một danh sách.")
        return clean
    seen: set[str] = set()
    for i, item in enumerate(items, 1):
        step = item.get("step", "assign") if isinstance(item, dict) else None
        if (
            not isinstance(item, dict)
            or set(item) - CONSULTATION_KEYS
            or not re.fullmatch(r"[A-Za-z0-9.\-_]{1,60}", str(item.get("agency") or ""))
            or not _text(item.get("name") or "")
            or not _text(item.get("question") or "")
            or not _is_int(item.get("due_days"))
            or not 1 <= item["due_days"] <= 30
            or step not in CONSULTATION_STEPS
        ):
            errors.add(
                "consultations",
                f"cơ quan phối hợp thứ {i} cần mã định danh, tên, nội dung đề nghị, thời hạn "
                "trả lời 1–30 ngày làm việc và bước gửi (accept hoặc assign).",
            )
            continue
        if item["agency"] in seen:
            errors.add("consultations", f"cơ quan phối hợp «{item['agency']}» bị lặp.")
            continue
        seen.add(item["agency"])
        clean.append(
            {
                "agency": item["agency"],
                "name": _text(item["name"])[:200],
                "question": _text(item["question"])[:1000],
                "due_days": item["due_days"],
                "step": step,
            }
        )
    return clean


def _clean(data: Any, *, code: str | None, errors: _Errors) -> dict[str, Any]:
    """Normalise one procedure dict; problems are appended to `errors` (Vietnamese messages)."""
    if not isinstance(data, dict):
        errors.add("", "mỗi thủ tục phải là một đối tượng JSON.")
        return {}
    out: dict[str, Any] = {}
    unknown = sorted(set(data) - ALLOWED_KEYS)
    if unknown:
        errors.add(unknown[0], f"trường không được hỗ trợ: {', '.join(unknown)}.")

    raw_code = data.get("code", code)
    if code is not None and raw_code not in (None, code):
        errors.add("code", f"mã thủ tục trong dữ liệu ({raw_code}) khác mã {code}.")
    out["code"] = _text(raw_code or "")
    if not out["code"]:
        errors.add("code", "thiếu mã thủ tục.")
    elif not CODE_RE.match(out["code"]):
        errors.add(
            "code",
            f"mã thủ tục «{out['code']}» không đúng định dạng (ví dụ 1.001193 hoặc 1.000948.H38).",
        )

    name = _text(data.get("name") or "")
    if not name:
        errors.add("name", "thiếu tên thủ tục.")
    out["name"] = name

    fld = data.get("field")
    if isinstance(fld, str):
        fld = {"code": fld}
    if not isinstance(fld, dict) or not str(fld.get("code") or "").strip():
        errors.add("field", 'thiếu lĩnh vực (cần {"code", "name"}).')
        out["field"] = {"code": "", "name": ""}
    else:
        fcode = str(fld["code"]).strip()
        if not FIELD_CODE_RE.match(fcode) or len(fcode) > 40:
            errors.add(
                "field", f"mã lĩnh vực «{fcode}» chỉ gồm chữ thường không dấu, số và gạch nối."
            )
        fname = _text(fld.get("name") or "")
        if len(fname) > 200:
            errors.add("field", "tên lĩnh vực dài quá 200 ký tự.")
        out["field"] = {"code": fcode, "name": fname}

    level = data.get("level")
    if level not in LEVELS:
        errors.add(
            "level", f"cấp thực hiện «{level}» không hợp lệ (chọn một trong: {', '.join(LEVELS)})."
        )
    out["level"] = level

    unit = data.get("time_unit")
    if unit not in TIME_UNITS:
        errors.add(
            "time_unit",
            f"đơn vị thời hạn «{unit}» không hợp lệ (chọn một trong: {', '.join(TIME_UNITS)}).",
        )
    out["time_unit"] = unit
    value = data.get("time_value", 0)
    if not _is_int(value) or value < 0:
        errors.add(
            "time_value", f"thời hạn giải quyết phải là số nguyên không âm (nhận được «{value}»)."
        )
        value = 0
    elif unit == TimeUnit.SAME_DAY and value != 0:
        errors.add("time_value", "thủ tục giải quyết trong ngày phải có thời hạn bằng 0.")
    elif unit in TIME_UNITS and unit != TimeUnit.SAME_DAY and value < 1:
        errors.add("time_value", "thời hạn giải quyết phải lớn hơn 0.")
    out["time_value"] = value

    cutoff = data.get("cutoff")
    if cutoff in (None, ""):
        out["cutoff"] = None
    elif not isinstance(cutoff, str) or not CUTOFF_RE.match(cutoff.strip()):
        errors.add("cutoff", f"giờ chốt nhận «{cutoff}» phải có dạng HH:MM (ví dụ 15:00).")
        out["cutoff"] = None
    else:
        out["cutoff"] = cutoff.strip()

    out["fees"] = _clean_fees(data.get("fees", []), errors)
    out["time_cases"] = _clean_time_cases(data.get("time_cases", []), out, errors)
    consultations = _clean_consultations(data.get("consultations", []), errors)
    if consultations:  # only joint procedures carry the key (older files compare equal)
        out["consultations"] = consultations

    out["papers"] = []
    papers = data.get("papers", [])
    if not isinstance(papers, list):
        errors.add("papers", "thành phần hồ sơ phải là một danh sách.")
        papers = []
    for i, paper in enumerate(papers, 1):
        if not isinstance(paper, dict) or not _text(paper.get("name") or ""):
            errors.add("papers", f"giấy tờ thứ {i} thiếu tên.")
            continue
        extra = sorted(set(paper) - {"name", "original", "copy", "required"})
        if extra:
            errors.add(
                "papers", f"giấy tờ thứ {i} có trường không được hỗ trợ: {', '.join(extra)}."
            )
        original, copy = paper.get("original", 1), paper.get("copy", 0)
        if not _is_int(original) or not _is_int(copy) or original < 0 or copy < 0:
            errors.add(
                "papers",
                f"số bản chính, bản sao của giấy tờ «{paper['name']}» phải là số nguyên không âm.",
            )
            continue
        required = paper.get("required", True)
        if not isinstance(required, bool):
            errors.add(
                "papers", f"«required» của giấy tờ «{paper['name']}» phải là true hoặc false."
            )
            continue
        out["papers"].append(
            {"name": _text(paper["name"]), "original": original, "copy": copy, "required": required}
        )

    out["result_paper"] = _text(data.get("result_paper") or "")

    basis = data.get("legal_basis", [])
    if not isinstance(basis, list) or not all(isinstance(b, str) and b.strip() for b in basis):
        errors.add(
            "legal_basis", "căn cứ pháp lý phải là danh sách các văn bản (chuỗi không rỗng)."
        )
        basis = []
    out["legal_basis"] = [_text(b) for b in basis]

    channels = data.get("channels", [])
    if not isinstance(channels, list) or not channels:
        errors.add("channels", "cần ít nhất một cách thức thực hiện (direct, online, post, home).")
        channels = []
    bad = [c for c in channels if c not in CHANNEL_ORDER]
    if bad:
        errors.add(
            "channels",
            f"cách thức thực hiện không hợp lệ: {', '.join(map(str, bad))} "
            f"(chọn trong: {', '.join(CHANNEL_ORDER)}).",
        )
    # Canonical order so that a re-import of the same content compares equal.
    out["channels"] = [c for c in CHANNEL_ORDER if c in channels]

    duty = data.get("holiday_duty", False)
    if not isinstance(duty, bool):
        errors.add("holiday_duty", "«holiday_duty» phải là true hoặc false.")
        duty = False
    out["holiday_duty"] = duty

    forms = data.get("forms", [])
    if not isinstance(forms, list) or not all(isinstance(f, str) and f.strip() for f in forms):
        errors.add("forms", "mẫu đơn, tờ khai phải là danh sách tên mẫu (chuỗi không rỗng).")
        forms = []
    out["forms"] = [_text(f) for f in forms]

    for key in ("conditions", "steps"):
        value = data.get(key) or ""
        if not isinstance(value, str):
            errors.add(key, f"«{key}» phải là văn bản.")
            value = ""
        # Keep line breaks (steps are numbered lines), trim each line.
        out[key] = "\n".join(_text(line) for line in value.strip().splitlines())
    for key in ("agency", "decision", "note"):
        out[key] = _text(data.get(key) or "")
    for key, limit in TEXT_LIMITS.items():
        if len(out[key]) > limit:
            errors.add(key, f"«{key}» dài quá {limit} ký tự.")

    valid_from = data.get("valid_from")
    if valid_from in (None, ""):
        out["valid_from"] = None
    else:
        try:
            out["valid_from"] = date.fromisoformat(str(valid_from)).isoformat()
        except ValueError:
            errors.add("valid_from", f"ngày áp dụng «{valid_from}» phải có dạng YYYY-MM-DD.")
            out["valid_from"] = None
    return out


def _raise(errors: list[dict[str, str]]) -> None:
    first = errors[0]["message"]
    more = f" (và {len(errors) - 1} lỗi khác)" if len(errors) > 1 else ""
    raise ValidationFailed(f"Dữ liệu thủ tục không hợp lệ – {first}{more}", errors=errors)


def procedure_data_clean(data: dict[str, Any], *, code: str | None = None) -> dict[str, Any]:
    """Validate and normalise one procedure's JSON; raises ValidationFailed with Vietnamese messages."""
    where = f"Thủ tục {code or (data.get('code') if isinstance(data, dict) else '') or ''}".strip()
    errors = _Errors(where)
    clean = _clean(data, code=code, errors=errors)
    if errors.items:
        _raise(errors.items)
    return clean


def procedure_version_as_dict(version: ProcedureVersion) -> dict[str, Any]:
    """One version in the import/export JSON shape."""
    return {
        "code": version.procedure.code,
        "version": version.version,
        "name": version.name,
        "field": {"code": version.field.code, "name": version.field.name},
        "level": version.level,
        "time_unit": version.time_unit,
        "time_value": version.time_value,
        "cutoff": version.cutoff.strftime("%H:%M") if version.cutoff else None,
        "time_cases": list(version.time_cases or []),
        "fees": list(version.fees),
        "papers": list(version.papers),
        "result_paper": version.result_paper,
        "legal_basis": list(version.legal_basis),
        "channels": list(version.channels),
        "holiday_duty": version.holiday_duty,
        "forms": list(version.forms),
        "conditions": version.conditions,
        "steps": version.steps,
        "agency": version.agency,
        **({"consultations": list(version.consultations)} if version.consultations else {}),
        "decision": version.decision,
        "valid_from": version.valid_from.isoformat() if version.valid_from else None,
        "note": version.note,
    }


def _content(d: dict[str, Any]) -> dict[str, Any]:
    """What makes two versions the same: everything but the code, the number and the field's name."""
    c = {k: v for k, v in d.items() if k not in ("code", "version")}
    c["field"] = d["field"]["code"]
    return c


# --------------------------------------------------------------------------- writes


def _cutoff(value: str | None) -> time | None:
    if not value:
        return None
    hour, minute = value.split(":")
    return time(int(hour), int(minute))


def _field_ensure(spec: dict[str, str]) -> Field:
    fld = Field.objects.filter(code=spec["code"]).first()
    if fld is None:
        if not spec["name"]:
            raise ValidationFailed(
                f"Lĩnh vực «{spec['code']}» chưa có trong danh mục: cần ghi cả tên lĩnh vực.",
                errors=[{"field": "field", "message": "thiếu tên lĩnh vực mới."}],
            )
        return Field.objects.create(code=spec["code"], name=spec["name"])
    # A field is not versioned: its display name follows the latest data.
    if spec["name"] and spec["name"] != fld.name:
        fld.name = spec["name"]
        fld.save(update_fields=["name"])
    return fld


def _create(*, clean: dict[str, Any], publish: bool, actor: Any) -> ProcedureVersion:
    procedure, _ = Procedure.objects.get_or_create(code=clean["code"])
    # Lock the procedure so that two editors never compute the same next number.
    Procedure.objects.select_for_update().filter(pk=procedure.pk).first()
    number = (procedure.versions.aggregate(m=Max("version"))["m"] or 0) + 1
    version = ProcedureVersion.objects.create(
        procedure=procedure,
        version=number,
        name=clean["name"],
        field=_field_ensure(clean["field"]),
        level=clean["level"],
        time_unit=clean["time_unit"],
        time_value=clean["time_value"],
        cutoff=_cutoff(clean["cutoff"]),
        time_cases=clean["time_cases"],
        consultations=clean.get("consultations", []),
        fees=clean["fees"],
        papers=clean["papers"],
        result_paper=clean["result_paper"],
        legal_basis=clean["legal_basis"],
        channels=clean["channels"],
        holiday_duty=clean["holiday_duty"],
        forms=clean["forms"],
        conditions=clean["conditions"],
        steps=clean["steps"],
        agency=clean["agency"],
        decision=clean["decision"],
        valid_from=date.fromisoformat(clean["valid_from"]) if clean["valid_from"] else None,
        note=clean["note"],
        is_published=False,
    )
    audit_record(
        action="catalog.version_create",
        actor=actor,
        obj=version,
        detail={"code": procedure.code, "version": number},
    )
    if publish:
        _publish(version=version, actor=actor)
    return version


def _publish(*, version: ProcedureVersion, actor: Any) -> None:
    if version.is_published:
        raise Conflict(
            f"Phiên bản {version.version} của thủ tục {version.procedure.code} đã được công bố."
        )
    newer = version.procedure.versions.filter(is_published=True, version__gt=version.version)
    if newer.exists():
        raise Conflict(
            f"Thủ tục {version.procedure.code} đã có phiên bản mới hơn được công bố; "
            "không thể công bố phiên bản cũ."
        )
    version.is_published = True
    version.save(update_fields=["is_published"])
    audit_record(
        action="catalog.version_publish",
        actor=actor,
        obj=version,
        detail={"code": version.procedure.code, "version": version.version},
    )


@transaction.atomic
def procedure_version_create(
    *, code: str, data: dict[str, Any], publish: bool, actor: Any = None
) -> ProcedureVersion:
    """Create the next version (max + 1) of a procedure from its JSON; creates the procedure and field as needed."""
    clean = procedure_data_clean(data, code=code)
    return _create(clean=clean, publish=publish, actor=actor)


@transaction.atomic
def procedure_version_publish(*, version: ProcedureVersion, actor: Any = None) -> ProcedureVersion:
    """Publish a draft version: it becomes the one new dossiers are received under."""
    locked = (
        ProcedureVersion.objects.select_for_update().select_related("procedure").get(pk=version.pk)
    )
    _publish(version=locked, actor=actor)
    version.is_published = True
    return locked


@transaction.atomic
def procedure_version_copy(*, version: ProcedureVersion, actor: Any = None) -> ProcedureVersion:
    """A new draft version with the same content, to be edited and published ("Tạo phiên bản mới")."""
    data = procedure_version_as_dict(version)
    clean = procedure_data_clean(data, code=version.procedure.code)
    return _create(clean=clean, publish=False, actor=actor)


@transaction.atomic
def procedure_version_update(
    *, version: ProcedureVersion, data: dict[str, Any], actor: Any = None
) -> ProcedureVersion:
    """Edit a draft in place; a published version is never edited (make a new version instead)."""
    locked = (
        ProcedureVersion.objects.select_for_update().select_related("procedure").get(pk=version.pk)
    )
    if locked.is_published:
        raise Conflict(
            "Phiên bản đã công bố không được sửa; hãy tạo phiên bản mới rồi công bố.",
            code="version_published",
        )
    clean = procedure_data_clean(data, code=locked.procedure.code)
    locked.name = clean["name"]
    locked.field = _field_ensure(clean["field"])
    locked.level = clean["level"]
    locked.time_unit = clean["time_unit"]
    locked.time_value = clean["time_value"]
    locked.cutoff = _cutoff(clean["cutoff"])
    for key in (
        "fees", "papers", "result_paper", "legal_basis", "channels", "holiday_duty",
        "forms", "conditions", "steps", "agency", "decision", "note", "time_cases",
    ):  # fmt: skip
        setattr(locked, key, clean[key])
    locked.consultations = clean.get("consultations", [])
    locked.valid_from = date.fromisoformat(clean["valid_from"]) if clean["valid_from"] else None
    locked.save()
    audit_record(
        action="catalog.version_update",
        actor=actor,
        obj=locked,
        detail={"code": locked.procedure.code, "version": locked.version},
    )
    return locked


def catalog_parse_json(text: str | bytes) -> list[dict[str, Any]]:
    """Parse an import file's text; a bad file is refused with a Vietnamese message."""
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationFailed(f"Tệp JSON không đọc được: {exc}.")
    if isinstance(data, dict) and isinstance(data.get("procedures"), list):
        data = data["procedures"]
    if not isinstance(data, list):
        raise ValidationFailed("Tệp nhập phải là một danh sách thủ tục (mảng JSON).")
    return data


@transaction.atomic
def catalog_import(
    *, data: list[dict[str, Any]], actor: Any = None, publish: bool = True
) -> ImportResult:
    """Import procedures: new codes are created, changed content becomes a new version, the rest is kept.

    All or nothing: every procedure is validated before anything is written.
    """
    if not isinstance(data, list):
        raise ValidationFailed("Dữ liệu nhập phải là một danh sách thủ tục.")
    cleaned: list[dict[str, Any]] = []
    problems: list[dict[str, str]] = []
    seen: set[str] = set()
    for i, item in enumerate(data, 1):
        code = item.get("code") if isinstance(item, dict) else None
        errors = _Errors(f"Thủ tục {code}" if code else f"Thủ tục thứ {i}")
        clean = _clean(item, code=None, errors=errors)
        if clean.get("code") in seen:
            errors.add("code", "mã thủ tục bị lặp trong tệp nhập.")
        seen.add(clean.get("code", ""))
        problems.extend(errors.items)
        cleaned.append(clean)
    if problems:
        _raise(problems)

    result = ImportResult()
    for clean in cleaned:
        procedure = Procedure.objects.select_for_update().filter(code=clean["code"]).first()
        latest = procedure.versions.order_by("-version").first() if procedure else None
        if latest is None:
            _create(clean=clean, publish=publish, actor=actor)
            result.created.append(clean["code"])
            continue
        if _content(procedure_version_as_dict(latest)) == _content(clean):
            _field_ensure(clean["field"])  # a renamed field follows the file
            if publish and not latest.is_published:
                _publish(version=latest, actor=actor)
                result.new_versions.append(clean["code"])
            else:
                result.unchanged.append(clean["code"])
            continue
        _create(clean=clean, publish=publish, actor=actor)
        result.new_versions.append(clean["code"])
    audit_record(
        action="catalog.import",
        actor=actor,
        object_type="catalog.procedure",
        detail={
            "created": result.created,
            "new_versions": result.new_versions,
            "unchanged": len(result.unchanged),
            "publish": publish,
        },
    )
    return result


def catalog_export() -> list[dict[str, Any]]:
    """The published catalogue in force (current version of every procedure), in the import shape."""
    from motcua.catalog.selectors import published_versions

    return [procedure_version_as_dict(v) for v in published_versions().order_by("procedure__code")]
