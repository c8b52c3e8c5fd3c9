"""Rows of the office that change rarely, remembered per process for the hot paths.

Offices, their queue services, counters and who serves what, the queue rules, the age-based
priority groups and the officials' staff roles are read on every check-in, call and board
request, and change a few times a day. They are kept here per process for at most `LOOKUP_FRESH_S` seconds and forgotten at once
in this process when any of those rows is saved or deleted (signals below). Another process
sees a change within LOOKUP_FRESH_S: a kiosk may still issue a ticket for a service closed a
few seconds ago, as it could in a request racing the change. The ticket, counter and day rows
that carry the queue's guarantees (one number per ticket, one counter per call) are never read
from here: they are read and locked in the transaction as before.

Cached instances are shared by requests: read them, never change and save them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from motcua.core.text import ascii_digits

LOOKUP_FRESH_S = 5.0

_T = TypeVar("_T")
_store: dict[tuple[Any, ...], tuple[float, Any]] = {}
_lock = threading.Lock()
_generation = 0  # bumped by clear(): a value built across a change is not kept
# The counters busy right now move with the queue, not with the office's set-up: kept apart,
# per office, and forgotten in this process when one of the office's tickets is called,
# finished, transferred... (any event but an issue or a priority change), at once and again at
# commit; other processes see it within LOOKUP_FRESH_S. Only the wait estimate reads them, where
# a few seconds' staleness is harmless; the calls themselves never do.
_moving: dict[int, dict[int, tuple[float, int]]] = {}  # office → service → (until, free)
_moving_generation: dict[int, int] = {}  # office → bumped when its counters move


def clear() -> None:
    """Forget everything (a row changed in this process; tests between cases), boards included
    (they show the office's names and counters)."""
    global _generation
    from motcua.queueing.selectors import _BOARDS

    with _lock:
        _store.clear()
        _BOARDS.clear()
        _moving.clear()
        _generation += 1


def _office_moved(office_id: int) -> None:
    with _lock:
        _moving.pop(office_id, None)
        _moving_generation[office_id] = _moving_generation.get(office_id, 0) + 1


def event_written(office_id: int, kind: str) -> None:
    """A ticket event was written (called by `services.base._event`, whose plain-SQL insert
    sends no signal, and by the post_save receiver below for events saved through the ORM):
    counters may have taken or let go of a ticket."""
    from django.db import transaction

    from motcua.queueing.models import EventKind

    if kind in (EventKind.ISSUE, EventKind.PRIORITY):
        return  # a new ticket, a priority group: no counter changes hands
    _office_moved(office_id)
    transaction.on_commit(lambda: _office_moved(office_id))


def _ticket_event(sender: Any, instance: Any, created: bool = False, **_kwargs: Any) -> None:
    event_written(instance.office_id, instance.kind)


def free_counters(office_id: int, service_id: int, build: Callable[[], int]) -> int:
    """The service's counters with nobody called or in service (`build` counts them)."""
    now = time.monotonic()
    hit = _moving.get(office_id, {}).get(service_id)
    if hit is not None and hit[0] > now:
        return hit[1]
    generation = (_generation, _moving_generation.get(office_id, 0))
    value = build()
    with _lock:
        if generation == (_generation, _moving_generation.get(office_id, 0)):
            _moving.setdefault(office_id, {})[service_id] = (now + LOOKUP_FRESH_S, value)
    return value


def generation() -> int:
    return _generation


def _changed(*_args: Any, **_kwargs: Any) -> None:
    """A row was saved or deleted: forget now, and again once its transaction commits (a value
    read inside the transaction before the commit must not outlive a rollback)."""
    from django.db import transaction

    clear()
    transaction.on_commit(clear)


def _remember(key: tuple[Any, ...], build: Callable[[], _T]) -> _T:
    now = time.monotonic()
    hit = _store.get(key)
    if hit is not None and hit[0] > now:
        return hit[1]  # type: ignore[no-any-return]
    generation = _generation
    value = build()
    if value is not None:
        with _lock:
            if generation == _generation:
                _store[key] = (now + LOOKUP_FRESH_S, value)
    return value


def office(value: str | int) -> Any:
    """The active office with this id or code, or None."""
    from motcua.org.models import Office

    text = str(value).strip()

    def build() -> Any:
        qs = Office.objects.filter(is_active=True)
        return (
            qs.filter(pk=int(text)).first() if ascii_digits(text) else qs.filter(code=text).first()
        )

    return _remember(("office", text), build)


def office_remembered(value: str) -> Any:
    """The office `office(value)` remembers now, or None (no query: for the event loop)."""
    hit = _store.get(("office", value.strip()))
    return hit[1] if hit is not None and hit[0] > time.monotonic() else None


def service(office_id: int, value: str | int) -> Any:
    """The office's active service with this code (any case) or id, or None."""
    from motcua.queueing.models import Service

    text = str(value).strip()

    def build() -> Any:
        qs = Service.objects.filter(office_id=office_id, active=True)
        found = qs.filter(code__iexact=text).first()
        if found is None and ascii_digits(text):
            found = qs.filter(pk=int(text)).first()
        return found

    return _remember(("service", office_id, text.upper()), build)


def settings(office_id: int) -> Any:
    """The office's queue rules (created with the defaults on first use)."""
    from motcua.queueing.models import QueueSettings

    return _remember(
        ("settings", office_id),
        lambda: QueueSettings.objects.get_or_create(office_id=office_id)[0],
    )


def office_row(office_id: int) -> Any:
    """The office with this id, active or not, with its unit (None: no such office)."""
    from motcua.org.models import Office

    return _remember(
        ("office_row", office_id),
        lambda: Office.objects.select_related("unit").filter(pk=office_id).order_by("pk").first(),
    )


def service_row(service_id: int) -> Any:
    """The service with this id, active or not (a ticket's service), or None."""
    from motcua.queueing.models import Service

    return _remember(
        ("service_row", service_id),
        lambda: Service.objects.filter(pk=service_id).order_by("pk").first(),
    )


def counter(counter_id: int) -> Any:
    """The counter with this id and its office (with the office's unit), or None.

    Only where the counter stands is taken from here; whether it is open, and its number, are
    read with the call (the row is locked and read in the call's transaction)."""
    from motcua.org.models import Counter

    return _remember(
        ("counter", counter_id),
        lambda: (
            Counter.objects.select_related("office__unit")
            .filter(pk=counter_id)
            .order_by("pk")
            .first()
        ),
    )


def staff_roles(user_id: int) -> tuple[tuple[int, str], ...]:
    """(unit id, role) of every staff role the user holds.

    Permissions: a role granted or revoked in this process counts at once (signals below); in
    another process within LOOKUP_FRESH_S seconds (the queue's call and counter buttons use
    this; an official whose role was revoked may still call for those few seconds)."""
    from motcua.org.models import StaffRole

    return _remember(
        ("staff_roles", user_id),
        lambda: tuple(StaffRole.objects.filter(user_id=user_id).values_list("unit_id", "role")),
    )


def counter_services(counter_id: int) -> list[int]:
    """Ids of the active services a counter serves."""
    from motcua.queueing.models import CounterService

    return _remember(
        ("counter_services", counter_id),
        lambda: list(
            CounterService.objects.filter(counter_id=counter_id, service__active=True)
            .order_by("service_id")
            .values_list("service_id", flat=True)
        ),
    )


def linked_counters(service_id: int) -> tuple[int, ...]:
    """Ids of every counter linked to a service, open or not (the pace of its past tickets)."""
    from motcua.queueing.models import CounterService

    return _remember(
        ("linked_counters", service_id),
        lambda: tuple(
            CounterService.objects.filter(service_id=service_id).values_list(
                "counter_id", flat=True
            )
        ),
    )


@dataclass(frozen=True)
class ServiceCounters:
    """The open counters serving a service, and its capacity (a counter shared by k active
    services counts 1/k)."""

    counter_ids: tuple[int, ...]
    capacity: float


def service_counters(service_id: int) -> ServiceCounters:
    from django.db.models import Count

    from motcua.queueing.models import CounterService

    def build() -> ServiceCounters:
        ids = list(
            CounterService.objects.filter(service_id=service_id, counter__is_active=True)
            .order_by("counter_id")
            .values_list("counter_id", flat=True)
        )
        shares = (
            CounterService.objects.filter(counter_id__in=ids, service__active=True)
            .values("counter_id")
            .annotate(n=Count("id"))
            .order_by()
        )
        return ServiceCounters(
            counter_ids=tuple(ids), capacity=sum(1.0 / r["n"] for r in shares if r["n"])
        )

    return _remember(("service_counters", service_id), build)


def age_groups() -> list[tuple[int, Any]]:
    """Priority groups granted by age: (min_age, group), strongest first (weight, then code)."""
    from motcua.queueing.models import PriorityGroup

    return _remember(
        ("age_groups",),
        lambda: [
            (int(g.min_age or 0), g)
            for g in PriorityGroup.objects.filter(min_age__isnull=False).order_by("-weight", "code")
        ],
    )


def connect_signals() -> None:
    from django.db.models.signals import post_delete, post_save

    from motcua.org.models import Counter, Office, StaffRole, Unit
    from motcua.queueing.models import (
        CounterService,
        PriorityGroup,
        QueueSettings,
        Service,
        TicketEvent,
    )

    models = (Office, Counter, Service, CounterService, QueueSettings, PriorityGroup)
    for model in (*models, StaffRole, Unit):
        post_save.connect(
            _changed, sender=model, dispatch_uid=f"queue-lookups-save-{model.__name__}"
        )
        post_delete.connect(
            _changed, sender=model, dispatch_uid=f"queue-lookups-delete-{model.__name__}"
        )
    post_save.connect(_ticket_event, sender=TicketEvent, dispatch_uid="queue-lookups-event")
