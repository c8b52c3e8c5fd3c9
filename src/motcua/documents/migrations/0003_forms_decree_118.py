"""Stored form templates follow Decree 118/2025/NĐ-CP and their paper.

Decree 118/2025/NĐ-CP replaced Decree 61/2018/NĐ-CP from 1/7/2025, and Circular 01/2018/TT-VPCP
that guided it lapsed with it. A template still exactly as shipped gets a new version with the
new body, citation and paper; one the office edited keeps its body and only gets the new citation
(as a new version too). Older versions stay, so the change can be rolled back in the admin.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from django.db import migrations

SOURCES = Path(__file__).resolve().parent.parent / "form_sources"
DECREE_118 = "Nghị định số 118/2025/NĐ-CP ngày 09/6/2025 của Chính phủ"
OLD_BASIS = {c: f"Mẫu số {c} – Thông tư 01/2018/TT-VPCP" for c in ("01", "02", "03", "04", "05", "06")}
NEW_BASIS = {c: f"Mẫu số {c} – {DECREE_118}" for c in OLD_BASIS}
# sha256 of the bodies shipped before this change.
SHIPPED = {
    "01": "f8ffa4bcf33b357f4dc21cc915126d846f792433953bac37940dd4c04251c582",
    "02": "91e3258724383b87fd25b65f5a2efaed6156f3fda0b97661ccef347d7c87d6da",
    "03": "f262e6c9003143605e5577c220667651944ffef51b71483e8962c503c5dbf045",
    "04": "1f576b705015f959edb4c1df8ae3d4f4bec5a0b1121d503cde9975434081081b",
    "05": "192681131ea302c6bdcd27650c8f46d00cc89ab811b0b15d98e7bc1f2d5f7e41",
    "06": "56a83edf756ee52fdaea5c7e898bdc629dd63dbbad5249decc1e0775696dcb1d",
}
NOTE = "Cập nhật theo Nghị định số 118/2025/NĐ-CP (thay Thông tư 01/2018/TT-VPCP)"


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    FormTemplate = apps.get_model("documents", "FormTemplate")
    FormTemplate.objects.filter(code="06").update(paper="A4-landscape")
    for code, old_basis in OLD_BASIS.items():
        row = FormTemplate.objects.filter(code=code, is_active=True).first()
        if row is None:
            continue
        untouched = hashlib.sha256(row.body.encode("utf-8")).hexdigest() == SHIPPED[code]
        if not untouched and row.legal_basis != old_basis:
            continue  # the office already follows its own text
        body = (SOURCES / f"{code}.html").read_text(encoding="utf-8") if untouched else row.body
        latest = FormTemplate.objects.filter(code=code).order_by("-version").first()
        row.is_active = False
        row.save(update_fields=["is_active"])
        FormTemplate.objects.create(
            code=code,
            name=row.name,
            legal_basis=NEW_BASIS[code],
            paper="A4-landscape" if code == "06" else row.paper,
            body=body,
            version=latest.version + 1,
            valid_from=row.valid_from,
            is_active=True,
            note=NOTE,
        )


class Migration(migrations.Migration):
    dependencies = [("documents", "0002_paper")]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
