"""Booking rules, capacity with travel time, permissions per unit and the officer's actions."""

from __future__ import annotations

import base64
import io
import threading
from datetime import date

import pytest
from homeservice_helpers import YOUNG_ID, book_kwargs
from PIL import Image

from motcua.core.errors import DomainError, PermissionDenied
from motcua.dossiers.models import Dossier, DossierEvent
from motcua.homeservice import services
from motcua.homeservice.models import HomeVisit, HomeVisitEvent, OfficerAbsence


def _png_b64(size=(60, 30)) -> str:  # type: ignore[no-untyped-def]
    buf = io.BytesIO()
    Image.new("RGBA", size, (0, 0, 0, 255)).save(buf, "PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _jpeg_with_gps() -> bytes:
    img = Image.new("RGB", (3000, 2000), (200, 180, 160))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (21.0, 1.0, 2.0)}  # GPS IFD
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif)
    return buf.getvalue()


def test_book_gives_code_and_uses_procedure_time_plus_travel(home):
    visit = services.visit_book(**book_kwargs(home))
    assert visit.code.startswith("TN-") and len(visit.code) == 9
    assert visit.minutes == 30 + 20
    assert visit.status == "requested"
    assert visit.citizen.verified is False
    assert visit.events.get().action == "book"


def test_who_may_be_served_at_home(home):
    # Social protection: anyone. A home-channel procedure: old (by the CCCD's birth year), …
    services.visit_book(**book_kwargs(home, version=home.birth, eligibility="elderly"))
    with pytest.raises(DomainError) as exc:
        services.visit_book(**book_kwargs(home, version=home.birth, eligibility="elderly",
                                          id_number=YOUNG_ID, phone="0987654321"))  # fmt: skip
    assert exc.value.code == "home_visit_not_eligible"
    # … and never a procedure that is neither home nor social protection.
    with pytest.raises(DomainError) as exc:
        services.visit_book(**book_kwargs(home, version=home.counter_only, eligibility="ill"))
    assert exc.value.code == "home_visit_not_eligible"
    home.rule.allow_ill = False
    home.rule.save()
    with pytest.raises(DomainError) as exc:
        services.visit_book(**book_kwargs(home, version=home.birth, eligibility="ill",
                                          id_number=YOUNG_ID))  # fmt: skip
    assert exc.value.code == "home_visit_not_eligible"


def test_capacity_counts_officers_minutes_and_absence(home):
    # Two officers × 100 minutes; each visit 50 → four visits in the morning, not five.
    ids = [f"0010401{i:05d}" for i in range(6)]
    for i in range(4):
        services.visit_book(**book_kwargs(home, id_number=ids[i], phone=f"09120000{i:02d}"))
    with pytest.raises(DomainError) as exc:
        services.visit_book(**book_kwargs(home, id_number=ids[4], phone="0912000099"))
    assert exc.value.code == "home_visit_full"
    # The afternoon has room, unless both officers are away.
    for officer in (home.tainha, home.tainha2):
        OfficerAbsence.objects.create(
            officer=officer, date=date(2026, 11, 17), half_day="afternoon"
        )
    with pytest.raises(DomainError) as exc:
        services.visit_book(**book_kwargs(home, id_number=ids[4], half_day="afternoon"))
    assert exc.value.code == "home_visit_full"


def test_days_that_cannot_be_booked(home):
    for day, half in [(date(2026, 11, 21), "morning"), (date(2026, 11, 16), "morning"),
                      (date(2026, 12, 30), "morning")]:  # fmt: skip
        with pytest.raises(DomainError) as exc:
            services.visit_book(**book_kwargs(home, day=day, half_day=half))
        assert exc.value.code == "home_visit_day_invalid"


def test_cancel_with_code_and_last_four_digits(home):
    visit = services.visit_book(**book_kwargs(home))
    with pytest.raises(DomainError) as exc:
        services.visit_cancel_by_citizen(code=visit.code, proof="0000")
    assert exc.value.code == "home_visit_not_found"
    done = services.visit_cancel_by_citizen(code=visit.code.lower().replace("-", " "),
                                            proof="5678")  # fmt: skip
    assert done.status == "cancelled"
    # Its minutes are free again.
    assert services.capacity(home.ward, home.rule, date(2026, 11, 17), "morning")["used"] == 0


def test_assign_only_by_the_units_manager_and_within_officer_time(home):
    a = services.visit_book(**book_kwargs(home))
    b = services.visit_book(**book_kwargs(home, id_number="001040100002", phone="0912000002"))
    c = services.visit_book(**book_kwargs(home, id_number="001040100003", phone="0912000003"))
    for who in (home.quanly_khac, home.tainha, home.tiepnhan):
        with pytest.raises(PermissionDenied):
            services.visit_act(code=a.code, action="assign", key=f"k-{who.pk}", actor=who,
                               params={"officer": "tainha"})  # fmt: skip
    services.visit_act(code=a.code, action="assign", key="a1", actor=home.quanly,
                       params={"officer": "tainha"})  # fmt: skip
    services.visit_act(code=b.code, action="assign", key="b1", actor=home.quanly,
                       params={"officer": "tainha"})  # fmt: skip
    with pytest.raises(DomainError) as exc:  # 3 × 50 > 100 minutes
        services.visit_act(code=c.code, action="assign", key="c1", actor=home.quanly,
                           params={"officer": "tainha"})  # fmt: skip
    assert exc.value.code == "home_visit_officer_full"
    with pytest.raises(DomainError) as exc:  # an officer of another unit
        services.visit_act(code=c.code, action="assign", key="c2", actor=home.quanly,
                           params={"officer": "tainha_khac"})  # fmt: skip
    assert exc.value.code == "officer_invalid"
    a.refresh_from_db(), b.refresh_from_db()
    assert (a.position, b.position) == (1, 2)
    # Reorder, then reassign b to the other officer.
    services.visit_move(visit=b, actor=home.quanly, step=-1)
    a.refresh_from_db(), b.refresh_from_db()
    assert (b.position, a.position) == (1, 2)
    answer, _ = services.visit_act(code=b.code, action="assign", key="b2", actor=home.quanly,
                                   params={"officer": "tainha2"})  # fmt: skip
    assert answer["officer"] == "tainha2" and answer["position"] == 1
    a.refresh_from_db()
    assert a.position == 1


def test_receive_at_home_is_the_same_dossier_and_a_resend_changes_nothing(home):
    visit = services.visit_book(**book_kwargs(home))
    services.visit_act(code=visit.code, action="assign", key="as", actor=home.quanly,
                       params={"officer": "tainha"})  # fmt: skip
    # Only the assigned officer (or the manager) acts on the visit.
    with pytest.raises(PermissionDenied):
        services.visit_act(code=visit.code, action="arrive", key="x", actor=home.tainha2)
    photo = "data:image/jpeg;base64," + base64.b64encode(_jpeg_with_gps()).decode()
    params = {"papers": [0], "photos": [{"data": photo, "paper": 0}], "signature": _png_b64()}
    first, replayed = services.visit_act(code=visit.code, action="receive", key="r-1",
                                         actor=home.tainha, params=params)  # fmt: skip
    assert not replayed and first["status"] == "received" and first["dossier"]
    again, replayed = services.visit_act(code=visit.code, action="receive", key="r-1",
                                         actor=home.tainha, params=params)  # fmt: skip
    assert replayed and again == first
    dossier = Dossier.objects.get()
    assert dossier.code == first["dossier"] and dossier.channel == "home"
    assert dossier.status == 2 and dossier.due_at is not None
    # One set of events: the reception and the choice to bring the result home.
    actions = sorted(DossierEvent.objects.filter(dossier=dossier).values_list("action", flat=True))
    assert actions == ["delivery_choose", "receive"]
    assert dossier.delivery.method == "home" and dossier.delivery.address == visit.address
    assert HomeVisitEvent.objects.filter(visit=visit, action="receive").count() == 1
    photo_att = dossier.attachments.get(content_type="image/jpeg")
    with Image.open(photo_att.file) as img:
        assert max(img.size) == services.PHOTO_MAX_SIDE
        assert not img.getexif()  # no camera data, no GPS
    sig = dossier.attachments.get(content_type="image/png")
    assert sig.original_name == "chu-ky-cong-dan.png"
    visit.refresh_from_db()
    assert visit.signature.name.endswith(".png")


def test_a_fake_photo_is_refused_and_nothing_is_created(home):
    visit = services.visit_book(**book_kwargs(home))
    services.visit_act(code=visit.code, action="assign", key="a", actor=home.quanly,
                       params={"officer": "tainha"})  # fmt: skip
    fake = "data:image/jpeg;base64," + base64.b64encode(b"\xff\xd8\xff not a jpeg").decode()
    with pytest.raises(DomainError) as exc:
        services.visit_act(code=visit.code, action="receive", key="r", actor=home.quanly,
                           params={"photos": [fake]})  # fmt: skip
    assert exc.value.code == "image_invalid"
    assert Dossier.objects.count() == 0
    visit.refresh_from_db()
    assert visit.status == "assigned"


def test_no_one_home_then_reschedule_frees_the_old_half_day(home):
    visit = services.visit_book(**book_kwargs(home))
    services.visit_act(code=visit.code, action="assign", key="a", actor=home.quanly,
                       params={"officer": "tainha"})  # fmt: skip
    services.visit_act(code=visit.code, action="no_one_home", key="n", actor=home.tainha)
    answer, _ = services.visit_act(code=visit.code, action="reschedule", key="s",
                                   actor=home.tainha,
                                   params={"date": "2026-11-18", "half_day": "afternoon"})  # fmt: skip
    assert answer["status"] == "requested" and answer["officer"] is None
    assert answer["date"] == "2026-11-18"
    assert services.capacity(home.ward, home.rule, date(2026, 11, 17), "morning")["used"] == 0


def test_a_wrong_step_is_refused(home):
    visit = services.visit_book(**book_kwargs(home))
    with pytest.raises(DomainError) as exc:
        services.visit_act(code=visit.code, action="complete", key="c", actor=home.quanly)
    assert exc.value.code == "home_visit_action_refused"


@pytest.mark.django_db(transaction=True)
def test_capacity_never_overbooked_under_threads(home):
    from django.db import connection

    # Room for 4 visits (2 officers × 100 min, 50 min each); 10 people book at once.
    errors: list[str] = []
    made: list[str] = []

    def worker(i: int) -> None:
        try:
            v = services.visit_book(**book_kwargs(home, id_number=f"0010402{i:05d}",
                                                  phone=f"09130000{i:02d}"))  # fmt: skip
            made.append(v.code)
        except DomainError as exc:
            errors.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(made) == 4
    assert errors == ["home_visit_full"] * 6
    assert HomeVisit.objects.filter(date=date(2026, 11, 17), half_day="morning").count() == 4
