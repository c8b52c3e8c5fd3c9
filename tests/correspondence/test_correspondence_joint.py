"""Joint procedures ("liên thông") driven by the catalogue: a procedure version names the
agencies it consults, each with a sub-deadline within the dossier's; the dossier's own step
sends the letters; answers that name the request (ResponseFor) come back into the timeline with
no clerk; the dossier page, the worklists, the consultations page and the reports dashboard show
what waits on another agency and whose delay it is."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from factories import ProcedureVersionFactory
from motcua.catalog import services as catalog
from motcua.core import clock
from motcua.core.errors import ValidationFailed
from motcua.correspondence import edxml, selectors, services
from motcua.correspondence.models import Consultation, Partner
from motcua.dossiers.models import DossierEvent
from motcua.dossiers.services import dossier_act, dossier_receive

pytestmark = pytest.mark.django_db
POLICE = "G01.H26.CAH"
CITIZEN = {
    "id_number": "001085012345",
    "full_name": "Nguyễn Văn An",
    "date_of_birth": "1985-05-17",
    "phone": "0912345678",
    "address": "Số 5 Quang Trung, Hà Đông, Hà Nội",
}


@pytest.fixture
def joint(two_wards, settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path
    settings.MOTCUA = {**settings.MOTCUA, "EXCHANGE_INBOX_KEY": "k"}
    w = two_wards
    Partner.objects.create(code=POLICE, name="Công an quận Hà Đông")
    w.version = ProcedureVersionFactory(
        procedure__code="9.000014",
        name="Liên thông đăng ký khai sinh, thường trú",
        time_value=10,
        consultations=[
            {
                "agency": POLICE,
                "name": "Công an quận Hà Đông",
                "question": "Đăng ký thường trú cho trẻ",
                "due_days": 3,
                "step": "accept",
            },
            {
                "agency": w.b.code,
                "name": w.b.name,
                "question": "Xác nhận nơi cư trú của mẹ",
                "due_days": 20,  # more than the dossier has left: shortened to its deadline
                "step": "assign",
            },
        ],
    )
    return w


def _receive(w):  # type: ignore[no-untyped-def]
    return dossier_receive(
        procedure_code="9.000014",
        channel="direct",
        citizen=dict(CITIZEN),
        unit=w.a,
        actor=w.a_reception,
    )


def _answer(w, request, *, number=31):  # type: ignore[no-untyped-def]
    return edxml.write(
        edxml.Package(
            sender=edxml.Organ(POLICE, "Công an quận Hà Đông"),
            recipients=(edxml.Organ(w.a.agency_code, w.a.name),),
            number=number,
            notation="CAH-QLHC",
            issued_on=clock.today(),
            place="",
            doc_type="CV",
            type_name="Công văn",
            subject="Trả lời về việc đăng ký thường trú cho trẻ",
            signer_name="Lê Minh Tuấn",
            signer_title="",
            signer_competence="",
            urgency="normal",
            secrecy="normal",
            response_for=(
                edxml.ResponseFor(
                    organ=request.issuer_code,
                    code=request.number_notation,
                    issued_on=request.issued_on,
                ),
            ),
        ),
        now=clock.now(),
    )


def test_the_catalogue_carries_the_agencies_a_version_consults():
    data = {
        "code": "9.000015",
        "name": "Giao đất, chuyển mục đích sử dụng đất",
        "field": {"code": "dat-dai", "name": "Đất đai"},
        "level": "commune",
        "time_unit": "working_days",
        "time_value": 20,
        "channels": ["direct"],
        "consultations": [
            {"agency": "H26.THUE", "name": "Chi cục Thuế", "question": "Nghĩa vụ tài chính",
             "due_days": 5}
        ],
    }  # fmt: skip
    version = catalog.procedure_version_create(code="9.000015", data=data, publish=True)
    assert version.consultations[0]["step"] == "assign"  # the default step
    exported = catalog.procedure_version_as_dict(version)
    assert exported["consultations"] == version.consultations
    # Published versions are never edited: a change is a new version.
    from motcua.core.errors import Conflict

    with pytest.raises(Conflict):
        catalog.procedure_version_update(version=version, data={**data, "consultations": []})
    result = catalog.catalog_import(data=[{**exported, "consultations": []}], publish=True)
    assert result.new_versions and version.procedure.versions.count() == 2
    bad = {
        **data,
        "consultations": [{"agency": "H26.THUE", "name": "x", "question": "y", "due_days": 45}],
    }
    with pytest.raises(ValidationFailed):
        catalog.procedure_data_clean(bad)


def test_the_dossiers_steps_send_the_consultations_once_within_its_deadline(joint):
    w = joint
    dossier = _receive(w)
    [police] = Consultation.objects.all()
    assert (police.agency_code, police.from_procedure) == (POLICE, True)
    assert police.request.dispatches.get().state == "queued"  # to the platform
    dossier = dossier_act(
        dossier=dossier, action="assign", actor=w.a_reception, to_user=w.a_specialist
    )
    ward = Consultation.objects.get(agency_code=w.b.code)
    assert ward.due_on == clock.local(dossier.due_at).date()  # shortened to the dossier's
    assert ward.request.dispatches.get().incoming.unit == w.b  # arrived in B's register
    # Handing it on again sends nothing more.
    dossier_act(dossier=dossier, action="assign", actor=w.a_reception, to_user=w.a_leader)
    assert Consultation.objects.count() == 2
    assert list(
        DossierEvent.objects.filter(dossier=dossier, action="consult").values_list(
            "action", flat=True
        )
    ) == ["consult", "consult"]


def test_an_answer_naming_the_request_is_matched_and_the_late_days_are_the_partners(joint, freeze):
    w = joint
    freeze(datetime(2026, 11, 17, 9, 30, tzinfo=clock.VN_TZ))  # Tuesday
    dossier = _receive(w)
    police = Consultation.objects.get()
    assert police.due_on == date(2026, 11, 20)
    freeze(datetime(2026, 11, 24, 10, 0, tzinfo=clock.VN_TZ))  # two working days late
    [arrived] = services.exchange_receive(data=_answer(w, police.request))
    police.refresh_from_db()
    assert (police.answer, police.late_days) == (arrived, 2)
    assert arrived.response_for == police.request
    event = DossierEvent.objects.filter(dossier=dossier, action="consult_answer").get()
    assert "chậm do cơ quan phối hợp" in event.note and "tự nhận ra" in event.note
    row = {r["agency_code"]: r for r in selectors.partner_delays()}[POLICE]
    assert (row["late"], row["late_days"]) == (1, 2)
    # An answer naming nothing we sent is registered, linked to nothing.
    other = edxml.Package(**{**edxml.read(_answer(w, police.request, number=32)).__dict__,
                             "response_for": ()})  # fmt: skip
    [plain] = services.exchange_receive(data=edxml.write(other, now=clock.now()))
    assert plain.response_for is None


def test_an_answer_from_a_unit_inside_motcua_is_matched_by_its_reply(joint):
    w = joint
    dossier = _receive(w)
    dossier_act(dossier=dossier, action="assign", actor=w.a_reception, to_user=w.a_specialist)
    ward = Consultation.objects.get(agency_code=w.b.code)
    asked = ward.request.dispatches.get().incoming
    services.incoming_register(document=asked, actor=w.b_reception)
    reply = services.document_create(
        unit=w.b,
        actor=w.b_specialist,
        doc_type="CV",
        summary="Trả lời về nơi cư trú của mẹ",
        signer_name="Cán bộ B",
        response_for=asked,
    )
    [sent] = services.document_send(document=reply, to=[w.a.code], actor=w.b_specialist)
    ward.refresh_from_db()
    assert ward.answer == sent.incoming and ward.late_days == 0
    with pytest.raises(ValidationFailed):  # only an incoming document of one's own unit
        services.document_create(
            unit=w.a, actor=w.a_reception, doc_type="CV", summary="x", signer_name="A",
            response_for=asked,
        )  # fmt: skip


def test_pages_show_what_waits_on_another_agency_and_whose_delay_it_is(joint, client, freeze):
    w = joint
    freeze(datetime(2026, 11, 17, 9, 30, tzinfo=clock.VN_TZ))
    dossier = _receive(w)
    dossier_act(dossier=dossier, action="assign", actor=w.a_reception, to_user=w.a_specialist)
    freeze(datetime(2026, 11, 23, 9, 0, tzinfo=clock.VN_TZ))  # police sub-deadline passed
    client.force_login(w.a_specialist)
    page = client.get(f"/can-bo/ho-so/{dossier.code}/").content.decode()
    assert "Hồ sơ đang chờ" in page and "Công an quận Hà Đông" in page
    assert "chậm do cơ quan phối hợp" in page
    worklist = client.get("/can-bo/ho-so/?ds=mine").content.decode()
    assert "Chờ Công an quận Hà Đông – quá hạn 20/11/2026, chậm do cơ quan phối hợp" in worklist
    listing = client.get("/can-bo/van-ban/lay-y-kien/?tinh-trang=overdue").content.decode()
    assert dossier.code in listing and "Quá hạn – chậm do Công an quận Hà Đông" in listing
    client.force_login(w.a_leader)
    board = client.get("/can-bo/bao-cao/?tu=2026-11-01&den=2026-11-30").content.decode()
    assert "chậm trễ của cơ quan phối hợp" in board and "Công an quận Hà Đông" in board
    # Past the dossier's own deadline while the police still owe their answer: the dashboard
    # lays the dossier's delay at the police's door.
    freeze(datetime(2026, 12, 10, 9, 0, tzinfo=clock.VN_TZ))
    board = client.get("/can-bo/bao-cao/?tu=2026-11-01&den=2026-12-31").content.decode()
    assert "Chậm do Công an quận Hà Đông" in board
    row = {r["agency_code"]: r for r in selectors.partner_delays()}[POLICE]
    assert row["dossiers_late"] == 1


def test_asking_by_hand_from_the_dossier_page(joint, client):
    w = joint
    dossier = _receive(w)
    client.force_login(w.a_specialist)
    r = client.post(
        f"/can-bo/van-ban/lay-y-kien/ho-so/{dossier.code}/",
        {"agency": w.b.code, "question": "Xác minh hộ khẩu", "due_days": "2"},
    )
    assert r.status_code == 302
    assert Consultation.objects.filter(agency_code=w.b.code, from_procedure=False).exists()
    r = client.post(
        f"/can-bo/van-ban/lay-y-kien/ho-so/{dossier.code}/",
        {"agency": w.b.code, "question": "Lần nữa", "due_days": "x"},
        follow=True,
    )
    assert "Thời hạn trả lời từ 1 đến 30 ngày làm việc." in r.content.decode()
