"""Templates edited in the admin: variables checked on save, the defaults valid, the office's
wording used for the next message, the SMS rules shown."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from notifications_helpers import CITIZEN, vn

from motcua.dossiers import services as dossiers
from motcua.notifications import texts
from motcua.notifications.models import Kind, MessageTemplate, Notification

NOW = vn(2026, 11, 17, 9, 30)


@pytest.mark.parametrize("kind", list(texts.DEFAULTS))
@pytest.mark.parametrize("channel", ["sms", "email", "zalo"])
def test_every_default_text_passes_its_own_rules(kind, channel):
    part = texts.DEFAULTS[kind][texts.CHANNEL_PART[channel]]
    subject = texts.DEFAULTS[kind]["subject"] if channel == "email" else ""
    assert texts.template_errors(kind=kind, channel=channel, subject=subject, body=part) == {}


def test_an_unknown_variable_is_refused_in_vietnamese():
    errors = texts.template_errors(
        kind=Kind.RESULT_READY,
        channel="sms",
        subject="",
        body="Hồ sơ {ma_ho_so} xong. {noi_nhan_ngan} {so_tien}",
    )
    [message] = errors["body"]
    assert "Biến {so_tien} không dùng được cho loại «Đã có kết quả»" in message
    assert "{noi_nhan_ngan}" in message  # the list of what may be used


def test_a_missing_required_variable_is_refused():
    errors = texts.template_errors(
        kind=Kind.RESULT_READY, channel="sms", subject="", body="Hồ sơ đã có kết quả."
    )
    assert "Mẫu tin loại «Đã có kết quả» phải có biến {ma_ho_so}." in errors["body"]
    assert "phải có biến {noi_nhan} hoặc {noi_nhan_ngan}" in " ".join(errors["body"])


@pytest.mark.parametrize(
    "body",
    [
        "Hồ sơ {ma_ho_so.__class__} {ngay_hen}",  # no attribute lookups
        "Hồ sơ {ma_ho_so[0]} {ngay_hen}",
        "Hồ sơ {ma_ho_so {ngay_hen}",  # a brace without its pair
        "Hồ sơ {ma_ho_so} {ngay_hen} }",
    ],
)
def test_lookups_and_stray_braces_are_refused(body):
    errors = texts.template_errors(kind=Kind.DOSSIER_RECEIVED, channel="sms", subject="", body=body)
    assert errors["body"]


def test_subject_only_for_email():
    kind = Kind.DOSSIER_RECEIVED
    body = "Hồ sơ {ma_ho_so}, hẹn {ngay_hen}."
    assert texts.template_errors(kind=kind, channel="email", subject="", body=body) == {
        "subject": ["Thư điện tử cần có tiêu đề."]
    }
    assert texts.template_errors(kind=kind, channel="sms", subject="Tiêu đề", body=body) == {
        "subject": ["Tiêu đề chỉ dùng cho thư điện tử."]
    }


def test_the_model_refuses_on_save(db):
    row = MessageTemplate(kind=Kind.PAYMENT_DUE, channel="sms", body="Nộp {so_tien} nhé {abc}")
    with pytest.raises(ValidationError) as exc:
        row.full_clean()
    text = " ".join(exc.value.message_dict["body"])
    assert "Biến {abc} không dùng được" in text and "phải có biến {ma_ho_so}" in text


def test_admin_refuses_a_bad_template_and_saves_a_good_one(db, client, ward):
    from factories import UserFactory

    admin = UserFactory(username="n-admin", is_staff=True, is_superuser=True)
    client.force_login(admin)
    url = "/quan-tri/notifications/messagetemplate/add/"
    page = client.get(url + "?kind=payment_due&channel=sms").content.decode()
    assert "Hồ sơ {ma_ho_so} cần nộp phí, lệ phí {so_tien}." in page  # starts from the default
    assert "không dấu" in page  # the SMS rules are shown
    bad = {"kind": "payment_due", "channel": "sms", "subject": "", "body": "Nộp tiền {tien}"}
    answer = client.post(url, bad)
    assert answer.status_code == 200
    assert "Biến {tien} không dùng được cho loại" in answer.content.decode()
    assert not MessageTemplate.objects.exists()
    good = {**bad, "body": "Mời nộp {so_tien} cho hồ sơ {ma_ho_so}.", "active": "on"}
    assert client.post(url, good).status_code == 302
    row = MessageTemplate.objects.get()
    assert row.updated_by == admin
    page = client.get(f"/quan-tri/notifications/messagetemplate/{row.pk}/change/").content.decode()
    assert "Ví dụ tin gửi đi" in page and "{so_tien}" in page


def test_the_offices_wording_is_used_for_the_next_message(ward, freeze):
    freeze(NOW)
    MessageTemplate.objects.create(
        kind=Kind.DOSSIER_RECEIVED,
        channel="email",
        subject="[Phường Kiến Hưng] Đã nhận hồ sơ {ma_ho_so}",
        body="Chào {ho_ten}, hồ sơ {ma_ho_so} hẹn trả {ngay_hen}.",
    )
    MessageTemplate.objects.create(
        kind=Kind.DOSSIER_RECEIVED, channel="sms", body="Da nhan ho so {ma_ho_so}, hen {ngay_hen}"
    )
    MessageTemplate.objects.create(  # not in use: the default stays
        kind=Kind.DOSSIER_RECEIVED, channel="zalo", body="OA {ma_ho_so} {ngay_hen}", active=False
    )
    d = dossiers.dossier_receive(
        procedure_code="1.001193",
        channel="direct",
        citizen={**CITIZEN, "notify_consent": True, "notify_channels": ["email", "sms"]},
        unit=ward.unit,
        actor=ward.tiepnhan,
    )
    rows = {n.channel: n for n in Notification.objects.filter(dossier=d)}
    assert rows["email"].subject == f"[Phường Kiến Hưng] Đã nhận hồ sơ {d.code}"
    assert rows["email"].text.startswith("Chào Nguyễn Văn An, hồ sơ")
    assert rows["sms"].text.startswith(f"Da nhan ho so {d.code}, hen ")


def test_sms_preview_tells_when_the_text_is_cut():
    short = texts.sms_preview(Kind.QUEUE_CALLED, "Số {so_thu_tu}: quầy {quay}")
    assert not short["cut"] and "A012" in short["text"]
    long = texts.sms_preview(Kind.SUPPLEMENT_NEEDED, "Hồ sơ {ma_ho_so} cần bổ sung: " + "x " * 120)
    assert long["cut"] and not long["unicode"] and long["length"] <= 160
    assert "000.00.30.H26-261117-0001" in long["text"]
