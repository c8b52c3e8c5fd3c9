"""Joint procedures: a dossier consults the police and social insurance; the answers enter the
dossier's timeline; an answer late by the partner is counted as the partner's delay."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from factories import CitizenFactory, ProcedureVersionFactory
from motcua.core import clock
from motcua.core.services import api_token_issue
from motcua.correspondence import edxml, selectors, services
from motcua.correspondence.models import Consultation, Dispatch, Partner
from motcua.dossiers.models import Dossier, DossierEvent

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 17, 9, 30, tzinfo=clock.VN_TZ)  # Tuesday


@pytest.fixture
def birth(two_wards, settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path
    settings.MOTCUA = {**settings.MOTCUA, "EXCHANGE_INBOX_KEY": "k"}
    w = two_wards
    Partner.objects.create(code="G01.H26.CAH", name="Công an quận Hà Đông")
    Partner.objects.create(code="G02.H26.BHXH", name="Bảo hiểm xã hội quận Hà Đông")
    version = ProcedureVersionFactory(procedure__code="1.001193", name="Đăng ký khai sinh")
    citizen = CitizenFactory()
    w.dossier = Dossier.objects.create(
        code=f"{w.a.agency_code}-261117-0001",
        unit=w.a,
        procedure_version=version,
        procedure=version.procedure,
        field=version.field,
        citizen=citizen,
        citizen_id_number=citizen.id_number,
        citizen_name_folded=citizen.name_folded,
        citizen_phone_last4=citizen.phone[-4:],
        channel="direct",
        status=4,
        received_at=NOW - timedelta(hours=2),
        accepted_at=NOW - timedelta(hours=2),
        due_at=NOW + timedelta(days=14),
    )
    return w


def answer_package(to: str, subject: str) -> bytes:
    return edxml.write(
        edxml.Package(
            sender=edxml.Organ("G01.H26.CAH", "Công an quận Hà Đông"),
            recipients=(edxml.Organ(to, "UBND phường Hà Đông"),),
            number=31,
            notation="CAH-QLHC",
            issued_on=clock.today(),
            place="",
            doc_type="CV",
            type_name="Công văn",
            subject=subject,
            signer_name="Lê Minh Tuấn",
            signer_title="",
            signer_competence="",
            urgency="normal",
            secrecy="normal",
        ),
        now=clock.now(),
    )


def test_birth_registration_consults_two_agencies_and_the_late_one_is_counted(
    birth, freeze, client
):
    w = birth
    auth = {"HTTP_AUTHORIZATION": f"Bearer {api_token_issue(user=w.a_specialist)}"}
    for agency, days in (("G01.H26.CAH", 3), ("G02.H26.BHXH", 5)):
        r = client.post(
            f"/api/v1/dossiers/{w.dossier.code}/consultations",
            {"agency": agency, "question": "Xác nhận nơi thường trú của mẹ", "due_days": days},
            content_type="application/json",
            **auth,
        )
        assert r.status_code == 201, r.content
    police, insurance = Consultation.objects.order_by("pk")
    assert police.due_on == date(2026, 11, 20)  # 3 working days after Tuesday 17/11
    assert (police.request.number_notation, insurance.request.number_notation) == (
        "01/UBND",
        "02/UBND",
    )
    assert set(Dispatch.objects.values_list("to_code", "state")) == {
        ("G01.H26.CAH", "queued"),
        ("G02.H26.BHXH", "queued"),
    }
    # The police answer on Tuesday 24/11: two working days late (23 and 24/11).
    freeze(datetime(2026, 11, 24, 10, 0, tzinfo=clock.VN_TZ))
    auth = {"HTTP_AUTHORIZATION": f"Bearer {api_token_issue(user=w.a_specialist)}"}
    r = client.post(
        "/api/v1/exchange/inbox",
        answer_package(w.a.agency_code, "Trả lời xác minh nơi thường trú"),
        content_type="application/xml",
        HTTP_X_EXCHANGE_KEY="k",
    )
    [arrived] = r.json()["registered"]
    r = client.post(
        f"/api/v1/consultations/{police.pk}/answer",
        {"document": arrived["id"]},
        content_type="application/json",
        **auth,
    )
    assert r.status_code == 200, r.content
    assert r.json()["late_days"] == 2 and r.json()["status"] == "answered"
    events = list(
        DossierEvent.objects.filter(dossier=w.dossier).order_by("pk").values_list("action", "note")
    )
    assert [a for a, _ in events] == ["consult", "consult", "consult_answer"]
    assert "muộn 2 ngày làm việc" in events[-1][1] and "chậm do cơ quan phối hợp" in events[-1][1]
    timeline = client.get(f"/api/v1/dossiers/{w.dossier.code}", **auth).json()
    labels = [e["action_label"] for e in timeline.get("timeline", timeline.get("events", []))]
    assert "Nhận văn bản trả lời của cơ quan phối hợp" in labels
    stats = {r["agency_code"]: r for r in selectors.partner_delays()}
    assert stats["G01.H26.CAH"] | {} == {
        "agency_code": "G01.H26.CAH",
        "agency_name": "Công an quận Hà Đông",
        "asked": 1,
        "answered": 1,
        "late": 1,
        "late_days": 2,
        "waiting_overdue": 0,
        "dossiers_late": 0,  # the dossier itself is not late (yet)
    }
    # Social insurance (due 24/11) has not answered: overdue from 25/11, on the partner.
    assert selectors.partner_delays(today=date(2026, 11, 25))[1]["waiting_overdue"] == 1
    assert stats["G02.H26.BHXH"]["late"] == 0
    listed = client.get(f"/api/v1/dossiers/{w.dossier.code}/consultations", **auth).json()
    assert [c["status"] for c in listed] == ["answered", "waiting"]


def test_a_sub_deadline_beyond_the_dossiers_is_refused_and_nothing_is_sent(birth):
    w = birth
    w.dossier.due_at = NOW + timedelta(days=2)
    w.dossier.save()
    from motcua.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as err:
        services.consultation_open(
            dossier=w.dossier,
            agency="G01.H26.CAH",
            question="Xác minh",
            due_days=5,
            actor=w.a_specialist,
        )
    assert err.value.code == "consultation_beyond_deadline"
    assert not Consultation.objects.exists() and not Dispatch.objects.exists()


def test_a_consultation_with_a_unit_inside_motcua_arrives_there(birth):
    w = birth
    c = services.consultation_open(
        dossier=w.dossier,
        agency=w.b.code,
        question="Xác minh hộ khẩu",
        due_days=2,
        actor=w.a_reception,
    )
    incoming = c.request.dispatches.get().incoming
    assert incoming.unit == w.b and "hồ sơ " + w.dossier.code in incoming.summary
    # B answers with its own letter back to A; A's clerk links it
    reply = services.document_create(
        unit=w.b, actor=w.b_reception, doc_type="CV", summary="Trả lời", signer_name="B"
    )
    [d] = services.document_send(document=reply, to=[w.a.code], actor=w.b_reception)
    done = services.consultation_answer(consultation=c, document=d.incoming, actor=w.a_reception)
    assert done.late_days == 0
    from motcua.core.errors import Conflict

    with pytest.raises(Conflict):
        services.consultation_answer(consultation=c, document=d.incoming, actor=w.a_reception)
