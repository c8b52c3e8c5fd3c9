"""Issue 9 point 2: text in the dashboard's groups (procedure names, officers' names) reaches
the CSV and XLSX exports as text, never as a live formula."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from factories import StaffRoleFactory, UserFactory
from motcua.catalog.models import ProcedureVersion
from motcua.org.models import Role, User

pytestmark = pytest.mark.django_db

EVIL = '=HYPERLINK("http://evil","x")'


@pytest.mark.parametrize("dimension", ["procedure", "officer"])
def test_kpi_exports_quote_formula_text(client, kpi_data, dimension):
    ProcedureVersion.objects.update(name=EVIL)
    User.objects.filter(full_name="Phạm Minh Chuyên").update(full_name="@" + EVIL[1:])
    manager = UserFactory()
    StaffRoleFactory(user=manager, unit=kpi_data["a"], role=Role.MANAGER)
    client.force_login(manager)
    expected = "'" + (EVIL if dimension == "procedure" else "@" + EVIL[1:])

    body = client.get(f"/can-bo/bao-cao/xuat.csv?theo={dimension}").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert expected in [r[0] for r in rows[1:]]
    assert not any(c.startswith(("=", "+", "@")) for row in rows for c in row)

    xlsx = client.get(f"/can-bo/bao-cao/xuat.xlsx?theo={dimension}").content
    wb = load_workbook(io.BytesIO(xlsx))
    assert expected in [c.value for c in wb["Chỉ số"]["A"]]
    formulas = [
        c.coordinate for ws in wb for row in ws.iter_rows() for c in row if c.data_type == "f"
    ]
    assert formulas == []
