"""Reads of the document registers: what an official may see, and search."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from motcua.core.errors import NotFound
from motcua.core.text import fold
from motcua.correspondence.models import Direction, Document
from motcua.correspondence.services import READ_ROLES
from motcua.org.models import StaffRole, Unit


def readable_unit_ids(user: Any) -> set[int]:
    """Units whose registers `user` may read: where they hold a reading role, and the sub-units."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return set()
    if user.is_superuser:
        return set(Unit.objects.values_list("pk", flat=True))
    from motcua.org.permissions import _closure, unit_graph

    own = set(
        StaffRole.objects.filter(user=user, role__in=READ_ROLES).values_list("unit_id", flat=True)
    )
    if not own:
        return set()
    _, children, _ = unit_graph()
    return _closure(own, children)


def documents_visible(*, user: Any) -> QuerySet[Document]:
    return Document.objects.filter(unit_id__in=readable_unit_ids(user))


def document_for(*, user: Any, pk: int) -> Document:
    """One document the official may read (404 otherwise: another unit's register is not shown)."""
    doc = (
        documents_visible(user=user)
        .select_related("unit", "assignee", "register", "created_by")
        .filter(pk=pk)
        .first()
    )
    if doc is None:
        raise NotFound("Không tìm thấy văn bản.")
    return doc


def documents_search(
    *, user: Any, box: str, q: str = "", unit: Unit | None = None, status: str = ""
) -> QuerySet[Document]:
    """A register's documents, newest first, whose fields contain the phrase `q`.

    Fields are stored folded (no diacritics, lower case), so "quyet dinh" finds "Quyết định".
    """
    direction = Direction.INCOMING if box == "incoming" else Direction.OUTGOING
    qs = documents_visible(user=user).filter(direction=direction)
    if unit is not None:
        qs = qs.filter(unit=unit)
    if status:
        qs = qs.filter(status=status)
    phrase = fold(q)
    if phrase:
        qs = qs.filter(search__contains=phrase)
    return qs.select_related("unit", "assignee").order_by("-created_at", "-pk")


def partner_delays(
    *,
    unit_ids: set[int] | None = None,
    today: Any = None,
    date_from: Any = None,
    date_to: Any = None,
) -> list[dict[str, Any]]:
    """Per partner agency: requests, answers, answers late and their working days late, and
    requests still waiting past their sub-deadline (SQL aggregates over the consultations);
    `date_from`/`date_to` bound the day the request was sent. These days are the partner's
    delay: the office that waited is not counted late for them."""
    from django.db.models import Count, Q, Sum

    from motcua.core import clock
    from motcua.correspondence.models import Consultation

    today = today or clock.today()
    qs = Consultation.objects.all()
    if unit_ids is not None:
        qs = qs.filter(dossier__unit_id__in=unit_ids)
    if date_from is not None:
        qs = qs.filter(asked_at__date__gte=date_from)
    if date_to is not None:
        qs = qs.filter(asked_at__date__lte=date_to)
    rows = (
        qs.values("agency_code", "agency_name")
        .annotate(
            asked=Count("id"),
            answered=Count("id", filter=Q(answer__isnull=False)),
            late=Count("id", filter=Q(late_days__gt=0)),
            late_days=Sum("late_days"),
            waiting_overdue=Count("id", filter=Q(answer__isnull=True, due_on__lt=today)),
        )
        .order_by("agency_code")
    )
    # Dossiers late for the citizen while this partner was late: their delay, not the office's
    # (shown beside the office's own figures, which keep the legal deadline).
    late_dossiers = dict(
        qs.filter(Q(late_days__gt=0) | Q(answer__isnull=True, due_on__lt=today))
        .filter(
            Q(dossier__result_timeliness="late")
            | Q(dossier__result_timeliness="", dossier__due_at__lt=clock.now())
        )
        .values("agency_code")
        .annotate(n=Count("dossier_id", distinct=True))
        .values_list("agency_code", "n")
    )
    return [
        dict(r, late_days=r["late_days"] or 0, dossiers_late=late_dossiers.get(r["agency_code"], 0))
        for r in rows
    ]


def document_statuses(doc: Document) -> list[Any]:
    """The statuses passed about a document: for one we sent, those of every recipient; for
    one we received, those our unit sent back (and a recall from its sender)."""
    from motcua.correspondence.models import StatusMessage

    if doc.direction == Direction.OUTGOING:
        qs = StatusMessage.objects.filter(dispatch__document=doc)
    else:
        qs = StatusMessage.objects.filter(document=doc)
    return list(qs.order_by("at", "pk")[:200])


def consultation_of(doc: Document) -> Any:
    """The consultation a document asks or answers, if any."""
    from motcua.correspondence.models import Consultation

    return (
        Consultation.objects.select_related("dossier")
        .filter(Q(request=doc) | Q(answer=doc))
        .first()
    )


def consultation_state(c: Any, today: Any) -> str:
    if c.answer_id:
        return "late" if c.late_days else "answered"
    return "overdue" if c.due_on < today else "waiting"


def consultations_for(*, user: Any, unit: Unit, state: str = "") -> list[Any]:
    """The consultations of dossiers of `unit` (and its sub-units) that `user` may read."""
    from motcua.core import clock
    from motcua.correspondence.models import Consultation

    today = clock.today()
    ids = readable_unit_ids(user)
    if unit.pk not in ids:
        return []
    from motcua.org.permissions import _closure, unit_graph

    _, children, _ = unit_graph()
    scope = _closure({unit.pk}, children) & ids
    qs = Consultation.objects.filter(dossier__unit_id__in=scope).select_related(
        "dossier", "request", "answer"
    )
    if state == "waiting":
        qs = qs.filter(answer__isnull=True, due_on__gte=today)
    elif state == "overdue":
        qs = qs.filter(answer__isnull=True, due_on__lt=today)
    elif state == "answered":
        qs = qs.filter(answer__isnull=False, late_days=0)
    elif state == "late":
        qs = qs.filter(answer__isnull=False, late_days__gt=0)
    rows = list(qs.order_by("answer_id", "due_on", "pk")[:300])
    for c in rows:
        c.state = consultation_state(c, today)  # type: ignore[attr-defined]
    return rows


def waiting_on_partners(dossier_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Per dossier: the agencies it still waits on, with their sub-deadline and whether the
    wait is already the partner's delay (past the sub-deadline)."""
    from motcua.core import clock
    from motcua.correspondence.models import Consultation

    today = clock.today()
    out: dict[int, list[dict[str, Any]]] = {}
    if not dossier_ids:
        return out
    for dossier_id, name, due_on in (
        Consultation.objects.filter(dossier_id__in=dossier_ids, answer__isnull=True)
        .order_by("due_on", "pk")
        .values_list("dossier_id", "agency_name", "due_on")
    ):
        out.setdefault(dossier_id, []).append(
            {"agency": name, "due_on": due_on, "partner_late": due_on < today}
        )
    return out


def published_documents(
    *, q: str = "", doc_type: str = "", unit_code: str = ""
) -> QuerySet[Document]:
    """Documents the units published on the portal (never a secret one, nor a recalled one),
    newest first; `q` is searched folded, so "chi thi" finds "Chỉ thị"."""
    from motcua.correspondence.models import DocStatus, Secrecy

    qs = Document.objects.filter(
        direction=Direction.OUTGOING,
        published_at__isnull=False,
        secrecy=Secrecy.NORMAL,
    ).exclude(status=DocStatus.RECALLED)
    if doc_type:
        qs = qs.filter(doc_type=doc_type)
    if unit_code:
        qs = qs.filter(unit__code=unit_code)
    phrase = fold(q)
    if phrase:
        qs = qs.filter(search__contains=phrase)
    return qs.select_related("unit").order_by("-issued_on", "-pk")


def publishing_units() -> list[Unit]:
    ids = published_documents().values_list("unit_id", flat=True).distinct()
    return list(Unit.objects.filter(pk__in=list(ids)).order_by("name"))


def late_to_register(rows: list[Document]) -> set[int]:
    """Arrivals still waiting for their incoming number past the day the rules allow: Decree
    30/2020/NĐ-CP art. 4 (as summarised by the ministries; the decree's text could not be read
    here): registered the day they arrive, at the latest the next working day; urgent ones
    (khẩn, thượng khẩn, hỏa tốc) at once, so the same day."""
    from motcua.core import clock
    from motcua.correspondence.models import DocStatus
    from motcua.worktime.selectors import calendar_for_unit

    today = clock.today()
    late: set[int] = set()
    calendars: dict[int, Any] = {}
    for doc in rows:
        if doc.status != DocStatus.ARRIVED or doc.received_at is None:
            continue
        arrived = clock.local(doc.received_at)
        if doc.urgency != "normal":
            limit = arrived.date()
        else:
            cal = calendars.setdefault(doc.unit_id, calendar_for_unit(doc.unit))
            limit = cal.add_working_days(arrived, 1).date()
        if today > limit:
            late.add(doc.pk)
    return late
