"""The sender against the real stand-ins (HTTP SMS gateway, HTTP Zalo ZNS, aiosmtpd SMTP):
retries with back-off, failures for good listed for staff, nothing at night but the urgent,
and a worker killed between the channel's answer and our bookkeeping: nothing twice, nothing lost.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from notifications_helpers import CITIZEN, vn

from motcua.dossiers import services as dossiers
from motcua.notifications import rules, services
from motcua.notifications.channels import channel_for
from motcua.notifications.models import Kind, Notification, State

NOW = vn(2026, 11, 17, 9, 30)


def _receive(ward, channels, **citizen):
    return dossiers.dossier_receive(
        procedure_code="1.001193",
        channel="direct",
        citizen={**CITIZEN, "notify_consent": True, "notify_channels": channels, **citizen},
        unit=ward.unit,
        actor=ward.tiepnhan,
    )


def test_each_channel_delivers_through_its_stand_in(ward, doubles, freeze):
    freeze(NOW)
    d = _receive(ward, ["sms", "email", "zalo"])
    assert services.notifications_send_due() == {"sent": 3}
    rows = {n.channel: n for n in Notification.objects.filter(dossier=d)}
    assert all(n.state == State.SENT and n.sent_at == NOW for n in rows.values())
    [sms] = doubles.sms.delivered
    assert sms["phone"] == "84912345678" and d.code in sms["message"] and sms["unicode"] == 0
    assert sms["key"] == str(rows["sms"].pk) and rows["sms"].provider_id == sms["provider_id"]
    [zalo] = doubles.zalo.delivered
    assert zalo["template_id"] == "301001" and zalo["template_data"]["ma_ho_so"] == d.code
    [mail] = doubles.smtp.delivered
    assert mail["to"] == [CITIZEN["email"]]
    assert mail["subject"] == f"Hồ sơ {d.code} đã được tiếp nhận"
    assert "Đăng ký khai sinh" in mail["text"] and "/huy-dang-ky/" in mail["unsubscribe"]
    assert mail["key"] == f"<{rows['email'].pk}@motcua>"
    # Nothing left to send.
    assert services.notifications_send_due() == {}


def test_temporary_failures_are_retried_with_back_off(ward, doubles, freeze):
    freeze(NOW)
    _receive(ward, ["sms"])
    doubles.sms.fail_next = 2
    assert services.notifications_send_due() == {"pending": 1}
    n = Notification.objects.get()
    assert n.attempts == 1 and n.next_attempt_at == NOW + timedelta(seconds=30)
    assert "HTTP 503" in n.last_error
    assert services.notifications_send_due(now=NOW + timedelta(seconds=10)) == {}  # not yet due
    freeze(NOW + timedelta(seconds=30))
    assert services.notifications_send_due() == {"pending": 1}
    n.refresh_from_db()
    assert n.next_attempt_at == NOW + timedelta(seconds=30 + 60)  # doubled
    freeze(NOW + timedelta(seconds=90))
    assert services.notifications_send_due() == {"sent": 1}
    assert len(doubles.sms.delivered) == 1


def test_failure_for_good_is_listed_for_staff_with_the_reason(ward, doubles, freeze, client):
    freeze(NOW)
    doubles.zalo.refuse.add("84912345678")
    d = _receive(ward, ["zalo"])
    assert services.notifications_send_due() == {"failed": 1}
    n = Notification.objects.get()
    assert n.state == State.FAILED and "-108" in n.last_error and n.attempts == 1
    client.force_login(ward.tiepnhan)
    page = client.get("/can-bo/thong-bao/that-bai/").content.decode()
    assert d.code in page and "Zalo từ chối (-108)" in page and "091****678" in page
    client.force_login(ward.khac)  # another ward's official: not theirs to see
    assert d.code not in client.get("/can-bo/thong-bao/that-bai/").content.decode()
    client.force_login(ward.chuyenvien)
    assert client.get("/can-bo/thong-bao/that-bai/").status_code == 403


def test_too_many_attempts_end_as_failed(ward, doubles, freeze):
    freeze(NOW)
    _receive(ward, ["sms"])
    doubles.sms.fail_next = 100
    at = NOW
    for _ in range(rules.MAX_ATTEMPTS):
        n = Notification.objects.get()
        at = max(at, n.next_attempt_at)
        freeze(at)
        services.notifications_send_due()
    n = Notification.objects.get()
    assert n.state == State.FAILED and n.attempts == rules.MAX_ATTEMPTS
    assert doubles.sms.delivered == []


def test_nothing_at_night_except_the_queue_call(ward, doubles, freeze):
    freeze(vn(2026, 11, 17, 21, 30))
    _receive(ward, ["sms"])
    n = Notification.objects.get()
    assert n.next_attempt_at == vn(2026, 11, 18, 7, 0)
    urgent = Notification.objects.create(
        kind=Kind.QUEUE_CALLED,
        channel="sms",
        recipient="0912345679",
        text="Den luot so A001: moi den quay 1.",
        urgent=True,
        created_at=vn(2026, 11, 17, 21, 30),
        next_attempt_at=vn(2026, 11, 17, 21, 30),
    )
    # Even a row due now is held at night unless urgent.
    Notification.objects.filter(pk=n.pk).update(next_attempt_at=vn(2026, 11, 17, 21, 30))
    assert services.notifications_send_due() == {"sent": 1}
    assert [m["key"] for m in doubles.sms.delivered] == [str(urgent.pk)]
    assert services.notification_send(pk=n.pk) == State.PENDING
    n.refresh_from_db()
    assert n.state == State.PENDING and n.next_attempt_at == vn(2026, 11, 18, 7, 0)
    freeze(vn(2026, 11, 18, 7, 0))
    assert services.notifications_send_due() == {"sent": 1}


class WorkerKilled(BaseException):
    """What a kill -9 looks like from inside: nothing after this line runs, no except catches it."""


class DiesAfterAnswer:
    """Wraps a real channel: the HTTP call / SMTP transaction completes, then the worker dies."""

    def __init__(self, name: str) -> None:
        self.inner = channel_for(name)

    def send(self, message):
        self.inner.send(message)
        raise WorkerKilled


@pytest.mark.parametrize("channel", ["sms", "zalo", "email"])
def test_worker_killed_after_the_answer_sends_nothing_twice_and_loses_nothing(
    ward, doubles, freeze, channel
):
    freeze(NOW)
    for i in range(3):
        _receive(
            ward,
            [channel],
            id_number=f"00108501234{i}",
            phone=f"091234567{i}",
            email=f"c{i}@example.vn",
        )
    ids = sorted(str(pk) for pk in Notification.objects.values_list("pk", flat=True))
    stand_in = {"sms": doubles.sms, "zalo": doubles.zalo, "email": doubles.smtp}[channel]

    # The first worker dies after each message reached the channel, before recording it.
    for pk in ids:
        with pytest.raises(WorkerKilled):
            services.notification_send(pk=pk, channels={channel: DiesAfterAnswer(channel)})
    assert sorted(m["key"].strip("<>").split("@")[0] for m in stand_in.delivered) == ids
    assert set(Notification.objects.values_list("state", flat=True)) == {State.SENDING}

    # Another worker runs at once: the rows are leased to the dead one, nothing is sent.
    assert services.notifications_send_due() == {}
    # After the lease, it takes them again with the same keys: the channel recognises them.
    freeze(NOW + services.SENDING_LEASE + timedelta(seconds=1))
    assert services.notifications_send_due() == {"sent": 3}
    assert len(stand_in.delivered) == 3  # nobody got a message twice
    assert stand_in.requests == 6  # each key was presented twice
    for n in Notification.objects.all():
        assert n.state == State.SENT and n.attempts == 2  # none lost
        delivered = next(m for m in stand_in.delivered if str(n.pk) in m["key"])
        assert n.provider_id == delivered["provider_id"] or channel == "email"


def test_two_workers_never_take_the_same_row(ward, doubles, freeze):
    freeze(NOW)
    _receive(ward, ["sms"])
    n = Notification.objects.get()
    assert services.notification_claim(pk=n.pk, now=NOW) is not None
    assert services.notification_claim(pk=n.pk, now=NOW) is None
