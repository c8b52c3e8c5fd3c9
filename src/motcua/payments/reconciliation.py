"""Bank statements: read the CSV or XLSX a bank exports, match credits to what dossiers owe.

A line matches when its description carries a dossier code (the VietQR reference) and its
amount is exactly what that dossier still owes: the transfer is then confirmed as a VietQR
payment (its receipt is issued) with the bank's transaction id, so importing the same statement
again changes nothing. Every other credit is kept as "unmatched" for a person to resolve.

Banks name their columns differently (and in Vietnamese or English); the header row is found by
its names, compared without diacritics.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction

from motcua.core import clock
from motcua.core.errors import DomainError, ValidationFailed
from motcua.core.text import fold

MAX_ROWS = 20_000
# Header names seen in banks' exports (folded: lower case, no diacritics).
COLUMNS = {
    "date": ("ngay giao dich", "ngay hieu luc", "ngay gd", "ngay", "transaction date", "date"),
    "amount": ("so tien ghi co", "ghi co", "so tien", "credit amount", "credit", "amount"),
    "description": ("noi dung", "dien giai", "mo ta", "description", "remark", "details"),
    "transaction_id": (
        "ma giao dich",
        "so tham chieu",
        "so but toan",
        "ma gd",
        "transaction id",
        "reference",
        "ref no",
        "ref",
    ),
}
_CODE_RAW = re.compile(r"[0-9A-Za-z.]{4,20}-\d{6}-\d{4}")
_CODE_BARE = re.compile(r"(\d{3})(\d{2})(\d{2})(H\d{2})(\d{6})(\d{4})")


@dataclass
class StatementRow:
    line: int
    booked_on: date
    amount: int
    description: str
    transaction_id: str


def _header_map(cells: list[Any]) -> dict[str, int] | None:
    names = [fold(str(c or "")).strip() for c in cells]
    found: dict[str, int] = {}
    for key, options in COLUMNS.items():
        for option in options:  # the most specific name first
            hit = next((i for i, n in enumerate(names) if n == option), None)
            if hit is None:
                hit = next(
                    (i for i, n in enumerate(names) if option in n and i not in found.values()),
                    None,
                )
            if hit is not None and hit not in found.values():
                found[key] = hit
                break
    return found if len(found) == len(COLUMNS) else None


def _amount(value: Any) -> int | None:
    """Whole đồng from 31000, "31.000", "31,000", "31.000,00" or "31,000.00"; None when empty."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)):
        return int(round(value))
    text = str(value).strip().replace(" ", "").replace("VND", "").replace("đ", "")
    if not text:
        return None
    negative = text.startswith("-") or (text.startswith("(") and text.endswith(")"))
    text = text.strip("-()+")
    if re.fullmatch(r"\d{1,3}([.,]\d{3})*([.,]\d{1,2})?", text) or re.fullmatch(
        r"\d+([.,]\d{1,2})?", text
    ):
        m = re.fullmatch(r"(.*?)([.,]\d{1,2})?", text)
        whole = m.group(1) if m else text
        # A 3-digit tail after a separator is thousands, not decimals.
        if m and m.group(2) and re.fullmatch(r"\d{1,3}([.,]\d{3})+", text):
            whole = text
        number = int(re.sub(r"[.,]", "", whole))
        return -number if negative else number
    raise ValueError(text)


def _date(value: Any) -> date:
    from datetime import datetime

    from motcua.core.dates import parse_date

    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value or "").strip().split(" ")[0]
    parsed = parse_date(text)
    if parsed is None:
        raise ValueError(text)
    return parsed


def _table(content: bytes, filename: str) -> list[list[Any]]:
    if content[:2] == b"PK":  # XLSX is a zip
        from openpyxl import load_workbook

        try:
            wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as exc:  # noqa: BLE001  (any broken workbook is the user's file)
            raise ValidationFailed(
                "Không đọc được tệp Excel sao kê.", code="statement_unreadable"
            ) from exc
        ws = wb.worksheets[0]
        return [list(r) for r in ws.iter_rows(values_only=True, max_row=MAX_ROWS + 50)]
    for encoding in ("utf-8-sig", "cp1258", "latin-1"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    try:  # newline=None: lines ended by \r, \n or \r\n, as banks' exports vary
        return [row for row in csv.reader(io.StringIO(text, newline=None), dialect)][
            : MAX_ROWS + 50
        ]
    except csv.Error as exc:
        raise ValidationFailed(
            "Không đọc được tệp CSV sao kê.", code="statement_unreadable"
        ) from exc


def statement_parse(
    content: bytes, filename: str = ""
) -> tuple[list[StatementRow], list[dict[str, Any]]]:
    """Credit rows of a statement, and the rows that could not be read (with the reason)."""
    rows, bad, _ = statement_parse_full(content, filename)
    return rows, bad


def statement_parse_full(
    content: bytes, filename: str = ""
) -> tuple[list[StatementRow], list[dict[str, Any]], str]:
    """Credit rows, unreadable rows and the text of the title block above the header row
    (where banks print the account number)."""
    if not content:
        raise ValidationFailed("Tệp sao kê rỗng.", code="statement_empty")
    table = _table(content, filename)
    header_at, columns = None, None
    for i, cells in enumerate(table[:30]):
        columns = _header_map(cells)
        if columns:
            header_at = i
            break
    if header_at is None or columns is None:
        raise ValidationFailed(
            "Không tìm thấy dòng tiêu đề của sao kê: cần các cột ngày giao dịch, số tiền "
            "(ghi có), nội dung và mã giao dịch.",
            code="statement_columns_missing",
        )
    rows: list[StatementRow] = []
    bad: list[dict[str, Any]] = []
    for n, cells in enumerate(table[header_at + 1 :], start=header_at + 2):
        if not any(str(c or "").strip() for c in cells):
            continue

        def get(key: str, cells: list[Any] = cells) -> Any:
            return cells[columns[key]] if columns[key] < len(cells) else None

        try:
            amount = _amount(get("amount"))
            booked = _date(get("date"))
        except ValueError:
            bad.append({"line": n, "problem": "Không đọc được ngày hoặc số tiền."})
            continue
        if amount is None or amount <= 0:
            continue  # debits and empty credits are not collections
        txid = str(get("transaction_id") or "").strip()
        if not txid:
            bad.append({"line": n, "problem": "Thiếu mã giao dịch của ngân hàng."})
            continue
        rows.append(
            StatementRow(
                line=n,
                booked_on=booked,
                amount=amount,
                description=str(get("description") or "").strip()[:500],
                transaction_id=txid[:80],
            )
        )
    if len(rows) > MAX_ROWS:
        raise ValidationFailed(
            f"Sao kê quá dài (tối đa {MAX_ROWS} dòng mỗi lần nhập).", code="statement_too_long"
        )
    title = " ".join(str(c) for cells in table[:header_at] for c in cells if c not in (None, ""))
    return rows, bad, title


def require_reconciler(actor: Any) -> None:
    """Statements are read by those who confirm transfers (reception, manager, leader)."""
    from motcua.core.errors import PermissionDenied
    from motcua.org.models import StaffRole
    from motcua.payments.services import TRANSFER_ROLES

    if getattr(actor, "is_superuser", False):
        return
    if (
        not getattr(actor, "pk", None)
        or not StaffRole.objects.filter(
            user=actor, role__in=[str(r) for r in TRANSFER_ROLES]
        ).exists()
    ):
        raise PermissionDenied(
            "Chỉ cán bộ tiếp nhận, quản lý hoặc lãnh đạo mới nhập và đối soát sao kê ngân hàng.",
            code="payment_forbidden",
        )


def reconciler_units(actor: Any) -> list[Any]:
    """The units where the actor confirms transfers (reception, manager, leader)."""
    from motcua.org.models import StaffRole, Unit
    from motcua.payments.services import TRANSFER_ROLES

    ids = StaffRole.objects.filter(
        user=actor, role__in=[str(r) for r in TRANSFER_ROLES]
    ).values_list("unit_id", flat=True)
    return list(Unit.objects.filter(pk__in=list(ids)))


def reconcilable_accounts(actor: Any) -> list[Any]:
    """The collection accounts whose statements the actor reads: those their units collect on
    (their own, or the nearest ancestor's they use). A superuser reads every account."""
    from motcua.payments.models import BankAccount
    from motcua.payments.services import bank_account_for

    if getattr(actor, "is_superuser", False):
        return list(BankAccount.objects.filter(active=True).order_by("pk"))
    found: dict[int, Any] = {}
    for unit in reconciler_units(actor):
        for account in BankAccount.objects.filter(unit=unit, active=True):
            found[account.pk] = account
        used = bank_account_for(unit)
        if used is not None:
            found[used.pk] = used
    return sorted(found.values(), key=lambda a: a.pk)


def _account_for_import(actor: Any, account_id: int | None, title: str) -> Any:
    """The account a statement belongs to: the one chosen, the one its title block names, or
    the importer's only account."""
    from motcua.core.errors import PermissionDenied

    accounts = reconcilable_accounts(actor)
    if account_id is not None:
        chosen = next((a for a in accounts if a.pk == account_id), None)
        if chosen is None:
            raise PermissionDenied(
                "Tài khoản này không thuộc đơn vị của bạn.", code="statement_account_forbidden"
            )
        return chosen
    digits = re.sub(r"[^0-9]", " ", title or "").split()
    named = [a for a in accounts if a.account_number in digits]
    if len(named) == 1:
        return named[0]
    if len(accounts) == 1:
        return accounts[0]
    if not accounts:
        raise ValidationFailed(
            "Đơn vị của bạn chưa khai báo tài khoản nhận chuyển khoản.",
            code="bank_account_missing",
        )
    raise ValidationFailed(
        "Chọn tài khoản thu của sao kê (đơn vị có nhiều tài khoản).",
        code="statement_account_required",
    )


def visible_statement_lines(actor: Any) -> Any:
    """Statement lines of the accounts the actor reconciles (lines of no account: superuser)."""
    from motcua.payments.models import BankStatementLine

    lines = BankStatementLine.objects.all()
    if getattr(actor, "is_superuser", False):
        return lines
    return lines.filter(account__in=[a.pk for a in reconcilable_accounts(actor)])


def codes_in(description: str) -> list[str]:
    """Dossier codes a transfer description carries (as typed, or with the dots and dashes lost)."""
    found = [m.group(0).upper() for m in _CODE_RAW.finditer(description or "")]
    bare = re.sub(r"[^0-9A-Za-z]", "", description or "").upper()
    for m in _CODE_BARE.finditer(bare):
        a, b, c, h, day, n = m.groups()
        code = f"{a}.{b}.{c}.{h}-{day}-{n}"
        if code not in found:
            found.append(code)
    return found


def _match_one(row: StatementRow, actor: Any, account: Any) -> tuple[str, Any, str]:
    """(status, payment, problem) for one credit; confirms the VietQR payment when it matches."""
    from motcua.dossiers.selectors import visible_dossiers
    from motcua.payments import services
    from motcua.payments.models import Method, Payment, PaymentStatus
    from motcua.payments.selectors import dossier_outstanding

    # Only the dossiers of the importer's units that collect on this statement's account:
    # another unit's dossier is neither paid nor described (what it still owes) to someone
    # who may not see it, and money on one account does not pay what is owed on another.
    codes = codes_in(row.description)
    dossiers = list(visible_dossiers(user=actor).filter(code__in=codes)) if codes else []
    dossiers = [
        d
        for d in dossiers
        if (used := services.bank_account_for(d.unit)) is not None and used.pk == account.pk
    ]
    if not dossiers:
        return "unmatched", None, "Nội dung chuyển khoản không có mã hồ sơ của đơn vị."
    problems = []
    for dossier in dossiers:
        owed = dossier_outstanding(dossier)
        if owed <= 0:
            problems.append(f"Hồ sơ {dossier.code} không còn khoản phải nộp.")
            continue
        if owed != row.amount:
            problems.append(
                f"Số tiền {row.amount:,} khác số hồ sơ {dossier.code} còn phải nộp {owed:,}.".replace(
                    ",", "."
                )
            )
            continue
        try:
            with transaction.atomic():
                payment = (
                    Payment.objects.filter(
                        dossier=dossier,
                        method=Method.VIETQR,
                        status=PaymentStatus.PENDING,
                        amount=row.amount,
                    )
                    .order_by("created_at")
                    .first()
                )
                if payment is None:
                    payment = services.payment_create(
                        dossier=dossier,
                        method=Method.VIETQR,
                        actor=actor,
                        key=f"bank:{row.transaction_id}"[:80],
                    )
                services.payment_confirm(
                    payment=payment, actor=actor, provider_transaction_id=row.transaction_id
                )
        except DomainError as exc:
            problems.append(f"Hồ sơ {dossier.code}: {exc.message}")
            continue
        return "matched", payment, ""
    return "unmatched", None, " ".join(problems)[:300]


def statement_import(
    *, content: bytes, filename: str, actor: Any, account_id: int | None = None
) -> dict[str, Any]:
    """Import a statement of one collection account: matched rows confirm their payments,
    the rest wait for a person of the account's unit."""
    from motcua.core.services import audit_record
    from motcua.payments.models import BankStatement, BankStatementLine

    require_reconciler(actor)
    rows, bad, title = statement_parse_full(content, filename)
    account = _account_for_import(actor, account_id, title)
    statement = BankStatement.objects.create(
        account=account,
        unit=account.unit,
        source_name=(filename or "")[:200],
        imported_at=clock.now(),
        imported_by=actor if getattr(actor, "pk", None) else None,
        rows=len(rows),
    )
    matched: list[dict[str, Any]] = []
    unmatched: list[dict[str, Any]] = []
    duplicates: list[dict[str, Any]] = []
    for row in rows:
        existing = BankStatementLine.objects.filter(transaction_id=row.transaction_id).first()
        if existing is not None:
            # Another account's line is reported as a duplicate without what it paid.
            duplicates.append(_row_out(row, existing, show=existing.account_id == account.pk))
            continue
        status, payment, problem = _match_one(row, actor, account)
        line, _ = BankStatementLine.objects.get_or_create(
            transaction_id=row.transaction_id,
            defaults={
                "statement": statement,
                "account": account,
                "booked_on": row.booked_on,
                "amount": row.amount,
                "description": row.description,
                "source_name": (filename or "")[:200],
                "imported_at": clock.now(),
                "imported_by": actor if getattr(actor, "pk", None) else None,
                "status": status,
                "problem": problem,
                "payment": payment,
            },
        )
        out = _row_out(row, line)
        (matched if status == "matched" else unmatched).append(out)
    audit_record(
        action="payment.statement_import",
        actor=actor,
        obj=None,
        detail={
            "file": filename,
            "account": account.pk,
            "matched": len(matched),
            "unmatched": len(unmatched),
        },
    )
    return {
        "rows": len(rows),
        "matched": matched,
        "unmatched": unmatched,
        "duplicates": duplicates,
        "unreadable": bad,
    }


def _row_out(row: StatementRow, line: Any, show: bool = True) -> dict[str, Any]:
    from motcua.payments.api import payment_summary

    out: dict[str, Any] = {
        "line": row.line,
        "transaction_id": row.transaction_id,
        "date": row.booked_on.strftime("%d/%m/%Y"),
        "amount": row.amount,
        "description": row.description,
        "status": line.status,
        "problem": line.problem,
        "dossier": None,
        "payment": None,
    }
    if not show:
        out["status"], out["problem"] = "duplicate", ""
    elif line.payment_id:
        out["dossier"] = line.payment.dossier.code
        out["payment"] = payment_summary(line.payment)
    return out


@transaction.atomic
def statement_line_resolve(*, line: Any, actor: Any, dossier_code: str = "", note: str = "") -> Any:
    """A person resolves an unmatched credit: pays the dossier it belongs to, or notes what was done."""
    from motcua.payments.models import StatementLineStatus

    require_reconciler(actor)
    line = visible_statement_lines(actor).select_for_update().filter(pk=line.pk).first()
    if line is None:  # another unit's line: as if it did not exist
        from motcua.core.errors import NotFound

        raise NotFound("Không tìm thấy dòng sao kê.", code="statement_line_not_found")
    if line.status != StatementLineStatus.UNMATCHED:
        from motcua.core.errors import Conflict

        raise Conflict("Dòng sao kê này đã được xử lý.", code="statement_line_done")
    note = (note or "").strip()
    if dossier_code.strip():
        row = StatementRow(
            line=0,
            booked_on=line.booked_on,
            amount=int(line.amount),
            description=dossier_code.strip(),
            transaction_id=line.transaction_id,
        )
        if line.account is None:
            raise ValidationFailed(
                "Dòng sao kê cũ chưa gắn tài khoản thu: ghi rõ cách đã xử lý.",
                code="statement_no_match",
            )
        status, payment, problem = _match_one(row, actor, line.account)
        if status != "matched":
            raise ValidationFailed(
                problem or "Không khớp được với hồ sơ.", code="statement_no_match"
            )
        line.payment = payment
        note = note or f"Gắn với hồ sơ {dossier_code.strip()}"
    elif not note:
        raise ValidationFailed(
            "Nhập mã hồ sơ để ghi nhận, hoặc ghi rõ cách đã xử lý (ví dụ: đã hoàn trả người chuyển).",
            code="resolution_required",
        )
    line.status = StatementLineStatus.RESOLVED
    line.resolved_at = clock.now()
    line.resolved_by = actor
    line.resolution = note[:2000]
    line.save()
    return line
