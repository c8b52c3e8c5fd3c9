"""The demo catalogue file, the seed and the import/export commands."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from django.core.management import CommandError, call_command

from motcua.catalog.demo import DATA_FILE, demo_procedures, seed_catalog, seed_catalog_result
from motcua.catalog.models import ProcedureVersion
from motcua.catalog.services import CODE_RE, procedure_data_clean


def test_demo_file_has_at_least_30_valid_procedures_with_unique_codes():
    procedures = demo_procedures()
    assert len(procedures) >= 30
    codes = [p["code"] for p in procedures]
    assert len(set(codes)) == len(codes)
    for p in procedures:
        assert CODE_RE.match(p["code"])
        # Validates, and is stored already normalised (a re-import compares equal).
        assert procedure_data_clean(p) == p


def test_demo_covers_the_fields_and_known_codes():
    procedures = {p["code"]: p for p in demo_procedures()}
    fields = Counter(p["field"]["code"] for p in procedures.values())
    for code in (
        "ho-tich",
        "chung-thuc",
        "dat-dai",
        "xay-dung",
        "quy-hoach",
        "moi-truong",
        "bao-tro-xa-hoi",
        "ho-kinh-doanh",
    ):
        assert fields[code] >= 1, code
    assert procedures["1.001193"]["name"] == "Thủ tục đăng ký khai sinh"
    assert procedures["1.000656"]["holiday_duty"] is True
    assert procedures["1.000894"]["name"] == "Thủ tục đăng ký kết hôn"
    assert (
        procedures["2.000815"]["time_unit"] == "same_day"
        and procedures["2.000815"]["cutoff"] == "15:00"
    )
    assert "chứng thực chữ ký" in procedures["2.000884"]["name"].lower()
    # Unverified data is flagged, never silently invented.
    assert all("cần đối chiếu CSDL quốc gia" in p["note"] for p in procedures.values() if p["note"])


@pytest.mark.django_db
def test_seed_is_idempotent():
    first = seed_catalog_result()
    assert len(first.created) == len(demo_procedures())
    count = ProcedureVersion.objects.count()
    second = seed_catalog_result()
    assert second.created == [] and second.new_versions == []
    assert len(second.unchanged) == len(demo_procedures())
    assert ProcedureVersion.objects.count() == count
    assert seed_catalog() == len(demo_procedures())


@pytest.mark.django_db
def test_import_and_export_commands(tmp_path, capsys):
    call_command("catalog_import", str(DATA_FILE))
    assert "Tạo mới" in capsys.readouterr().out
    out = tmp_path / "export.json"
    call_command("catalog_export", "--output", str(out))
    exported = json.loads(out.read_text(encoding="utf-8"))
    assert len(exported) == len(demo_procedures())
    call_command("catalog_import", str(out))
    assert f"{len(exported)} không thay đổi" in capsys.readouterr().out
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{**exported[0], "time_unit": "weeks"}]), encoding="utf-8")
    with pytest.raises(CommandError, match="đơn vị thời hạn"):
        call_command("catalog_import", str(bad))
    with pytest.raises(CommandError, match="Không tìm thấy tệp"):
        call_command("catalog_import", str(tmp_path / "none.json"))


@pytest.mark.django_db
def test_export_carries_channel_fees_page_tiers_exemptions_and_time_cases(tmp_path):
    call_command("catalog_import", str(DATA_FILE))
    out = tmp_path / "export.json"
    call_command("catalog_export", "--output", str(out))
    exported = {p["code"]: p for p in json.loads(out.read_text(encoding="utf-8"))}
    assert exported["1.004222"]["fees"][0]["channels"] == {"online": 10000}
    assert exported["2.000815"]["fees"][0]["unit"] == "page"
    assert exported["2.000815"]["fees"][0]["cap"] == 200000
    assert exported["1.000894"]["time_cases"][1]["time_value"] == 5
    assert {e["code"] for e in exported["1.004859"]["fees"][0]["exemptions"]} == {
        "co-cong",
        "ho-ngheo",
        "khuyet-tat",
    }
    # An older file without these keys still imports: the content is compared as normalised.
    old = [{k: v for k, v in p.items() if k != "time_cases"} for p in exported.values()]
    old_file = tmp_path / "old.json"
    old_file.write_text(json.dumps(old, ensure_ascii=False), encoding="utf-8")
    call_command("catalog_import", str(old_file))
    assert (
        ProcedureVersion.objects.get(
            procedure__code="1.000894", is_published=True, version=2
        ).time_cases
        == []
    )
