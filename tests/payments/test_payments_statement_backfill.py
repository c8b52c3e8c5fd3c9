"""Migration 0004: lines imported before statements had an account get the unambiguous one, so
the unit's reconcilers see them again (review finding: only superusers could)."""

from __future__ import annotations

import importlib
from datetime import date

from django.apps import apps

from motcua.core import clock
from motcua.payments.models import BankAccount, BankStatementLine, StatementLineStatus
from motcua.payments.reconciliation import visible_statement_lines

backfill = importlib.import_module(
    "motcua.payments.migrations.0004_statement_lines_account_backfill"
).backfill


def _line(tid: str, by):  # type: ignore[no-untyped-def]
    return BankStatementLine.objects.create(
        transaction_id=tid,
        booked_on=date(2026, 11, 30),
        amount=18000,
        description="CK phi",
        imported_at=clock.now(),
        imported_by=by,
        status=StatementLineStatus.UNMATCHED,
    )


def test_old_lines_get_the_importers_only_account(ward):  # type: ignore[no-untyped-def]
    mine = _line("OLD-1", ward.tiepnhan)
    other_unit = _line("OLD-2", ward.tiepnhan_khac)  # that unit has no account: stays empty
    assert not visible_statement_lines(ward.quanly).filter(pk=mine.pk).exists()
    backfill(apps, None)
    mine.refresh_from_db()
    other_unit.refresh_from_db()
    assert mine.account_id == ward.account.pk and other_unit.account_id is None
    assert visible_statement_lines(ward.quanly).filter(pk=mine.pk).exists()


def test_two_accounts_are_ambiguous_and_left_for_a_superuser(ward):  # type: ignore[no-untyped-def]
    BankAccount.objects.create(
        unit=ward.unit,
        bank_bin="970436",
        bank_name="Vietcombank",
        account_number="0011002233",
        account_name="UBND PHUONG HA DONG",
    )
    line = _line("OLD-3", ward.tiepnhan)
    backfill(apps, None)
    line.refresh_from_db()
    assert line.account_id is None
