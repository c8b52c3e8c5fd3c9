"""What a ward office tripped over on its first day (issue 8, B1, B2, B4, B8), below the browser."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django import forms
from dossiers_helpers import CITIZEN, vn

from factories import ProcedureVersionFactory, StaffRoleFactory
from motcua.core import clock
from motcua.core.dates import INVALID_MESSAGE, DateTextField, parse_date
from motcua.core.errors import PermissionDenied
from motcua.dossiers import selectors, services
from motcua.dossiers.workflow import (
    HOLDER_ACTIONS,
    Status,
    allowed_actions,
    arrange_actions,
    usual_next_action,
)
from motcua.org.models import Role

pytestmark = pytest.mark.django_db

TUESDAY = vn(2026, 3, 10, 9, 0)  # a plain working Tuesday; the 3-day procedure is due Friday


def receive(office, at=TUESDAY, unit=None, actor=None, **kw):  # type: ignore[no-untyped-def]
    with clock.frozen(at):
        return services.dossier_receive(
            procedure_code=kw.pop("procedure", "1.001193"),
            channel="direct",
            citizen=CITIZEN,
            unit=unit or office.ward,
            actor=actor or office.tiepnhan,
            **kw,
        )


def act(dossier, action, actor, at=TUESDAY, **params):  # type: ignore[no-untyped-def]
    with clock.frozen(at):
        return services.dossier_act(dossier=dossier, action=action, actor=actor, **params)


# --- B1: officials land where their work is ---------------------------------------------------


@pytest.fixture
def two_units(office):  # type: ignore[no-untyped-def]
    """chuyenvien's first post is the ward's justice desk; she also works for Dương Nội."""
    StaffRoleFactory(user=office.chuyenvien, unit=office.other, role=Role.SPECIALIST)
    d = receive(office, unit=office.other, actor=office.tiepnhan_khac)
    d = act(d, "assign", office.tiepnhan_khac, to_user=office.chuyenvien.pk)
    return d


def test_my_dossiers_cover_every_unit_of_the_official(office, two_units):
    mine = selectors.dossier_worklist(user=office.chuyenvien, kind="mine", unit=office.dept)
    assert two_units in mine  # she is working in her other unit: the dossier is still hers
    # Other lists stay per unit.
    assert two_units not in selectors.dossier_worklist(
        user=office.chuyenvien, kind="all", unit=office.dept
    )


def test_waiting_counts_per_unit(office, two_units):
    counts = selectors.waiting_by_unit(
        user=office.chuyenvien, unit_ids=[office.dept.pk, office.other.pk]
    )
    assert counts == {office.dept.pk: 0, office.other.pk: 1}
    # A dossier held in a sub-unit counts for the unit above it.
    d = receive(office)
    act(d, "assign", office.tiepnhan, to_user=office.chuyenvien.pk)
    StaffRoleFactory(user=office.chuyenvien, unit=office.ward, role=Role.SPECIALIST)
    counts = selectors.waiting_by_unit(user=office.chuyenvien, unit_ids=[office.ward.pk])
    assert counts == {office.ward.pk: 1}


def test_official_lands_in_the_unit_where_work_waits_and_switcher_says_so(
    client, office, two_units
):
    client.force_login(office.chuyenvien)
    response = client.get("/can-bo/")
    assert response.context["current_unit"] == office.other
    html = response.content.decode()
    assert "Phường Dương Nội (1 hồ sơ chờ)" in html
    # Her choice sticks: the switcher moves her, and the landing never overrides a choice.
    client.post("/can-bo/don-vi/", {"unit": office.dept.pk})
    assert client.get("/can-bo/").context["current_unit"] == office.dept
    page = client.get("/can-bo/ho-so/", {"ds": "mine"}).content.decode()
    assert two_units.code in page and "Không có hồ sơ." not in page


def test_without_work_elsewhere_the_first_post_stays_the_landing(client, office):
    StaffRoleFactory(user=office.chuyenvien, unit=office.other, role=Role.SPECIALIST)
    client.force_login(office.chuyenvien)
    assert client.get("/can-bo/").context["current_unit"] == office.dept


# --- B2: the dossier page proposes the next step ----------------------------------------------


def test_usual_next_action_per_status_and_step():
    assert usual_next_action(Status.SUBMITTED, "", ["refuse", "accept"]) == "accept"
    assert usual_next_action(Status.ACCEPTED, "reception", ["refuse", "assign"]) == "assign"
    assert (
        usual_next_action(Status.PROCESSING, "specialist", ["forward", "submit_for_approval"])
        == "submit_for_approval"
    )
    assert usual_next_action(Status.PROCESSING, "leader", ["send_back", "approve"]) == "approve"
    assert usual_next_action(Status.PROCESSING, "return", ["withdraw", "finish"]) == "finish"
    assert usual_next_action(Status.SUPPLEMENT, "specialist", ["withdraw", "resubmit"]) == (
        "resubmit"
    )
    assert usual_next_action(Status.FINISHED, "return", ["return"]) == "return"
    assert usual_next_action(Status.RETURNED, "", []) is None


def test_refusal_is_never_the_proposed_move_and_hand_offs_leave_the_holder_alone():
    available = allowed_actions(Status.ACCEPTED, {"reception"})
    assert available[0] == "refuse"  # the table's order put refusal first on the page
    primary, others, destructive = arrange_actions(
        available, status=Status.ACCEPTED, step="reception", holds=True, supervises=False
    )
    assert primary == "assign" and "refuse" in destructive and "withdraw" in destructive
    assert not set(destructive) & set(others) and primary not in others
    # After the hand-off, reception keeps the counter moves only.
    available = allowed_actions(Status.PROCESSING, {"reception"})
    primary, others, destructive = arrange_actions(
        available, status=Status.PROCESSING, step="specialist", holds=False, supervises=False
    )
    assert primary is None and not set(others) & HOLDER_ACTIONS and destructive == ["withdraw"]
    # The citizen bringing the missing papers is a counter move: proposed to reception.
    primary, _, _ = arrange_actions(
        allowed_actions(Status.SUPPLEMENT, {"reception"}),
        status=Status.SUPPLEMENT,
        step="specialist",
        holds=False,
        supervises=False,
    )
    assert primary == "resubmit"
    # A leader may still act on a dossier someone else holds, but is not proposed its next move.
    primary, others, _ = arrange_actions(
        allowed_actions(Status.PROCESSING, {"leader"}),
        status=Status.PROCESSING,
        step="leader",
        holds=False,
        supervises=True,
    )
    assert primary is None and "approve" in others


def test_offered_moves_are_the_moves_the_service_accepts(office):
    d = receive(office)
    d = act(d, "assign", office.tiepnhan, to_user=office.chuyenvien.pk)
    assert services.dossier_actions(dossier=d, actor=office.chuyenvien2) == []
    with pytest.raises(PermissionDenied):
        act(d, "submit_for_approval", office.chuyenvien2, to_user=office.lanhdao.pk)
    assert "submit_for_approval" in services.dossier_actions(dossier=d, actor=office.chuyenvien)


def test_dossier_page_puts_the_next_step_first_and_refusal_in_a_closed_box(client, office):
    d = receive(office)
    client.force_login(office.tiepnhan)
    with clock.frozen(TUESDAY):
        html = client.get(f"/can-bo/ho-so/{d.code}/").content.decode()
    actions = html[html.index('id="actions-h"') :]
    first = actions.index("<details")
    assert actions.startswith('<details class="action next" open', first)
    assert actions.index('id="next-step"') < first
    assert actions.index("Chuyển xử lý") < actions.index("Từ chối tiếp nhận")
    box = actions.index('<details class="danger-zone">')
    assert box < actions.index("Từ chối tiếp nhận")
    assert 'class="primary">Chuyển xử lý</button>' in actions
    assert 'class="danger">Từ chối tiếp nhận</button>' in actions


# --- B4: dates read dd/mm/yyyy ------------------------------------------------------------------


def test_parse_date_reads_day_first_and_iso():
    assert parse_date("03/11/2026") == date(2026, 11, 3)
    assert parse_date("3/11/2026") == date(2026, 11, 3)
    assert parse_date("2026-11-03") == date(2026, 11, 3)  # API clients and old links
    assert parse_date("") is None
    for bad in ("31/02/2026", "11/31/2026", "03/11/26", "hôm nay"):
        with pytest.raises(ValueError):
            parse_date(bad)


def test_date_text_field_renders_a_text_box_and_explains_a_bad_date():
    class F(forms.Form):
        day = DateTextField(label="Ngày")

    html = str(F(initial={"day": date(2026, 1, 5)})["day"])
    assert 'type="text"' in html and 'value="05/01/2026"' in html
    assert 'placeholder="dd/mm/yyyy"' in html and 'inputmode="numeric"' in html
    form = F({"day": "31/02/2026"})
    assert not form.is_valid() and form.errors["day"] == [INVALID_MESSAGE]
    assert F({"day": "05/01/2026"}).is_valid()


def test_no_date_input_and_day_first_dates_on_pages(client, office):
    d = receive(office)
    client.force_login(office.tiepnhan)
    with clock.frozen(TUESDAY):
        for url in ("/can-bo/ho-so/?ds=all", "/can-bo/ho-so/so-theo-doi/"):
            html = client.get(url, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
            assert 'type="date"' not in html, url
        html = client.get(
            "/can-bo/ho-so/so-theo-doi/",
            {"unit": office.ward.pk, "date_from": "01/03/2026", "date_to": "10/03/2026"},
            HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9",
        ).content.decode()
    assert 'value="01/03/2026"' in html and d.code in html
    # Django's own messages stay Vietnamese in an English-language browser.
    with clock.frozen(TUESDAY):
        html = client.get(
            "/can-bo/ho-so/so-theo-doi/",
            {"unit": office.ward.pk, "date_from": "", "date_to": "10/03/2026"},
            HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9",
        ).content.decode()
    assert "This field is required" not in html


# --- B8: optional papers, the step badge ------------------------------------------------------


def test_optional_paper_not_provided_is_not_shown_missing(client, office):
    ProcedureVersionFactory(
        procedure__code="9.000001",
        name="Thủ tục có giấy tờ không bắt buộc",
        papers=[
            {"name": "Tờ khai", "original": 1, "copy": 0, "required": True},
            {"name": "Giấy tờ chứng minh nơi cư trú", "original": 0, "copy": 1, "required": False},
        ],
    )
    d = receive(office, procedure="9.000001", papers=[0])
    client.force_login(office.tiepnhan)
    with clock.frozen(TUESDAY):
        html = client.get(f"/can-bo/ho-so/{d.code}/").content.decode()
    row = html[html.index("Giấy tờ chứng minh nơi cư trú") :].split("</tr>", 1)[0]
    assert "Chưa nộp" not in row and 'class="error"' not in row
    assert "không bắt buộc" in row
    with clock.frozen(TUESDAY):
        form = client.get("/can-bo/ho-so/tiep-nhan/", {"procedure": "9.000001"}).content.decode()
    assert "Giấy tờ chứng minh nơi cư trú (không bắt buộc)" in form


def test_step_badge_does_not_warn_the_moment_a_dossier_is_received(client, office):
    d = receive(office)
    with clock.frozen(TUESDAY):
        assert selectors.step_warning(d) == ""
        client.force_login(office.tiepnhan)
        html = client.get(f"/can-bo/ho-so/{d.code}/").content.decode()
    assert "Sắp hết hạn bước" not in html
    # It warns in the last quarter of the step's own time, then overdue after it.
    with clock.frozen(d.step_due_at - timedelta(minutes=20)):
        assert selectors.step_warning(d) == "soon"
    with clock.frozen(d.step_due_at + timedelta(minutes=1)):
        assert selectors.step_warning(d) == "overdue"
