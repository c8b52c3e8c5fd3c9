"""Worklist pages by keyset: walking every page gives each dossier exactly once, in order, also
with equal due moments and dossiers without one; the page links carry the cursor."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import F
from dossiers_helpers import CITIZEN, vn

from motcua.core import clock
from motcua.core.errors import ValidationFailed
from motcua.dossiers import selectors
from motcua.dossiers.models import Dossier
from motcua.dossiers.services import dossier_receive

pytestmark = pytest.mark.django_db


@pytest.fixture
def seven(office):
    clock.set_frozen(vn(2026, 11, 17, 9, 0))
    try:
        for i in range(7):
            clock.set_frozen(vn(2026, 11, 17, 9, i))
            dossier_receive(
                procedure_code="1.001193", channel="direct", citizen=CITIZEN, unit=office.ward,
                actor=office.tiepnhan,
            )  # fmt: skip
    finally:
        clock.set_frozen(vn(2026, 11, 17, 10, 0))
    ids = list(Dossier.objects.order_by("id").values_list("id", flat=True))
    base = vn(2026, 11, 27, 17, 0)
    # Ties on the due moment, and one without a due moment (it goes last).
    dues = [base, base, base + timedelta(hours=1), base, None, base - timedelta(days=1), base]
    for pk, due in zip(ids, dues, strict=True):
        Dossier.objects.filter(pk=pk).update(due_at=due, holder=office.tiepnhan)
    yield office
    clock.set_frozen(None)


def walk(user, kind, limit):
    seen, cursor = [], ""
    while True:
        rows, cursor = selectors.dossier_worklist_page(
            user=user, kind=kind, cursor=cursor, limit=limit
        )
        seen.extend(d.pk for d in rows)
        if not cursor:
            return seen


@pytest.mark.parametrize("limit", [1, 2, 3, 50])
def test_due_ordered_pages_cover_every_dossier_once_in_order(seven, limit):
    expected = [d.pk for d in selectors.dossier_worklist(user=seven.tiepnhan, kind="mine")]
    assert len(expected) == 7
    due_order = list(
        Dossier.objects.filter(due_at__isnull=False)
        .order_by("due_at", "id")
        .values_list("id", flat=True)
    )
    assert expected[:6] == due_order  # the one without a due moment comes last on every database
    assert walk(seven.tiepnhan, "mine", limit) == expected


@pytest.mark.parametrize("limit", [1, 3])
def test_newest_first_pages_cover_every_dossier_once(seven, limit):
    expected = [d.pk for d in selectors.dossier_worklist(user=seven.tiepnhan, kind="all")]
    assert expected == sorted(expected, reverse=True) and len(expected) == 7
    assert walk(seven.tiepnhan, "all", limit) == expected


def test_a_tampered_cursor_is_refused_in_vietnamese(seven):
    with pytest.raises(ValidationFailed) as exc:
        selectors.dossier_worklist_page(user=seven.tiepnhan, kind="mine", cursor="abc_def")
    assert exc.value.code == "invalid_cursor" and "không còn hợp lệ" in exc.value.message


def test_worklist_page_links_carry_the_cursor(client, seven, monkeypatch):
    from motcua.dossiers import views

    monkeypatch.setattr(views, "PAGE_SIZE", 3)
    client.force_login(seven.tiepnhan)
    first = client.get("/can-bo/ho-so/", {"ds": "mine"}).content.decode()
    assert "sau=" in first and "Trang sau" in first
    codes = list(  # page 1: the earliest due
        Dossier.objects.order_by(F("due_at").asc(nulls_last=True), "id").values_list(
            "code", flat=True
        )
    )
    assert codes[0] in first
    next_q = first.split('href="?ds=mine&amp;sau=', 1)[1].split('"', 1)[0]
    second = client.get("/can-bo/ho-so/", {"ds": "mine", "sau": next_q}).content.decode()
    assert codes[0] not in second.split('id="worklist-results"', 1)[1]
    assert "Về trang đầu" in second
    bad = client.get("/can-bo/ho-so/", {"ds": "mine", "sau": "xyz"}).content.decode()
    assert "Liên kết trang không còn hợp lệ, vui lòng xem lại từ trang đầu." in bad
