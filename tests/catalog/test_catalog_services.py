"""Catalogue writes: versioning on import, publishing rules, validation messages, round trip."""

from __future__ import annotations

import copy
from datetime import time

import pytest

from motcua.catalog.models import Field, Procedure, ProcedureVersion
from motcua.catalog.selectors import procedure_current
from motcua.catalog.services import (
    catalog_export,
    catalog_import,
    catalog_parse_json,
    procedure_data_clean,
    procedure_version_copy,
    procedure_version_create,
    procedure_version_publish,
    procedure_version_update,
)
from motcua.core.errors import Conflict, ValidationFailed
from motcua.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def birth(**over):
    data = {
        "code": "1.001193",
        "name": "Thủ tục đăng ký khai sinh",
        "field": {"code": "ho-tich", "name": "Hộ tịch"},
        "level": "commune",
        "time_unit": "same_day",
        "time_value": 0,
        "cutoff": "15:00",
        "fees": [{"name": "Lệ phí (miễn)", "amount": 0}],
        "papers": [
            {"name": "Tờ khai đăng ký khai sinh", "original": 1, "copy": 0, "required": True},
            {"name": "Giấy chứng sinh", "original": 1, "copy": 0, "required": True},
        ],
        "result_paper": "Giấy khai sinh",
        "legal_basis": ["Luật Hộ tịch số 60/2014/QH13"],
        "channels": ["direct", "online", "post"],
        "holiday_duty": False,
    }
    data.update(over)
    return data


def death(**over):
    data = birth(
        code="1.000656",
        name="Thủ tục đăng ký khai tử",
        holiday_duty=True,
        result_paper="Trích lục khai tử",
        papers=[{"name": "Giấy báo tử", "original": 1, "copy": 0, "required": True}],
    )
    data.update(over)
    return data


def test_first_import_creates_published_version_1_and_the_field():
    result = catalog_import(data=[birth(), death()])
    assert sorted(result.created) == ["1.000656", "1.001193"]
    assert result.new_versions == [] and result.unchanged == []
    current = procedure_current(code="1.001193")
    assert current is not None and current.version == 1 and current.is_published
    assert current.cutoff == time(15, 0)
    assert current.field.name == "Hộ tịch"
    assert Field.objects.filter(code="ho-tich").count() == 1
    assert AuditEvent.objects.filter(action="catalog.import").count() == 1


def test_unchanged_content_keeps_its_version():
    catalog_import(data=[birth(), death()])
    # Same content written differently: channel order, spaces, no explicit defaults.
    again = birth(channels=["post", "direct", "online"], name="  Thủ tục  đăng ký khai sinh ")
    result = catalog_import(data=[again, death()])
    assert sorted(result.unchanged) == ["1.000656", "1.001193"]
    assert result.created == [] and result.new_versions == []
    assert ProcedureVersion.objects.filter(procedure__code="1.001193").count() == 1


def test_changed_content_gets_a_new_version_and_the_old_one_stays_intact():
    catalog_import(data=[birth()])
    v1 = procedure_current(code="1.001193")
    v1_snapshot = (v1.pk, v1.fees, v1.papers, v1.name)
    changed = birth(fees=[{"name": "Lệ phí đăng ký khai sinh quá hạn", "amount": 5000}])
    result = catalog_import(data=[changed])
    assert result.new_versions == ["1.001193"]
    current = procedure_current(code="1.001193")
    assert current.version == 2 and current.fee_total == 5000
    # The version a dossier was received under is never edited.
    old = ProcedureVersion.objects.get(pk=v1.pk)
    assert (old.pk, old.fees, old.papers, old.name) == v1_snapshot
    assert old.version == 1 and old.is_published


def test_draft_import_does_not_change_what_is_in_force_until_published():
    catalog_import(data=[birth()])
    result = catalog_import(
        data=[birth(time_unit="working_days", time_value=1, cutoff=None)], publish=False
    )
    assert result.new_versions == ["1.001193"]
    assert procedure_current(code="1.001193").version == 1
    draft = ProcedureVersion.objects.get(procedure__code="1.001193", version=2)
    assert not draft.is_published
    procedure_version_publish(version=draft)
    assert procedure_current(code="1.001193").version == 2


def test_reimport_of_a_draft_with_same_content_publishes_it():
    catalog_import(data=[birth()], publish=False)
    result = catalog_import(data=[birth()])
    assert result.new_versions == ["1.001193"]
    assert ProcedureVersion.objects.filter(procedure__code="1.001193").count() == 1
    assert procedure_current(code="1.001193").version == 1


def test_export_import_round_trip():
    catalog_import(data=[birth(), death()])
    catalog_import(data=[birth(fees=[{"name": "Lệ phí", "amount": 8000}]), death()])
    exported = catalog_export()
    assert [d["code"] for d in exported] == ["1.000656", "1.001193"]
    assert exported[1]["version"] == 2 and exported[1]["fees"] == [
        {"name": "Lệ phí", "amount": 8000}
    ]
    assert exported[1]["cutoff"] == "15:00" and exported[1]["field"] == {
        "code": "ho-tich",
        "name": "Hộ tịch",
    }
    # Re-importing the export changes nothing.
    result = catalog_import(data=copy.deepcopy(exported))
    assert sorted(result.unchanged) == ["1.000656", "1.001193"]
    assert catalog_export() == exported


def test_round_trip_into_an_empty_catalogue_reproduces_the_content():
    catalog_import(data=[birth(), death()])
    exported = catalog_export()
    ProcedureVersion.objects.all().delete()
    Procedure.objects.all().delete()
    result = catalog_import(data=exported)
    assert sorted(result.created) == ["1.000656", "1.001193"]
    again = catalog_export()
    assert [{k: v for k, v in d.items() if k != "version"} for d in again] == [
        {k: v for k, v in d.items() if k != "version"} for d in exported
    ]


@pytest.mark.parametrize(
    ("over", "needle"),
    [
        ({"time_unit": "weeks"}, "đơn vị thời hạn «weeks» không hợp lệ"),
        ({"fees": [{"name": "Lệ phí", "amount": -1}]}, "không được âm"),
        ({"fees": [{"name": "Lệ phí", "amount": "8000"}]}, "phải là số nguyên"),
        ({"channels": ["direct", "fax"]}, "cách thức thực hiện không hợp lệ: fax"),
        ({"channels": []}, "cần ít nhất một cách thức"),
        ({"level": "village"}, "cấp thực hiện «village» không hợp lệ"),
        ({"code": "khai-sinh"}, "không đúng định dạng"),
        ({"name": ""}, "thiếu tên thủ tục"),
        ({"cutoff": "3pm"}, "phải có dạng HH:MM"),
        ({"time_unit": "working_days", "time_value": 0, "cutoff": None}, "phải lớn hơn 0"),
        ({"time_value": 2}, "trong ngày phải có thời hạn bằng 0"),
        ({"papers": [{"name": "Tờ khai", "copy": -2}]}, "số nguyên không âm"),
        ({"holiday_duty": "có"}, "true hoặc false"),
        ({"valid_from": "31/12/2026"}, "YYYY-MM-DD"),
        ({"fee": 1}, "trường không được hỗ trợ: fee"),
    ],
)
def test_validation_errors_are_vietnamese_and_nothing_is_written(over, needle):
    with pytest.raises(ValidationFailed) as info:
        catalog_import(data=[death(), birth(**over)])
    err = info.value
    assert err.code == "invalid" and err.status == 422
    assert needle in err.message
    assert "Thủ tục" in err.message
    assert any(needle in e["message"] for e in err.extra["errors"])
    # All or nothing: the valid procedure before the bad one was not imported either.
    assert not Procedure.objects.exists()


def test_import_refuses_duplicate_codes_and_non_lists():
    with pytest.raises(ValidationFailed, match="bị lặp"):
        catalog_import(data=[birth(), birth()])
    with pytest.raises(ValidationFailed, match="danh sách"):
        catalog_import(data={"code": "1.001193"})  # type: ignore[arg-type]
    with pytest.raises(ValidationFailed, match="không đọc được"):
        catalog_parse_json("{not json")
    assert catalog_parse_json('{"procedures": [{"code": "x"}]}') == [{"code": "x"}]


def test_new_field_needs_a_name():
    with pytest.raises(ValidationFailed, match="cần ghi cả tên lĩnh vực"):
        procedure_version_create(code="1.001193", data=birth(field={"code": "moi"}), publish=True)


def test_version_create_numbers_max_plus_one_and_copy_makes_a_draft():
    v1 = procedure_version_create(code="1.001193", data=birth(), publish=True)
    v2 = procedure_version_create(
        code="1.001193", data=birth(name="Đăng ký khai sinh (mới)"), publish=False
    )
    assert (v1.version, v2.version) == (1, 2)
    assert procedure_current(code="1.001193").pk == v1.pk
    v3 = procedure_version_copy(version=v1)
    assert v3.version == 3 and not v3.is_published and v3.name == v1.name and v3.papers == v1.papers
    with pytest.raises(ValidationFailed, match="khác mã"):
        procedure_version_create(code="1.000656", data=birth(), publish=True)


def test_publish_rules():
    v1 = procedure_version_create(code="1.001193", data=birth(), publish=False)
    v2 = procedure_version_create(
        code="1.001193",
        data=birth(time_unit="working_days", time_value=3, cutoff=None),
        publish=False,
    )
    procedure_version_publish(version=v2)
    with pytest.raises(Conflict, match="đã được công bố"):
        procedure_version_publish(version=v2)
    with pytest.raises(Conflict, match="phiên bản mới hơn"):
        procedure_version_publish(version=v1)
    assert procedure_current(code="1.001193").version == 2


def test_published_version_is_never_updated_but_a_draft_is():
    v1 = procedure_version_create(code="1.001193", data=birth(), publish=True)
    with pytest.raises(Conflict) as info:
        procedure_version_update(version=v1, data=birth(name="Tên khác"))
    assert info.value.code == "version_published"
    draft = procedure_version_copy(version=v1)
    updated = procedure_version_update(
        version=draft, data=birth(name="Thủ tục đăng ký khai sinh (sửa)")
    )
    assert updated.name == "Thủ tục đăng ký khai sinh (sửa)" and updated.name_folded.startswith(
        "thu tuc dang ky"
    )
    assert ProcedureVersion.objects.get(pk=v1.pk).name == "Thủ tục đăng ký khai sinh"


def test_clean_normalises_defaults():
    clean = procedure_data_clean(birth(papers=[{"name": "Tờ khai"}], channels=["home", "direct"]))
    assert clean["papers"] == [{"name": "Tờ khai", "original": 1, "copy": 0, "required": True}]
    assert clean["channels"] == ["direct", "home"]
    assert clean["note"] == "" and clean["valid_from"] is None
