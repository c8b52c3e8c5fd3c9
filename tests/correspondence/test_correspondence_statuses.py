"""Status messages between sender and recipient (arrived, refused, accepted, assigned, done,
recalled): inside motcua at once, to and from agencies outside as edXML status packages through
the exchange platform's stand-in; refusing an arrival with a reason; recalling a sent document."""

from __future__ import annotations

from datetime import date

import pytest

from motcua.core import clock
from motcua.core.errors import Conflict, PermissionDenied, ValidationFailed
from motcua.correspondence import edxml, services
from motcua.correspondence.models import Dispatch, DocStatus, Document, Partner, StatusMessage
from motcua.correspondence.standin import StandinExchange

pytestmark = pytest.mark.django_db
AGENCY, KEY = "000.00.21.H26", "khoa-cua-phuong"
POLICE = "G01.H26.CAH"


@pytest.fixture
def platform(settings, tmp_path):  # type: ignore[no-untyped-def]
    standin = StandinExchange(keys_by_agency={AGENCY: KEY}).start_in_thread()
    settings.MEDIA_ROOT = tmp_path
    settings.MOTCUA = {
        **settings.MOTCUA,
        "EXCHANGE_URL": standin.base_url,
        "EXCHANGE_AGENCY_CODE": AGENCY,
        "EXCHANGE_KEY": KEY,
        "EXCHANGE_INBOX_KEY": "khoa-hop-thu",
    }
    yield standin
    standin.stop()


def _letter(w, to):  # type: ignore[no-untyped-def]
    doc = services.document_create(
        unit=w.a,
        actor=w.a_reception,
        doc_type="CV",
        summary="Về việc xác minh nơi cư trú",
        signer_name="Nguyễn Văn Hùng",
    )
    services.document_send(document=doc, to=to, actor=w.a_reception)
    return doc


def _status(doc, code, sender=POLICE, note=""):  # type: ignore[no-untyped-def]
    return edxml.write_status(
        edxml.StatusPackage(
            sender=edxml.Organ(sender, "Công an quận Hà Đông"),
            about=edxml.ResponseFor(doc.issuer_code, doc.number_notation, doc.issued_on),
            code=code,
            description=note,
            at=clock.now(),
        )
    )


def _from_police(w, summary="Thông báo kết quả xác minh"):  # type: ignore[no-untyped-def]
    package = edxml.Package(
        sender=edxml.Organ(POLICE, "Công an quận Hà Đông"),
        recipients=(edxml.Organ(w.a.agency_code, w.a.name),),
        number=7,
        notation="TB-CAH",
        issued_on=clock.today(),
        place="",
        doc_type="TB",
        type_name="Thông báo",
        subject=summary,
        signer_name="Lê Minh Tuấn",
        signer_title="",
        signer_competence="",
        urgency="normal",
        secrecy="normal",
    )
    [doc] = services.exchange_receive(data=edxml.write(package, now=clock.now()))
    return doc


def test_status_packages_pass_our_schema_and_read_back_equal(two_wards):
    st = edxml.StatusPackage(
        sender=edxml.Organ(POLICE, "Công an quận Hà Đông"),
        about=edxml.ResponseFor("000.00.21.H26", "05/UBND-VP", date(2026, 11, 17), "x,y,z"),
        code="02",
        description="Gửi nhầm cơ quan",
        at=clock.now(),
        staff="Văn thư",
        department="Phòng Tham mưu",
    )
    assert edxml.read_status(edxml.write_status(st)) == st
    with pytest.raises(edxml.PackageRefused) as refused:
        edxml.read(edxml.write_status(st))  # a status is no document to register
    assert refused.value.code == "edxml_is_status"
    bad = edxml.write_status(st).replace(b"<edXML:StatusCode>02<", b"<edXML:StatusCode>99<")
    with pytest.raises(edxml.PackageRefused) as refused:
        edxml.read_any(bad)
    assert refused.value.code == "edxml_schema"


def test_refusing_an_arrival_tells_the_sender_why_and_takes_no_number(two_wards):
    w = two_wards
    doc = _letter(w, [w.b.code])
    incoming = Document.objects.get(direction="in")
    with pytest.raises(ValidationFailed):
        services.incoming_refuse(document=incoming, actor=w.b_reception, reason="  ")
    with pytest.raises(PermissionDenied):
        services.incoming_refuse(document=incoming, actor=w.b_specialist, reason="Sai")
    services.incoming_refuse(
        document=incoming, actor=w.b_reception, reason="Không thuộc thẩm quyền của phường"
    )
    incoming.refresh_from_db()
    assert (incoming.status, incoming.number) == (DocStatus.REFUSED, None)
    d = Dispatch.objects.get(document=doc)
    assert (d.state, d.status_note) == ("refused", "Không thuộc thẩm quyền của phường")
    assert list(StatusMessage.objects.values_list("way", "code")) == [("internal", "02")]
    with pytest.raises(Conflict):
        services.incoming_register(document=incoming, actor=w.b_reception)


def test_recall_inside_motcua_withdraws_the_copies_at_once(two_wards):
    w = two_wards
    doc = _letter(w, [w.b.code])
    with pytest.raises(PermissionDenied):
        services.document_recall(document=doc, actor=w.a_specialist, reason="Sai thể thức")
    services.document_recall(document=doc, actor=w.a_leader, reason="Sai thể thức")
    doc.refresh_from_db()
    incoming = Document.objects.get(direction="in")
    assert (doc.status, incoming.status, incoming.status_note) == (
        "recalled",
        "recalled",
        "Sai thể thức",
    )
    assert Dispatch.objects.get().state == "recalled"
    with pytest.raises(Conflict):
        services.document_send(document=doc, to=[w.b.code], actor=w.a_reception)
    with pytest.raises(Conflict):
        services.incoming_register(document=incoming, actor=w.b_reception)


def test_statuses_of_an_outside_partner_move_our_dispatch_once_and_forward_only(
    two_wards, platform
):
    w = two_wards
    Partner.objects.create(code=POLICE, name="Công an quận Hà Đông")
    doc = _letter(w, [POLICE])
    assert services.exchange_send_queued() == (1, 0)
    _docs, row = services.exchange_inbox(data=_status(doc, "03"))
    assert row is not None and row.code == "03" and row.way == "in"
    assert Dispatch.objects.get().state == "registered"
    services.exchange_inbox(data=_status(doc, "03"))  # the same package again: applied once
    assert StatusMessage.objects.filter(way="in").count() == 1
    services.exchange_inbox(data=_status(doc, "01"))  # late and older: no step back
    assert Dispatch.objects.get().state == "registered"
    services.exchange_inbox(data=_status(doc, "06"))
    assert Dispatch.objects.get().state == "done"
    # A status about a document we never sent them is refused, and nothing is written.
    other = _letter(w, [w.b.code])
    before = StatusMessage.objects.count()
    with pytest.raises(edxml.PackageRefused) as refused:
        services.exchange_inbox(data=_status(other, "03"))
    assert refused.value.code == "edxml_status_unknown"
    assert StatusMessage.objects.count() == before


def test_our_statuses_go_back_to_an_outside_sender_through_the_platform(two_wards, platform):
    w = two_wards
    Partner.objects.create(code=POLICE, name="Công an quận Hà Đông")
    incoming = _from_police(w)
    services.incoming_register(document=incoming, actor=w.a_reception)
    services.incoming_assign(document=incoming, actor=w.a_leader, assignee=w.a_specialist)
    services.incoming_finish(document=incoming, actor=w.a_specialist)
    queued = list(StatusMessage.objects.filter(way="out").values_list("code", flat=True))
    assert queued == ["01", "03", "04", "06"]
    assert services.exchange_send_queued() == (4, 0)
    assert services.exchange_send_queued() == (0, 0)
    sent = [p for p in platform.packages.values()]
    assert [p["to"] for p in sent] == [[POLICE]] * 4
    assert [p["package"].code for p in sent] == ["01", "03", "04", "06"]
    assert all(p["package"].about.code == "07/TB-CAH" for p in sent)


def test_recall_to_an_outside_partner_waits_for_its_answer(two_wards, platform):
    w = two_wards
    Partner.objects.create(code=POLICE, name="Công an quận Hà Đông")
    doc = _letter(w, [POLICE])
    services.exchange_send_queued()
    services.document_recall(document=doc, actor=w.a_reception, reason="Ban hành lại")
    assert Dispatch.objects.get().state == "recalling"
    assert services.exchange_send_queued() == (1, 0)
    recall = [
        p for p in platform.packages.values() if p["package"].__class__.__name__ == "StatusPackage"
    ]
    assert [(p["to"], p["package"].code) for p in recall] == [([POLICE], "13")]
    services.exchange_inbox(data=_status(doc, "15"))
    assert Dispatch.objects.get().state == "recalled"


def test_a_queued_package_recalled_never_leaves(two_wards, platform):
    w = two_wards
    Partner.objects.create(code=POLICE, name="Công an quận Hà Đông")
    doc = _letter(w, [POLICE])
    services.document_recall(document=doc, actor=w.a_reception, reason="Nhầm")
    assert Dispatch.objects.get().state == "recalled"
    assert services.exchange_send_queued() == (0, 0)
    assert platform.packages == {}


def test_a_partner_recalling_what_it_sent_us_withdraws_our_copy(two_wards, platform):
    w = two_wards
    incoming = _from_police(w)
    recall = edxml.write_status(
        edxml.StatusPackage(
            sender=edxml.Organ(POLICE, "Công an quận Hà Đông"),
            about=edxml.ResponseFor(POLICE, incoming.number_notation, incoming.issued_on),
            code="13",
            description="Văn bản có sai sót",
            at=clock.now(),
        )
    )
    services.exchange_inbox(data=recall)
    incoming.refresh_from_db()
    assert (incoming.status, incoming.status_note) == ("recalled", "Văn bản có sai sót")
    assert list(StatusMessage.objects.filter(way="out").values_list("code", flat=True)) == [
        "01",
        "15",
    ]


def test_only_the_issuer_recalls_what_it_sent_us(two_wards, platform):
    """Review finding: a recall (13) from another agency on the platform is refused and our
    copy stays as it is; nothing goes back."""
    w = two_wards
    incoming = _from_police(w)
    forged = edxml.write_status(
        edxml.StatusPackage(
            sender=edxml.Organ("000.00.00.H99", "Một cơ quan khác"),
            about=edxml.ResponseFor(POLICE, incoming.number_notation, incoming.issued_on),
            code="13",
            description="Thu hồi giả",
            at=clock.now(),
        )
    )
    with pytest.raises(edxml.PackageRefused) as refused:
        services.exchange_inbox(data=forged)
    assert refused.value.code == "edxml_status_sender"
    incoming.refresh_from_db()
    assert incoming.status != "recalled"
    assert not StatusMessage.objects.filter(way="out", code="15").exists()


def test_the_worker_task_sends_the_outbox(two_wards, platform):
    from motcua.correspondence.tasks import exchange_send_task

    w = two_wards
    Partner.objects.create(code=POLICE, name="Công an quận Hà Đông")
    _letter(w, [POLICE])
    assert exchange_send_task.call_local() == (1, 0)
    assert Dispatch.objects.get().state == "delivered"


def test_api_refuse_recall_and_inbox_status(two_wards, client, settings, platform):
    from motcua.core.services import api_token_issue

    w = two_wards
    doc = _letter(w, [w.b.code])
    incoming = Document.objects.get(direction="in")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {api_token_issue(user=w.b_reception)}"}
    r = client.post(
        f"/api/v1/documents/{incoming.pk}/refuse",
        {"reason": ""},
        content_type="application/json",
        **auth,
    )
    assert r.status_code == 422 and r.json()["code"] == "reason_required"
    r = client.post(
        f"/api/v1/documents/{incoming.pk}/refuse",
        {"reason": "Gửi nhầm"},
        content_type="application/json",
        **auth,
    )
    assert r.status_code == 200 and r.json()["status"] == "refused"
    assert r.json()["status_note"] == "Gửi nhầm"
    auth_a = {"HTTP_AUTHORIZATION": f"Bearer {api_token_issue(user=w.a_leader)}"}
    second = _letter(w, [w.b.code])
    r = client.post(
        f"/api/v1/documents/{second.pk}/recall",
        {"reason": "Sai sót"},
        content_type="application/json",
        **auth_a,
    )
    assert r.status_code == 200 and r.json()["status"] == "recalled"
    Partner.objects.create(code=POLICE, name="Công an quận Hà Đông")
    third = _letter(w, [POLICE])
    services.exchange_send_queued()
    r = client.post(
        "/api/v1/exchange/inbox",
        _status(third, "04"),
        content_type="application/xml",
        HTTP_X_EXCHANGE_KEY="khoa-hop-thu",
    )
    assert r.status_code == 200, r.content
    assert r.json()["registered"] == [] and r.json()["status"]["code"] == "04"
    assert doc.dispatches.get().state == "refused"
