"""Bank statements as banks export them (CSV, XLSX): matched by reference and amount, idempotent."""

from __future__ import annotations

import io

import pytest
from payments_helpers import receive, vn

from motcua.core.services import api_token_issue
from motcua.payments.models import BankAccount, BankStatementLine, Payment, Receipt
from motcua.payments.reconciliation import _amount, codes_in, statement_line_resolve


@pytest.fixture(autouse=True)
def _day(freeze):
    freeze(vn(2026, 3, 10, 10, 0))


def _post(client, ward, name, content, user="tiepnhan"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    token = api_token_issue(user=getattr(ward, user))
    return client.post(
        "/api/v1/reconciliation/bank-statements",
        {"file": SimpleUploadedFile(name, content)},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def _csv(lines):
    head = "STT;Ngày giao dịch;Số tham chiếu;Ghi nợ;Ghi có;Nội dung\n"
    return ("\ufeff" + head + "".join(";".join(x) + "\n" for x in lines)).encode()


def test_csv_matches_by_code_and_amount_and_is_idempotent(client, ward):
    a = receive(ward, i=1)  # owes 31.000
    b = receive(ward, i=2)  # owes 31.000, the bank lost the dots and dashes of its code
    c = receive(ward, i=3)  # owes 31.000, paid 30.000 by mistake
    bare = a.code.replace(".", "").replace("-", "")
    del bare
    content = _csv(
        [
            ("1", "10/03/2026", "FT2606912345", "", "31.000", f"NGUYEN THI HOA {a.code} CK"),
            (
                "2",
                "10/03/2026",
                "FT2606912346",
                "",
                "31,000",
                "CK " + b.code.replace(".", "").replace("-", " "),
            ),
            ("3", "10/03/2026", "FT2606912347", "", "30.000", f"{c.code}"),
            ("4", "10/03/2026", "FT2606912348", "", "50.000", "chuyen tien ung ho"),
            ("5", "10/03/2026", "FT2606912349", "120.000", "", "phi dich vu"),
        ]
    )
    r = _post(client, ward, "saoke.csv", content)
    assert r.status_code == 200, r.content
    body = r.json()
    assert [m["dossier"] for m in body["matched"]] == [a.code, b.code]
    assert {u["transaction_id"] for u in body["unmatched"]} == {"FT2606912347", "FT2606912348"}
    problem = next(u for u in body["unmatched"] if u["transaction_id"] == "FT2606912347")["problem"]
    assert "30.000" in problem and "31.000" in problem
    assert Receipt.objects.filter(method="vietqr").count() == 2
    paid = Payment.objects.get(dossier=a, status="paid")
    assert paid.method == "vietqr" and paid.provider_transaction_id == "FT2606912345"
    # The same statement again: nothing new.
    again = _post(client, ward, "saoke.csv", content).json()
    assert again["matched"] == [] and again["unmatched"] == [] and len(again["duplicates"]) == 4
    assert Receipt.objects.count() == 2 and BankStatementLine.objects.count() == 4


def test_xlsx_export_with_a_title_block(client, ward):
    from openpyxl import Workbook

    d = receive(ward, i=4)
    wb = Workbook()
    ws = wb.active
    ws.append(["SAO KÊ TÀI KHOẢN 113366668888"])
    ws.append([])
    ws.append(["Transaction Date", "Reference", "Debit", "Credit", "Description"])
    ws.append(["10/03/2026 14:22", "TX-1", None, 31000, f"{d.code}"])
    out = io.BytesIO()
    wb.save(out)
    body = _post(client, ward, "statement.xlsx", out.getvalue()).json()
    assert [m["dossier"] for m in body["matched"]] == [d.code]


def test_unmatched_is_resolved_on_the_page(client, ward):
    d = receive(ward, i=5)
    content = _csv([("1", "10/03/2026", "FT1", "", "31.000", "ung ho ho so cua ba Hoa")])
    _post(client, ward, "s.csv", content)
    line = BankStatementLine.objects.get()
    assert line.status == "unmatched"
    client.force_login(ward.quanly)
    html = client.get("/can-bo/thu-phi/doi-soat/").content.decode()
    assert "FT1" in html and "31.000" in html
    r = client.post(f"/can-bo/thu-phi/doi-soat/{line.pk}/", {"code": d.code}, follow=True)
    assert "Đã xử lý" in r.content.decode()
    line.refresh_from_db()
    assert line.status == "resolved" and line.payment.dossier == d
    assert Receipt.objects.filter(dossier=d).exists()
    with pytest.raises(Exception):  # noqa: B017
        statement_line_resolve(line=line, actor=ward.quanly, note="x")


def test_bad_files_and_permissions(client, ward):
    r = _post(client, ward, "x.csv", b"a;b\n1;2\n")
    assert r.status_code == 422 and r.json()["code"] == "statement_columns_missing"
    token = api_token_issue(user=ward.tiepnhan)
    r = client.post(
        "/api/v1/reconciliation/bank-statements", {}, HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert r.status_code == 422 and r.json()["code"] == "statement_empty"
    # A stray carriage return or NUL inside a field: refused with a code, never a 500.
    r = _post(client, ward, "x.csv", b'a;"b\x00"\rc;d\n\x00\r\x00')
    assert r.status_code == 422 and r.json()["code"].startswith("statement_")
    r = _post(client, ward, "x.csv", _csv([]), user="chuyenvien")
    assert r.status_code == 403


def _other_account(ward):
    return BankAccount.objects.create(
        unit=ward.other,
        bank_bin="970436",
        bank_name="Vietcombank",
        account_number="0011000999888",
        account_name="UBND PHUONG DUONG NOI",
    )


def test_another_units_reconciler_neither_pays_nor_sees_what_a_dossier_owes(client, ward):
    _other_account(ward)
    d = receive(ward, i=6)  # owes 31.000, of WARD1
    content = _csv([("1", "10/03/2026", "FT9", "", "31.000", f"{d.code}")])
    body = _post(client, ward, "s.csv", content, user="tiepnhan_khac").json()
    assert body["matched"] == [] and "31.000" not in body["unmatched"][0]["problem"]
    line = BankStatementLine.objects.get()
    with pytest.raises(Exception):  # noqa: B017
        statement_line_resolve(line=line, actor=ward.tiepnhan_khac, dossier_code=d.code)
    assert not Payment.objects.filter(dossier=d).exists()


def test_a_statement_belongs_to_one_account_and_its_units_officials(client, ward):
    """Each official sees only the unmatched lines of their units' accounts; resolving another
    unit's line is refused as if it did not exist; matching stays on the statement's account."""
    other_account = _other_account(ward)
    d = receive(ward, i=7)  # owes 31.000 on WARD1's account
    # WARD2's statement carries WARD1's dossier code and the right amount: not paid by it.
    body = _post(
        client,
        ward,
        "b.csv",
        _csv([("1", "10/03/2026", "FT20", "", "31.000", d.code)]),
        user="tiepnhan_khac",
    ).json()
    assert body["matched"] == []
    theirs = BankStatementLine.objects.get(transaction_id="FT20")
    assert theirs.account == other_account and theirs.statement.unit == ward.other
    # WARD1's own statement: an unmatched line and the matched one.
    body = _post(
        client,
        ward,
        "a.csv",
        _csv(
            [
                ("1", "10/03/2026", "FT21", "", "31.000", d.code),
                ("2", "10/03/2026", "FT22", "", "77.000", "ung ho"),
            ]
        ),
    ).json()
    assert [r["transaction_id"] for r in body["matched"]] == ["FT21"]
    ours = BankStatementLine.objects.get(transaction_id="FT22")
    assert ours.account == ward.account and ours.statement.unit == ward.unit
    # The page of each official lists only their own account's lines.
    client.force_login(ward.tiepnhan)
    page = client.get("/can-bo/thu-phi/doi-soat/").content.decode()
    assert "FT22" in page and "FT20" not in page
    client.force_login(ward.tiepnhan_khac)
    page = client.get("/can-bo/thu-phi/doi-soat/").content.decode()
    assert "FT20" in page and "FT22" not in page
    # Resolving the other unit's line: not found, nothing changes.
    r = client.post(f"/can-bo/thu-phi/doi-soat/{ours.pk}/", {"note": "da hoan"})
    assert r.status_code == 404
    ours.refresh_from_db()
    assert ours.status == "unmatched"
    with pytest.raises(Exception):  # noqa: B017
        statement_line_resolve(line=ours, actor=ward.tiepnhan_khac, note="x")
    # The title block's account number chooses the account when an official has several.
    BankAccount.objects.create(
        unit=ward.unit, bank_bin="970418", account_number="2222333344", account_name="UBND 2"
    )
    titled = (
        "\ufeffSAO KÊ TÀI KHOẢN;;;;;\nSố tài khoản;2222333344;;;;\n"
        "STT;Ngày giao dịch;Số tham chiếu;Ghi nợ;Ghi có;Nội dung\n1;10/03/2026;FT23;;5.000;x\n"
    ).encode()
    r = _post(client, ward, "t.csv", titled)
    assert r.status_code == 200, r.content
    assert BankStatementLine.objects.get(transaction_id="FT23").account.account_number == (
        "2222333344"
    )
    # Without it, the official must say which account.
    r = _post(client, ward, "u.csv", _csv([("1", "10/03/2026", "FT24", "", "5.000", "x")]))
    assert r.status_code == 422 and r.json()["code"] == "statement_account_required"
    token = api_token_issue(user=ward.tiepnhan)
    from django.core.files.uploadedfile import SimpleUploadedFile

    r = client.post(
        "/api/v1/reconciliation/bank-statements",
        {
            "file": SimpleUploadedFile("v.csv", _csv([("1", "10/03/2026", "FT25", "", "5", "x")])),
            "account": str(other_account.pk),
        },
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert r.status_code == 403 and r.json()["code"] == "statement_account_forbidden"


def test_amounts_and_codes():
    assert [
        _amount(x) for x in ("31.000", "31,000", "31000", "1.234.567", "31.000,00", 31000.0)
    ] == [
        31000,
        31000,
        31000,
        1234567,
        31000,
        31000,
    ]
    assert codes_in("CK 00000 20H26 260310 0001 thanh toan") == ["000.00.20.H26-260310-0001"]
