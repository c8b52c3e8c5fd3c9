"""Lines imported before statements were tied to an account get one where it is unambiguous, so
the officials who reconcile that account see them again (only superusers saw lines without an
account). The account is the only one of the unit of the line's matched payment, else the only
one among the importer's units; a line with no unambiguous account stays for a superuser."""

from __future__ import annotations

from typing import Any

from django.db import migrations


def backfill(apps: Any, schema_editor: Any) -> None:
    BankAccount = apps.get_model("payments", "BankAccount")
    BankStatementLine = apps.get_model("payments", "BankStatementLine")
    StaffRole = apps.get_model("org", "StaffRole")

    def only_account(unit_ids: set[int]) -> Any:
        accounts = list(
            BankAccount.objects.filter(unit_id__in=unit_ids).values_list("pk", flat=True)[:2]
        )
        return accounts[0] if len(accounts) == 1 else None

    for line in BankStatementLine.objects.filter(account__isnull=True).select_related(
        "payment__dossier"
    ):
        account = None
        if line.payment_id is not None:
            account = only_account({line.payment.dossier.unit_id})
        if account is None and line.imported_by_id is not None:
            units = set(
                StaffRole.objects.filter(user_id=line.imported_by_id).values_list(
                    "unit_id", flat=True
                )
            )
            account = only_account(units) if units else None
        if account is not None:
            line.account_id = account
            line.save(update_fields=["account"])


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0003_receipt_xml_outbox_statements"),
        ("org", "0004_unit_boundary"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
