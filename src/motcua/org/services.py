"""Writes of the org app: citizens known to the office."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from motcua.core.errors import ValidationFailed
from motcua.core.services import audit_record
from motcua.core.text import fold, normalize_name
from motcua.org.idcard import parse_idcard_qr, validate_id_number
from motcua.org.models import Citizen, Sex
from motcua.org.phone import normalize_phone

_CONTACT_FIELDS = ("phone", "address", "email", "old_id_number")


def _clean_sex(sex: str) -> str:
    folded = fold(sex)
    if folded in ("",):
        return ""
    if folded in ("m", "nam", "male"):
        return Sex.MALE
    if folded in ("f", "nu", "female"):
        return Sex.FEMALE
    raise ValidationFailed(
        f"Giới tính không hợp lệ: “{sex}” (chỉ nhận Nam hoặc Nữ).", code="sex_invalid"
    )


def _citizen_values(
    *,
    id_number: str,
    full_name: str,
    date_of_birth: date | None,
    sex: str,
    phone: str,
    address: str,
    email: str,
    old_id_number: str,
    verified: bool,
) -> tuple[str, dict[str, Any]]:
    """The identity number and the record's values, checked and normalised (no database)."""
    id_number = (id_number or "").strip()
    sex = _clean_sex(sex)
    validate_id_number(id_number, date_of_birth=date_of_birth, sex=sex or None)
    name = normalize_name(full_name or "")
    if not name:
        raise ValidationFailed("Cần nhập họ và tên công dân.", code="full_name_required")
    values: dict[str, Any] = {
        "full_name": name,
        "date_of_birth": date_of_birth,
        "sex": sex,
        "phone": normalize_phone(phone),
        "address": " ".join((address or "").split()),
        "email": (email or "").strip().lower(),
        "old_id_number": (old_id_number or "").strip(),
    }
    if values["email"]:
        try:
            validate_email(values["email"])
        except DjangoValidationError:
            raise ValidationFailed(
                f"Địa chỉ thư điện tử “{email}” không hợp lệ.", code="email_invalid"
            ) from None
    values["verified"] = verified
    return id_number, values


def _changes(citizen: Citizen, values: dict[str, Any]) -> list[str]:
    """The fields `values` would change on a known record (blanks never erase)."""
    return [
        field
        for field, value in values.items()
        if not (value in ("", None) and field in (*_CONTACT_FIELDS, "date_of_birth", "sex"))
        and getattr(citizen, field) != value
    ]


@transaction.atomic
def citizen_upsert(
    *,
    id_number: str,
    full_name: str,
    date_of_birth: date | None = None,
    sex: str = "",
    phone: str = "",
    address: str = "",
    email: str = "",
    old_id_number: str = "",
    actor: Any = None,
    verified: bool = True,
    source: str = "",
) -> Citizen:
    """Create a citizen or update a known one; blank contact fields never erase saved values.

    `verified=False` is for what someone typed on the internet (online submission, booking):
    it may create a new, unverified record but never changes a known one, and a name that
    does not match a verified record is refused. Staff at a counter and the chip-card QR
    pass `verified=True`: the record is corrected and marked verified.
    """
    id_number, values = _citizen_values(
        id_number=id_number, full_name=full_name, date_of_birth=date_of_birth, sex=sex,
        phone=phone, address=address, email=email, old_id_number=old_id_number, verified=verified,
    )  # fmt: skip
    return _citizen_write(
        id_number=id_number, values=values, actor=actor, verified=verified, source=source
    )


def _citizen_write(
    *, id_number: str, values: dict[str, Any], actor: Any, verified: bool, source: str
) -> Citizen:
    """`citizen_upsert` after its checks (inside a transaction): read locked, create or update."""
    citizen = Citizen.objects.select_for_update().filter(id_number=id_number).first()
    if citizen is not None and not verified:
        if citizen.verified and fold(citizen.full_name) != fold(values["full_name"]):
            raise ValidationFailed(
                "Họ tên không khớp với số định danh đã đăng ký. Vui lòng kiểm tra lại thông tin "
                "trên thẻ căn cước.",
                code="citizen_name_mismatch",
            )
        return citizen  # typed data never changes a known person's record
    if citizen is None:
        try:
            with transaction.atomic():
                citizen = Citizen.objects.create(id_number=id_number, **values)
        except IntegrityError:
            # Another counter registered the same person a moment ago: update that row instead.
            citizen = Citizen.objects.select_for_update().get(id_number=id_number)
            if not verified:
                return citizen
        else:
            _citizen_created(citizen, actor=actor, source=source)
            return citizen

    changed = _changes(citizen, values)
    if changed:
        for field in changed:
            setattr(citizen, field, values[field])
        citizen.save()
        audit_record(
            action="citizen.update", actor=actor, obj=citizen, detail={"fields": sorted(changed)}
        )
    return citizen


def _citizen_created(citizen: Citizen, *, actor: Any, source: str) -> None:
    audit_record(
        action="citizen.create",
        actor=actor,
        obj=citizen,
        detail={"source": source} if source else None,
    )


def citizen_from_qr(
    *, payload: str, phone: str = "", email: str = "", actor: Any = None
) -> Citizen:
    """Create or update a citizen from the chip ID card's QR payload.

    The kiosk's hot path, so the usual cases take the fewest statements: a known person whose
    card says nothing new is one unlocked read (nothing to write, no transaction); a new person
    is that read, then the row and its audit row in one transaction without a savepoint (a
    concurrent registration of the same card, rare, rolls it back and takes `citizen_upsert`'s
    locked path). Everything else (a change to record) goes through `citizen_upsert`.
    """
    card = parse_idcard_qr(payload)
    id_number, values = _citizen_values(
        id_number=card.id_number, full_name=card.full_name, date_of_birth=card.date_of_birth,
        sex=card.sex, phone=phone, address=card.address, email=email,
        old_id_number=card.old_id_number, verified=True,
    )  # fmt: skip
    from motcua.core.rawsql import first_by, insert

    known = first_by(Citizen, "id_number", id_number)  # one row, without the ORM's compiler
    if known is not None and not _changes(known, values):
        return known
    if known is None:
        try:
            with transaction.atomic():
                citizen = Citizen(id_number=id_number, **values)
                citizen.fill_derived()  # what Citizen.save() does; then the plain insert
                insert(citizen, prepared=True)
                _citizen_created(citizen, actor=actor, source="")
            return citizen
        except IntegrityError:
            pass  # registered a moment ago by another kiosk or counter: the locked path below
    with transaction.atomic():
        return _citizen_write(
            id_number=id_number, values=values, actor=actor, verified=True, source=""
        )


@transaction.atomic
def unit_boundaries_import(
    *,
    text: str | bytes,
    source: str = "",
    unit: Any = None,
    code_property: str | None = None,
    actor: Any = None,
) -> dict[str, Any]:
    """Import ward boundaries from GeoJSON: the whole file for `unit`, or each feature to the
    unit whose code its properties name. All or nothing: one bad feature saves none."""
    from motcua.org.boundaries import merge, parse_geojson
    from motcua.org.models import Unit, UnitBoundary

    boundaries = parse_geojson(text)
    if unit is not None:
        plan = [(unit, merge(boundaries))]
        unmatched: list[str] = []
    else:
        codes = [b.code(code_property) for b in boundaries]
        if not any(codes):
            raise ValidationFailed(
                "Các đối tượng trong tệp không ghi mã đơn vị (thuộc tính code/ma/ma_xa); "
                "hãy chọn đơn vị cho cả tệp.",
                code="boundary_unit_missing",
            )
        units = {u.code: u for u in Unit.objects.filter(code__in=[c for c in codes if c])}
        grouped: dict[str, list[Any]] = {}
        for code, b in zip(codes, boundaries, strict=True):
            if code in units:
                grouped.setdefault(code, []).append(b)
        unmatched = sorted({c or "(không có mã)" for c in codes if c not in units})
        if not grouped:
            raise ValidationFailed(
                f"Không có mã đơn vị nào trong tệp khớp với danh mục: {', '.join(unmatched[:10])}.",
                code="boundary_unit_unknown",
            )
        plan = [(units[c], merge(bs)) for c, bs in grouped.items()]
    saved = []
    for target, geometry in plan:
        UnitBoundary.objects.update_or_create(
            unit=target, defaults={"geometry": geometry, "source": source[:300]}
        )
        audit_record(
            action="unit.boundary_import",
            actor=actor,
            obj=target,
            detail={"source": source[:300], "polygons": len(geometry["coordinates"])},
        )
        saved.append(target.code)
    return {"saved": saved, "unmatched": unmatched}
