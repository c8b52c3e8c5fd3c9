"""The public lookup's answer as the ORM read it before the plain-SQL read (dossiers.selectors):
the reference the equivalence tests compare `dossier_public_view` with."""

from __future__ import annotations

from typing import Any

from motcua.core.errors import NotFound
from motcua.core.text import ascii_digits
from motcua.dossiers.models import Dossier, DossierEvent
from motcua.dossiers.selectors import TIMELINE_SOURCES
from motcua.dossiers.services import dossier_by_number
from motcua.dossiers.workflow import ACTION_LABELS, STATUS_LABELS, Status

COLUMNS = (
    "code", "reference", "channel", "status", "received_at", "due_at", "appointment_at",
    "paused_at", "result_ready_at", "returned_at", "result_timeliness", "citizen_id_number",
    "citizen_phone_last4", "procedure_version__name", "procedure_version__procedure__code",
    "unit__name",
)  # fmt: skip


def orm_public_view(*, code: str, verify: str) -> dict[str, Any]:
    verify = (verify or "").strip()
    dossier = (
        dossier_by_number(
            Dossier.objects.select_related("procedure_version__procedure", "unit"), code
        )
        .only(*COLUMNS)
        .first()
    )
    ok = (
        dossier is not None
        and len(verify) == 4
        and ascii_digits(verify)
        and (dossier.citizen_id_number.endswith(verify) or dossier.citizen_phone_last4 == verify)
    )
    if not ok:
        raise NotFound(
            "Không tìm thấy hồ sơ với mã và 4 số cuối CCCD/điện thoại đã nhập.",
            code="dossier_not_found",
        )
    assert dossier is not None
    events = DossierEvent.objects.filter(dossier=dossier).only("at", "action", "to_status")
    timeline: list[dict[str, Any]] = [
        {
            "at": e.at,
            "action": e.action,
            "action_label": ACTION_LABELS.get(e.action, e.action),
            "status": e.to_status,
            "status_label": STATUS_LABELS[Status(e.to_status)],
        }
        for e in events
    ]
    more: list[dict[str, Any]] = []
    for source in TIMELINE_SOURCES:
        more.extend(source(dossier, True))
    if more:
        timeline = sorted(timeline + more, key=lambda r: r["at"])
    return {
        "code": dossier.code,
        "reference": dossier.reference,
        "official_code": dossier.official_code,
        "procedure": dossier.procedure_version.name,
        "procedure_code": dossier.procedure_version.procedure.code,
        "unit": dossier.unit.name,
        "channel": dossier.channel,
        "status": dossier.status,
        "status_label": dossier.status_label,
        "received_at": dossier.received_at,
        "due_at": dossier.due_at,
        "appointment_at": dossier.appointment_at,
        "paused": dossier.paused_at is not None,
        "result_ready_at": dossier.result_ready_at,
        "returned_at": dossier.returned_at,
        "result_timeliness": dossier.result_timeliness,
        "timeline": timeline,
    }


def same_answer(code: str, verify: str) -> Any:
    """`dossier_public_view` and the ORM reference give the same view (or the same error)."""
    from motcua.dossiers.selectors import dossier_public_view

    def run(fn: Any) -> Any:
        try:
            return fn(code=code, verify=verify)
        except NotFound as exc:
            return ("not found", exc.code, exc.message, exc.status)

    new, old = run(dossier_public_view), run(orm_public_view)
    assert new == old
    if isinstance(new, dict):  # the same types too (datetimes, ints), not only equal values
        assert [type(v) for v in new.values()] == [type(v) for v in old.values()]
        for a, b in zip(new["timeline"], old["timeline"], strict=True):
            assert list(a.items()) == list(b.items())
            assert [type(v) for v in a.values()] == [type(v) for v in b.values()]
    return new
