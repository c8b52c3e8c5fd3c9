"""Reads of the dossiers app: worklists, search with keyset pagination, public lookup, statistics."""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, F, Q, QuerySet

from motcua.core import clock
from motcua.core.errors import NotFound, ValidationFailed
from motcua.core.text import ascii_digits, fold
from motcua.dossiers import deadlines
from motcua.dossiers.models import Dossier, DossierEvent
from motcua.dossiers.workflow import (
    ACTION_LABELS,
    CLOCK_PAUSED,
    CLOCK_RUNNING,
    OPEN,
    STATUS_LABELS,
    STEP_LABELS,
    TIMELINESS_LABELS,
    Status,
)

_RUNNING = [int(s) for s in CLOCK_RUNNING]
_OPEN = [int(s) for s in OPEN]
_PAUSED = [int(s) for s in CLOCK_PAUSED]

WORKLISTS = {
    "mine": "Hồ sơ của tôi",
    "due_soon": "Sắp đến hạn (trong 1 ngày làm việc)",
    "overdue": "Quá hạn",
    "supplement": "Chờ bổ sung",
    "ready": "Chờ trả kết quả",
    "online": "Hồ sơ trực tuyến chờ tiếp nhận",
    "all": "Tất cả",
}


def visible_dossiers(*, user: Any) -> QuerySet[Dossier]:
    """Dossiers of the units an official works for (and their sub-units); everything for superusers."""
    from motcua.org.permissions import visible_unit_ids

    qs = Dossier.objects.all()
    if getattr(user, "is_superuser", False):
        return qs
    ids = visible_unit_ids(user)
    return qs.filter(Q(unit_id__in=ids) | Q(holder_unit_id__in=ids))


def waiting_by_unit(*, user: Any, unit_ids: list[int]) -> dict[int, int]:
    """How many of the official's own dossiers ("my dossiers") wait in each of `unit_ids`.

    A dossier counts for the unit whose tree (sub-units, and the units it replaced) holds it;
    for the unit switcher and for landing an official where their work is.
    """
    if not unit_ids or not getattr(user, "pk", None):
        return {}
    held = dict(
        Dossier.objects.filter(holder=user, status__in=_OPEN + [Status.FINISHED])
        .values_list("holder_unit_id")
        .annotate(n=Count("id"))
        .values_list("holder_unit_id", "n")
    )
    counts = {pk: 0 for pk in unit_ids}
    if not held:
        return counts
    from motcua.org.permissions import _closure, unit_graph

    _, children, predecessors = unit_graph()
    for pk in unit_ids:
        tree = _closure(_closure({pk}, children), predecessors)
        counts[pk] = sum(n for holder_unit, n in held.items() if holder_unit in tree)
    return counts


def due_soon_limit(*, unit: Any = None, now: datetime | None = None) -> datetime:
    """The moment one working day from now: dossiers due before it get the warning."""
    now = now or clock.now()
    return deadlines.calendar(unit).add_working_days(now, 1)


def dossier_worklist(
    *, user: Any, kind: str = "mine", unit: Any = None, now: datetime | None = None
) -> QuerySet[Dossier]:
    """One worklist (mine, due_soon, overdue, supplement, ready, online, all), most urgent first."""
    now = now or clock.now()
    qs = visible_dossiers(user=user)
    # "My dossiers" covers every unit the official works for: work handed to them in another
    # of their units must not hide behind the unit switcher.
    if unit is not None and kind != "mine":
        qs = qs.filter(Q(unit=unit) | Q(holder_unit=unit))
    if kind == "mine":
        qs = qs.filter(holder=user, status__in=_OPEN + [Status.FINISHED])
    elif kind == "due_soon":
        qs = qs.filter(
            status__in=_RUNNING,
            paused_at__isnull=True,
            due_at__gte=now,
            due_at__lte=due_soon_limit(unit=unit, now=now),
        )
    elif kind == "overdue":
        qs = qs.filter(status__in=_RUNNING, paused_at__isnull=True, due_at__lt=now)
    elif kind == "supplement":
        qs = qs.filter(status=Status.SUPPLEMENT)
    elif kind == "ready":
        qs = qs.filter(status=Status.FINISHED)
    elif kind == "online":
        qs = qs.filter(status=Status.SUBMITTED)
    elif kind != "all":
        raise ValidationFailed("Danh sách hồ sơ không hợp lệ.", code="invalid_worklist")
    order = (
        [F("due_at").asc(nulls_last=True), "id"]
        if kind in _BY_DUE
        else [F("received_at").desc(), F("id").desc()]
    )
    # Citizens are prefetched (one query for the page) rather than joined: a join with the
    # citizen table makes PostgreSQL hash the whole table before it can sort and cut the page.
    return (
        qs.select_related("procedure_version", "holder", "unit")
        .prefetch_related("citizen")
        .order_by(*order)
    )


_BY_DUE = ("due_soon", "overdue", "mine", "ready")


def _us(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(microseconds=1)


def dossier_worklist_page(
    *,
    user: Any,
    kind: str = "mine",
    unit: Any = None,
    now: datetime | None = None,
    cursor: str = "",
    limit: int = 50,
) -> tuple[list[Dossier], str]:
    """One page of a worklist after `cursor` (keyset: as fast on page 2,000 as on page 1).

    Due-ordered lists page on (due_at, id) with dossiers without a due moment last; the others
    on (received_at, id) newest first. The cursor is plain text safe in a URL.
    """
    qs = dossier_worklist(user=user, kind=kind, unit=unit, now=now)
    if cursor:
        try:
            head, id_raw = cursor.split("_", 1)
            last_id = int(id_raw)
            if kind in _BY_DUE:
                if head == "n":
                    qs = qs.filter(due_at__isnull=True, id__gt=last_id)
                else:
                    due = _EPOCH + timedelta(microseconds=int(head))
                    # The plain range first lets the index scan start at the cursor; the OR
                    # then settles ties on the same moment.
                    qs = qs.filter(Q(due_at__gte=due) | Q(due_at__isnull=True)).filter(
                        Q(due_at__gt=due) | Q(due_at=due, id__gt=last_id) | Q(due_at__isnull=True)
                    )
            else:
                received = _EPOCH + timedelta(microseconds=int(head))
                qs = qs.filter(received_at__lte=received).filter(
                    Q(received_at__lt=received) | Q(received_at=received, id__lt=last_id)
                )
        except (ValueError, OverflowError):
            raise ValidationFailed(
                "Liên kết trang không còn hợp lệ, vui lòng xem lại từ trang đầu.",
                code="invalid_cursor",
            ) from None
    limit = max(1, min(int(limit), 200))
    rows = list(qs[: limit + 1])
    next_cursor = ""
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        if kind in _BY_DUE:
            next_cursor = f"{'n' if last.due_at is None else _us(last.due_at)}_{last.pk}"
        else:
            next_cursor = f"{_us(last.received_at)}_{last.pk}"
    return rows, next_cursor


def warning_level(dossier: Dossier, *, now: datetime | None = None) -> str:
    """'' / 'soon' (due within one working day) / 'overdue' for a dossier whose clock runs."""
    now = now or clock.now()
    if dossier.status not in _RUNNING or dossier.paused_at or dossier.due_at is None:
        return ""
    if dossier.due_at < now:
        return "overdue"
    if dossier.due_at <= due_soon_limit(unit=dossier.unit, now=now):
        return "soon"
    return ""


def step_warning(dossier: Dossier, *, now: datetime | None = None) -> str:
    """The same warning for the current step's own deadline."""
    now = now or clock.now()
    if (
        dossier.step_due_at is None
        or dossier.paused_at
        or dossier.status not in _RUNNING + [Status.FINISHED]
    ):
        return ""
    if dossier.step_due_at < now:
        return "overdue"
    if dossier.step_due_at > due_soon_limit(unit=dossier.unit, now=now):
        return ""
    # Within a working day of the step's deadline, warn only in the last quarter of the step's
    # own time: a step shorter than a working day (reception gets 10% of a 3-day procedure,
    # about 2 hours) was otherwise "soon" the moment the dossier was received. A same-day
    # procedure has no step time of its own; the dossier's own badge warns for it.
    share = deadlines.step_shares(dossier.procedure.code).get(dossier.step, 0)
    allotted = timedelta(seconds=dossier.allowed_seconds) * share / 100
    remaining = deadlines.calendar(dossier.unit).working_time_between(now, dossier.step_due_at)
    return "soon" if remaining <= allotted / 4 else ""


def _day_start(d: date) -> datetime:
    return datetime.combine(d, time.min, tzinfo=clock.VN_TZ)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def dossier_search(
    *,
    user: Any = None,
    q: str = "",
    code: str = "",
    id_number: str = "",
    name: str = "",
    procedure: str = "",
    status: int | None = None,
    unit: Any = None,
    date_from: date | None = None,
    date_to: date | None = None,
    cursor: str = "",
    limit: int = 50,
) -> tuple[list[Dossier], str]:
    """Search newest first with a keyset cursor (stays fast deep into a million rows); returns (rows, next cursor).

    `q` alone is read as a code (contains '-' or starts with digits and '.'), a 12-digit ID
    number, or a name (diacritics-insensitive).
    """
    qs = visible_dossiers(user=user) if user is not None else Dossier.objects.all()
    q = q.strip()
    if q:
        if len(q) == 12 and ascii_digits(q):
            id_number = id_number or q
        elif "-" in q or (q[:1].isdigit() and "." in q):
            code = code or q
        else:
            name = name or q
    if code:
        qs = (
            qs.filter(code__startswith=code.strip().upper())
            if code.strip()[:1].isdigit()
            # An online reference (TT-…) stays searchable after acceptance gave an official code.
            else qs.filter(Q(code__istartswith=code.strip()) | Q(reference=code.strip().upper()))
        )
    if id_number:
        qs = qs.filter(citizen_id_number=id_number.strip())
    if name:
        qs = qs.filter(citizen_name_folded__contains=fold(name))
    if procedure:
        qs = qs.filter(procedure__code=procedure)
    if status:
        qs = qs.filter(status=int(status))
    if unit is not None:
        qs = qs.filter(unit=unit)
    if date_from:
        qs = qs.filter(received_at__gte=_day_start(date_from))
    if date_to:
        qs = qs.filter(received_at__lt=_day_start(date_to + timedelta(days=1)))
    if cursor:
        try:
            us_raw, id_raw = cursor.split("_", 1)
            ts, last_id = _EPOCH + timedelta(microseconds=int(us_raw)), int(id_raw)
        except ValueError:
            raise ValidationFailed(
                "Liên kết trang không còn hợp lệ, vui lòng xem lại từ trang đầu.",
                code="invalid_cursor",
            )
        qs = qs.filter(Q(received_at__lt=ts) | Q(received_at=ts, id__lt=last_id))
    limit = max(1, min(int(limit), 200))
    rows = list(
        qs.select_related("procedure_version", "unit")
        .prefetch_related("citizen")
        .order_by("-received_at", "-id")[: limit + 1]
    )
    next_cursor = ""
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        # Integers only: the cursor travels in a URL untouched.
        us = (last.received_at - _EPOCH) // timedelta(microseconds=1)
        next_cursor = f"{us}_{last.pk}"
    return rows, next_cursor


# Other apps' milestones of a dossier kept in their own tables (a home visit's booking, the
# officer's arrival, "no one home"...), merged into the timeline when it is read. Each source is
# `source(dossier, public: bool) -> list[row]`; a row has the keys of `dossier_timeline`'s rows
# (public rows need only at, action, action_label, status, status_label). Apps register their
# source in their AppConfig.ready, so the dossier app imports none of them.
#
# A source may also give the public lookup its rows in plain SQL (`public_sql`), read in the same
# statement as the dossier's own events: `public_sql()` returns (sql, row) where sql is a SELECT
# of the columns (at, id, action, n, a, b) — n an integer or NULL, a and b text or NULL — with
# one parameter, the dossier's id, and row(at, action, n, a, b) builds the public row from a
# result (at already converted). The rows must be those `source(dossier, True)` gives, in the
# same order once sorted by (at, id).
TIMELINE_SOURCES: list[Any] = []
PUBLIC_TIMELINE_SQL: dict[Any, Any] = {}


def timeline_source_register(source: Any, *, public_sql: Any = None) -> None:
    if source not in TIMELINE_SOURCES:
        TIMELINE_SOURCES.append(source)
    if public_sql is not None:
        PUBLIC_TIMELINE_SQL[source] = public_sql
    _public_timeline_sql.cache_clear()


def _extra_rows(dossier: Dossier, *, public: bool) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for source in TIMELINE_SOURCES:
        rows.extend(source(dossier, public))
    return rows


def dossier_timeline(*, dossier: Dossier, extras: bool = True) -> list[dict[str, Any]]:
    """Every event of a dossier with labels (form 05 rows: giver, receiver, time, timeliness).

    With `extras` the milestones other apps keep (TIMELINE_SOURCES) are merged in by time."""
    rows: list[dict[str, Any]] = []
    for e in DossierEvent.objects.filter(dossier=dossier).select_related(
        "actor", "to_user", "to_unit", "unit"
    ):
        rows.append(
            {
                "at": e.at,
                "action": e.action,
                "action_label": ACTION_LABELS.get(e.action, e.action),
                "from_status": e.from_status,
                "to_status": e.to_status,
                "status_label": STATUS_LABELS[Status(e.to_status)],
                "actor": str(e.actor) if e.actor else "",
                "to_user": str(e.to_user) if e.to_user else "",
                "to_unit": str(e.to_unit) if e.to_unit else "",
                "unit": str(e.unit) if e.unit else "",
                "note": e.note,
                "step": e.step,
                "step_label": STEP_LABELS.get(e.step, ""),
                "step_due_at": e.step_due_at,
                "closed_step": e.closed_step,
                "closed_step_label": STEP_LABELS.get(e.closed_step, ""),
                "closed_step_timeliness": e.closed_step_timeliness,
                "closed_step_timeliness_label": TIMELINESS_LABELS.get(e.closed_step_timeliness, ""),
                "due_at": e.due_at,
            }
        )
    if extras:
        more = _extra_rows(dossier, public=False)
        if more:
            rows = sorted(rows + more, key=lambda r: r["at"])  # stable: same-time order kept
    return rows


def dossier_public_view(*, code: str, verify: str, failures: int | None = None) -> dict[str, Any]:
    """Status timeline and due date for the public lookup; no personal data.

    `verify` is the last 4 digits of the ID number or the phone; a wrong code and a wrong
    verify answer the same way, so codes cannot be probed. `failures`: the code's wrong-verifier
    count when the caller read it with its rate limit (`throttle.public_lookup_count`).
    """
    from motcua.core.throttle import verifier_guard

    # A code is locked for an hour after a few wrong verifiers, whoever sends them.
    with verifier_guard("dossier", code, mismatch={"dossier_not_found"}, failures=failures):
        return _dossier_public_view(code=code, verify=verify)


# The public lookup is the busiest public read: its two statements are plain SQL built once
# (the ORM's compile was most of the answer's CPU), with the ORM's own converters for the values.
# The dossier with its procedure and unit, by official code or online reference, the lowest id
# first (as `dossier_by_number(...).first()`); only the columns the answer shows and the two it
# verifies with.
_PUBLIC_FIELDS = (
    "id",
    "code",
    "reference",
    "channel",
    "status",
    "received_at",
    "due_at",
    "appointment_at",
    "paused_at",
    "result_ready_at",
    "returned_at",
    "result_timeliness",
    "citizen_id_number",
    "citizen_phone_last4",
)


@functools.cache
def _public_dossier_sql(vendor: str) -> str:
    from motcua.catalog.models import Procedure, ProcedureVersion
    from motcua.core.rawsql import quote
    from motcua.org.models import Unit

    columns = {f.name: str(f.column) for f in Dossier._meta.concrete_fields}
    cols = ", ".join(f"d.{quote(columns[f])}" for f in _PUBLIC_FIELDS)
    return (
        f"SELECT {cols}, pv.{quote('name')}, p.{quote('code')}, u.{quote('name')} "  # noqa: S608
        f"FROM {quote(Dossier._meta.db_table)} d "
        f"INNER JOIN {quote(ProcedureVersion._meta.db_table)} pv"
        f" ON pv.{quote('id')} = d.{quote('procedure_version_id')} "
        f"INNER JOIN {quote(Procedure._meta.db_table)} p"
        f" ON p.{quote('id')} = pv.{quote('procedure_id')} "
        f"INNER JOIN {quote(Unit._meta.db_table)} u ON u.{quote('id')} = d.{quote('unit_id')} "
        f"WHERE (d.{quote('code')} = %s OR d.{quote('reference')} = %s) "
        f"ORDER BY d.{quote('id')} ASC LIMIT 1"
    )


@functools.cache
def _public_timeline_sql(vendor: str) -> tuple[str, tuple[Any, ...], tuple[Any, ...]]:
    """The dossier's events and every source's public SQL rows in one UNION ALL statement
    (column 1: which part, 0 for the events), in order; the parts' row builders; the sources
    without SQL (read the ORM way)."""
    from motcua.core.rawsql import quote

    ev = quote(DossierEvent._meta.db_table)
    parts = [
        f"SELECT 0 AS src, {ev}.{quote('at')} AS at, {ev}.{quote('id')} AS id, "  # noqa: S608
        f"{ev}.{quote('action')} AS action, {ev}.{quote('to_status')} AS n, "
        f"CAST(NULL AS VARCHAR(40)) AS a, CAST(NULL AS VARCHAR(40)) AS b "
        f"FROM {ev} WHERE {ev}.{quote('dossier_id')} = %s"
    ]
    rows: list[Any] = []
    plain: list[Any] = []
    for source in TIMELINE_SOURCES:
        given = PUBLIC_TIMELINE_SQL.get(source)
        if given is None:
            plain.append(source)
            continue
        sql, row = given()
        rows.append(row)
        parts.append(f"SELECT {len(rows)}, q.* FROM ({sql}) q")  # noqa: S608
    return " UNION ALL ".join(parts) + " ORDER BY 1, 2, 3", tuple(rows), tuple(plain)


def _public_timeline(dossier_id: int) -> list[dict[str, Any]]:
    """The public timeline rows of a dossier, as `_dossier_public_view` gave them through the
    ORM: its events (at, id order), then, when a source has rows, everything sorted by time
    (stable: at the same moment the dossier's own events first, then each source's in turn)."""
    from django.db import connection

    from motcua.core.rawsql import prepared_cursor

    sql, builders, plain = _public_timeline_sql(connection.vendor)
    at = _public_converters(connection.vendor)[-1]  # DossierEvent.at
    with prepared_cursor() as cursor:
        cursor.execute(sql, [dossier_id] * (1 + len(builders)))
        found = cursor.fetchall()
    timeline: list[dict[str, Any]] = []
    more: list[dict[str, Any]] = []
    for src, when, _id, action, n, a, b in found:
        if src == 0:
            timeline.append(
                {
                    "at": at(when),
                    "action": action,
                    "action_label": ACTION_LABELS.get(action, action),
                    "status": n,
                    "status_label": STATUS_LABELS[Status(n)],
                }
            )
        else:
            more.append(builders[src - 1](at(when), action, n, a, b))
    if plain:
        stub = Dossier(id=dossier_id)
        for source in plain:
            more.extend(source(stub, True))
    if more:
        timeline = sorted(timeline + more, key=lambda r: r["at"])
    return timeline


@functools.cache
def _public_converters(vendor: str) -> tuple[Any, ...]:
    from motcua.core.rawsql import converter

    """The converters of the dossier's columns (in _PUBLIC_FIELDS order), then DossierEvent.at."""
    return (*(converter(Dossier, name) for name in _PUBLIC_FIELDS), converter(DossierEvent, "at"))


def _dossier_public_view(*, code: str, verify: str) -> dict[str, Any]:
    from django.db import connection

    from motcua.core.rawsql import prepared_cursor

    verify = (verify or "").strip()
    number = (code or "").strip()  # as dossier_by_number
    with prepared_cursor() as cursor:
        cursor.execute(_public_dossier_sql(connection.vendor), [number, number])
        row = cursor.fetchone()
    ok = (
        row is not None
        and len(verify) == 4
        and ascii_digits(verify)
        and (row[12].endswith(verify) or row[13] == verify)
    )
    if not ok:
        raise NotFound(
            "Không tìm thấy hồ sơ với mã và 4 số cuối CCCD/điện thoại đã nhập.",
            code="dossier_not_found",
        )
    assert row is not None
    d = {
        name: conv(raw)
        for name, conv, raw in zip(
            _PUBLIC_FIELDS, _public_converters(connection.vendor), row, strict=False
        )
    }
    reference = d["reference"]
    status = d["status"]
    return {
        "code": d["code"],
        "reference": reference,
        # Dossier.official_code
        "official_code": None if reference and d["code"] == reference else d["code"],
        "procedure": row[14],
        "procedure_code": row[15],
        "unit": row[16],
        "channel": d["channel"],
        "status": status,
        "status_label": STATUS_LABELS[Status(status)],  # Dossier.status_label
        "received_at": d["received_at"],
        "due_at": d["due_at"],  # the legal due moment
        "appointment_at": d["appointment_at"],  # the new date of an apology letter
        "paused": d["paused_at"] is not None,
        "result_ready_at": d["result_ready_at"],
        "returned_at": d["returned_at"],
        "result_timeliness": d["result_timeliness"],
        "timeline": _public_timeline(d["id"]),
    }


GROUPS = {
    "unit": "unit_id",
    "field": "field_id",
    "procedure": "procedure_id",
    "month": "received_month",
}


def dossier_stats(
    *,
    unit: Any = None,
    field: Any = None,
    procedure: Any = None,
    date_from: date | None = None,
    date_to: date | None = None,
    group_by: str = "unit",
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """On-time statistics of dossiers received in a period, grouped, computed in one SQL aggregate.

    A dossier counts in the period it was received in; resolved = result ready (9 or 10);
    early / on time / late compare the result moment with the legal due moment (an apology
    letter's new date never makes a late dossier on time).
    In progress counts statuses 2, 4, 5, 6: overdue when the clock runs and the due moment passed.
    """
    if group_by not in GROUPS:
        raise ValidationFailed("Cách nhóm thống kê không hợp lệ.", code="invalid_group_by")
    now = now or clock.now()
    qs = Dossier.objects.all()
    if unit is not None:
        qs = (
            qs.filter(unit_id__in=unit.descendant_ids())
            if hasattr(unit, "descendant_ids")
            else qs.filter(unit=unit)
        )
    if field is not None:
        qs = qs.filter(field=field)
    if procedure is not None:
        qs = qs.filter(procedure=procedure)
    if date_from:
        qs = qs.filter(received_at__gte=_day_start(date_from))
    if date_to:
        qs = qs.filter(received_at__lt=_day_start(date_to + timedelta(days=1)))
    key = GROUPS[group_by]
    overdue = Q(status__in=_RUNNING, paused_at__isnull=True, due_at__lt=now)
    rows = list(
        qs.values(key)
        .annotate(
            received=Count("id"),
            online_pending=Count("id", filter=Q(status=Status.SUBMITTED)),
            refused=Count("id", filter=Q(status=Status.REFUSED)),
            resolved=Count("id", filter=Q(status__in=[Status.FINISHED, Status.RETURNED])),
            resolved_early=Count("id", filter=Q(result_timeliness="early")),
            resolved_on_time=Count("id", filter=Q(result_timeliness="on_time")),
            resolved_late=Count("id", filter=Q(result_timeliness="late")),
            in_progress=Count("id", filter=Q(status__in=_OPEN)),
            in_progress_overdue=Count("id", filter=overdue),
            returned=Count("id", filter=Q(status=Status.RETURNED)),
            withdrawn=Count("id", filter=Q(status=Status.WITHDRAWN)),
            stopped=Count("id", filter=Q(status=Status.STOPPED)),
        )
        .order_by(key)
    )
    names = _group_names(group_by, {r[key] for r in rows})
    out = []
    for r in rows:
        value = r.pop(key)
        r["in_progress_on_time"] = r["in_progress"] - r["in_progress_overdue"]
        good = r["resolved_early"] + r["resolved_on_time"]
        r["on_time_pct"] = round(100 * good / r["resolved"], 1) if r["resolved"] else None
        if group_by == "month":
            month = value
            r["key"] = f"{month:%Y-%m}" if month else ""
            r["name"] = f"Tháng {month:%m/%Y}" if month else ""
        else:
            r["key"], r["name"] = names.get(value, (str(value), str(value)))
        out.append(r)
    return out


def _group_names(group_by: str, ids: set[Any]) -> dict[Any, tuple[str, str]]:
    from motcua.catalog.models import Field, Procedure, ProcedureVersion
    from motcua.org.models import Unit

    if group_by == "unit":
        return {u.pk: (u.code, u.name) for u in Unit.objects.filter(pk__in=ids)}
    if group_by == "field":
        return {f.pk: (f.code, f.name) for f in Field.objects.filter(pk__in=ids)}
    if group_by == "procedure":
        names = {}
        for p in Procedure.objects.filter(pk__in=ids):
            v = ProcedureVersion.objects.filter(procedure=p).order_by("-version").first()
            names[p.pk] = (p.code, v.name if v else p.code)
        return names
    return {}


def dossier_control_slip(*, dossier: Dossier) -> list[dict[str, Any]]:
    """Form 05 rows: one per hand-off with giver, receiver, time and the timeliness of the step closed."""
    rows = []
    for e in dossier_timeline(dossier=dossier, extras=False):
        rows.append(
            {
                "at": e["at"],
                "giver": e["actor"] or "Công dân",
                "receiver": e["to_user"] or e["to_unit"] or e["unit"],
                "action": e["action_label"],
                "status": e["status_label"],
                "step_due_at": e["step_due_at"],
                "timeliness": e["closed_step_timeliness_label"],
                "note": e["note"],
            }
        )
    return rows
