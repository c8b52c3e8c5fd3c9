"""Units (versioned tree), offices, counters, staff and their roles, citizens."""

from __future__ import annotations

from datetime import date

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q

from motcua.core.text import fold


class UnitLevel(models.TextChoices):
    PROVINCE = "province", "Tỉnh/Thành phố"
    DISTRICT = "district", "Quận/Huyện/Thị xã"
    WARD = "ward", "Phường"
    COMMUNE = "commune", "Xã"
    TOWN = "town", "Thị trấn"
    DEPARTMENT = "department", "Phòng/Ban chuyên môn"


class UnitQuerySet(models.QuerySet["Unit"]):
    def current(self, on: date | None = None) -> UnitQuerySet:
        """Units valid on a date (today when omitted)."""
        from motcua.core import clock

        on = on or clock.today()
        return self.filter(Q(valid_from__isnull=True) | Q(valid_from__lte=on)).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=on)
        )


class Unit(models.Model):
    """An administrative unit or a department, valid over a period; mergers link successors.

    `code` is the official administrative code (GSO) for territorial units, or a local code
    for departments; `agency_code` is the electronic identifier (Circular 10/2016/TT-BTTTT)
    that starts every dossier code.
    """

    code = models.CharField("mã đơn vị", max_length=40, unique=True)
    agency_code = models.CharField("mã định danh điện tử", max_length=40, blank=True, db_index=True)
    name = models.CharField("tên", max_length=200)
    level = models.CharField("cấp", max_length=20, choices=UnitLevel.choices)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name="đơn vị cha",
    )
    valid_from = models.DateField("hiệu lực từ", null=True, blank=True)
    valid_to = models.DateField("hiệu lực đến", null=True, blank=True)
    successors = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="predecessors",
        verbose_name="đơn vị kế thừa",
    )
    name_folded = models.CharField(max_length=200, editable=False, db_index=True)

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = "đơn vị"
        verbose_name_plural = "đơn vị"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.name_folded = fold(self.name)
        super().save(*args, **kwargs)

    def is_current(self, on: date | None = None) -> bool:
        from motcua.core import clock

        on = on or clock.today()
        return (self.valid_from is None or self.valid_from <= on) and (
            self.valid_to is None or self.valid_to >= on
        )

    def ancestors(self) -> list[Unit]:
        chain: list[Unit] = []
        node = self.parent
        while node is not None:
            chain.append(node)
            node = node.parent
        return chain

    def descendant_ids(self) -> set[int]:
        """Ids of this unit and everything under it (small trees: a few hundred rows)."""
        ids = {self.pk}
        frontier = [self.pk]
        while frontier:
            frontier = list(
                Unit.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)
            )
            ids.update(frontier)
        return ids


class Office(models.Model):
    """The one-stop office (bộ phận một cửa) of a unit."""

    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="offices", verbose_name="đơn vị"
    )
    code = models.SlugField("mã", max_length=40, unique=True)
    name = models.CharField("tên", max_length=200)
    address = models.CharField("địa chỉ", max_length=300, blank=True)
    phone = models.CharField("điện thoại", max_length=40, blank=True)
    latitude = models.FloatField("vĩ độ", null=True, blank=True)
    longitude = models.FloatField("kinh độ", null=True, blank=True)
    # Opening windows; the working calendar reads them for this office's unit.
    morning_start = models.TimeField("sáng từ", default="07:30")
    morning_end = models.TimeField("sáng đến", default="11:30")
    afternoon_start = models.TimeField("chiều từ", default="13:00")
    afternoon_end = models.TimeField("chiều đến", default="17:00")
    is_active = models.BooleanField("đang hoạt động", default=True)

    class Meta:
        verbose_name = "bộ phận một cửa"
        verbose_name_plural = "bộ phận một cửa"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Counter(models.Model):
    """A service counter (quầy) of an office."""

    office = models.ForeignKey(
        Office, on_delete=models.CASCADE, related_name="counters", verbose_name="bộ phận"
    )
    number = models.PositiveSmallIntegerField("số quầy")
    name = models.CharField("tên quầy", max_length=120, blank=True)
    is_active = models.BooleanField("đang mở", default=True)

    class Meta:
        verbose_name = "quầy"
        verbose_name_plural = "quầy"
        ordering = ["office", "number"]
        constraints = [
            models.UniqueConstraint(fields=["office", "number"], name="counter_unique_number")
        ]

    def __str__(self) -> str:
        return f"Quầy số {self.number}" + (f" – {self.name}" if self.name else "")


class Role(models.TextChoices):
    RECEPTION = "reception", "Cán bộ tiếp nhận"
    SPECIALIST = "specialist", "Chuyên viên xử lý"
    LEADER = "leader", "Lãnh đạo đơn vị"
    MANAGER = "manager", "Cán bộ quản lý"
    SYSADMIN = "sysadmin", "Quản trị hệ thống"
    HOME_SERVICE = "home_service", "Cán bộ phục vụ tại nhà"


class User(AbstractUser):
    """A staff account (citizens do not log in to the back office)."""

    full_name = models.CharField("họ và tên", max_length=200, blank=True)
    title = models.CharField("chức danh", max_length=120, blank=True)

    class Meta:
        verbose_name = "cán bộ"
        verbose_name_plural = "cán bộ"

    def __str__(self) -> str:
        return self.full_name or self.username

    def role_set(self, unit: Unit | None = None) -> set[str]:
        qs = self.unit_roles.all()
        if unit is not None:
            qs = qs.filter(unit=unit)
        return set(qs.values_list("role", flat=True))

    def has_role(self, role: str, unit: Unit | None = None) -> bool:
        if self.is_superuser and role == Role.SYSADMIN:
            return True
        return role in self.role_set(unit)


class StaffRole(models.Model):
    """One role of one official in one unit."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="unit_roles", verbose_name="cán bộ"
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="staff_roles", verbose_name="đơn vị"
    )
    role = models.CharField("vai trò", max_length=20, choices=Role.choices)

    class Meta:
        verbose_name = "vai trò cán bộ"
        verbose_name_plural = "vai trò cán bộ"
        constraints = [
            models.UniqueConstraint(fields=["user", "unit", "role"], name="staffrole_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()} – {self.unit}"


class Sex(models.TextChoices):
    MALE = "M", "Nam"
    FEMALE = "F", "Nữ"


class Citizen(models.Model):
    """A citizen known to the office (from a dossier, a check-in or the ID card QR)."""

    id_number = models.CharField("số định danh (CCCD)", max_length=12, unique=True)
    old_id_number = models.CharField("số CMND cũ", max_length=12, blank=True)
    full_name = models.CharField("họ và tên", max_length=200)
    name_folded = models.CharField(max_length=200, editable=False, db_index=True)
    date_of_birth = models.DateField("ngày sinh", null=True, blank=True)
    sex = models.CharField("giới tính", max_length=1, choices=Sex.choices, blank=True)
    phone = models.CharField("số điện thoại", max_length=20, blank=True, db_index=True)
    email = models.EmailField("thư điện tử", blank=True)
    address = models.CharField("địa chỉ", max_length=300, blank=True)
    created_at = models.DateTimeField("tạo lúc", auto_now_add=True)
    verified = models.BooleanField(
        "đã đối chiếu giấy tờ",
        default=True,
        db_default=True,  # bulk loaders insert rows with raw SQL / COPY
        help_text="Bỏ chọn: hồ sơ tạo từ thông tin công dân tự khai trên mạng (đặt lịch, nộp trực "
        "tuyến), chưa đối chiếu thẻ căn cước. Lần quét mã QR căn cước hoặc tiếp nhận tại quầy "
        "sau đó sẽ sửa và xác nhận.",
    )

    class Meta:
        verbose_name = "công dân"
        verbose_name_plural = "công dân"

    def __str__(self) -> str:
        return f"{self.full_name} ({self.id_number})"

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.fill_derived()
        super().save(*args, **kwargs)

    def fill_derived(self) -> None:
        """What save() works out before writing (also called by the kiosk's plain insert)."""
        self.name_folded = fold(self.full_name)


class UnitBoundary(models.Model):
    """The outline of a unit's territory, imported from a GeoJSON file (org/boundaries.py)."""

    unit = models.OneToOneField(
        Unit, on_delete=models.CASCADE, related_name="boundary", verbose_name="đơn vị"
    )
    # A GeoJSON MultiPolygon in WGS 84 (longitude, latitude), validated on import.
    geometry = models.JSONField("ranh giới (GeoJSON)")
    source = models.CharField("nguồn", max_length=300, blank=True)
    imported_at = models.DateTimeField("nhập lúc", auto_now=True)

    class Meta:
        verbose_name = "ranh giới đơn vị"
        verbose_name_plural = "ranh giới đơn vị"

    def __str__(self) -> str:
        return f"Ranh giới {self.unit.name}"
