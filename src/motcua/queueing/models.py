"""Queue tables: services, counters' services, priority groups, bookings, tickets and their events."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q


class Service(models.Model):
    """A line of the office (usually one field), with the letter its tickets start with."""

    office = models.ForeignKey(
        "org.Office",
        on_delete=models.CASCADE,
        related_name="queue_services",
        verbose_name="bộ phận",
    )
    code = models.CharField("chữ cái đầu số", max_length=2, help_text="Ví dụ: A → số A015")
    name = models.CharField("tên dịch vụ", max_length=200)
    fields = models.ManyToManyField(
        "catalog.Field", blank=True, related_name="queue_services", verbose_name="lĩnh vực"
    )
    active = models.BooleanField("đang phục vụ", default=True)
    sort = models.PositiveSmallIntegerField("thứ tự", default=0)

    class Meta:
        verbose_name = "dịch vụ xếp hàng"
        verbose_name_plural = "dịch vụ xếp hàng"
        ordering = ["office", "sort", "code"]
        constraints = [
            models.UniqueConstraint(fields=["office", "code"], name="queue_service_unique_code")
        ]

    def __str__(self) -> str:
        return f"{self.code} – {self.name}"


class CounterService(models.Model):
    """A counter serves one or more services."""

    counter = models.ForeignKey(
        "org.Counter", on_delete=models.CASCADE, related_name="queue_links", verbose_name="quầy"
    )
    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, related_name="counter_links", verbose_name="dịch vụ"
    )

    class Meta:
        verbose_name = "dịch vụ của quầy"
        verbose_name_plural = "dịch vụ của quầy"
        constraints = [
            models.UniqueConstraint(fields=["counter", "service"], name="counter_service_unique")
        ]

    def __str__(self) -> str:
        return f"{self.counter} – {self.service}"


class PriorityGroup(models.Model):
    """A group served first by law or custom; weight = minutes of head start in the priority lane."""

    code = models.SlugField("mã", max_length=40, unique=True)
    name = models.CharField("tên nhóm", max_length=120)
    weight = models.PositiveSmallIntegerField("mức ưu tiên (phút)", default=10)
    min_age = models.PositiveSmallIntegerField(
        "tự động từ tuổi",
        null=True,
        blank=True,
        help_text="Để trống: cán bộ xác nhận tại quầy/bàn hướng dẫn. Có giá trị: kiosk tự áp dụng "
        "khi tuổi tính theo ngày sinh trên căn cước đạt mức này.",
    )

    class Meta:
        verbose_name = "nhóm ưu tiên"
        verbose_name_plural = "nhóm ưu tiên"
        ordering = ["-weight", "name"]

    def __str__(self) -> str:
        return self.name


class EndOfDay(models.TextChoices):
    CARRY_OVER = "carry_over", "Chuyển sang ngày làm việc kế tiếp"
    CANCEL = "cancel", "Hủy, ghi lý do"


class QueueSettings(models.Model):
    """Per-office queue rules."""

    office = models.OneToOneField(
        "org.Office",
        on_delete=models.CASCADE,
        related_name="queue_settings",
        verbose_name="bộ phận",
    )
    daily_cap = models.PositiveSmallIntegerField("số phiếu tối đa mỗi người mỗi ngày", default=3)
    end_of_day = models.CharField(
        "số chưa phục vụ cuối ngày",
        max_length=20,
        choices=EndOfDay.choices,
        default=EndOfDay.CANCEL,
    )
    closing_reason = models.CharField(
        "lý do đóng số cuối ngày",
        max_length=200,
        default="Hết giờ làm việc, chưa được phục vụ trong ngày.",
    )
    max_priority_streak = models.PositiveSmallIntegerField("số ưu tiên liên tiếp tối đa", default=3)
    recall_limit = models.PositiveSmallIntegerField("số lần gọi lại tối đa", default=3)
    history_size = models.PositiveSmallIntegerField(
        "số lượt gần nhất để ước tính thời gian chờ", default=30
    )
    default_service_s = models.PositiveIntegerField(
        "thời gian phục vụ mặc định (giây)", default=420
    )
    booking_slot_minutes = models.PositiveSmallIntegerField(
        "độ dài khung giờ hẹn (phút)", default=30
    )
    booking_per_slot = models.PositiveSmallIntegerField(
        "số lịch hẹn tối đa mỗi khung giờ, mỗi dịch vụ", default=4
    )
    booking_days_ahead = models.PositiveSmallIntegerField(
        "đặt lịch trước tối đa (ngày)", default=14
    )

    class Meta:
        verbose_name = "cấu hình xếp hàng"
        verbose_name_plural = "cấu hình xếp hàng"

    def __str__(self) -> str:
        return f"Cấu hình xếp hàng – {self.office}"


class QueueDay(models.Model):
    """One office's queue day; `closed_at` set once the end-of-day job has run."""

    office = models.ForeignKey("org.Office", on_delete=models.CASCADE, related_name="+")
    date = models.DateField()
    closed_at = models.DateTimeField(null=True, blank=True)
    # The day's total wait (issue → call) over the tickets called, kept at each call and
    # transfer so that the board's average needs no pass over the day's tickets. -1: not kept
    # yet (a row older than these fields), recomputed from the tickets on first use.
    wait_sum_s = models.FloatField(default=0)
    wait_count = models.IntegerField(default=-1)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["office", "date"], name="queue_day_unique")]

    def __str__(self) -> str:
        return f"{self.office_id} {self.date}"


class Authorisation(models.Model):
    """A recorded authorisation: `agent` may take a ticket on behalf of `principal`."""

    office = models.ForeignKey(
        "org.Office", on_delete=models.CASCADE, related_name="+", verbose_name="bộ phận"
    )
    principal = models.ForeignKey(
        "org.Citizen",
        on_delete=models.PROTECT,
        related_name="authorisations_given",
        verbose_name="người ủy quyền",
    )
    agent = models.ForeignKey(
        "org.Citizen",
        on_delete=models.PROTECT,
        related_name="authorisations_held",
        verbose_name="người được ủy quyền",
    )
    document = models.CharField("giấy ủy quyền", max_length=200, blank=True)
    valid_from = models.DateField("hiệu lực từ")
    valid_to = models.DateField("hiệu lực đến")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField()
    revoked_at = models.DateTimeField("thu hồi lúc", null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "ủy quyền lấy số"
        verbose_name_plural = "ủy quyền lấy số"
        constraints = [
            models.CheckConstraint(
                condition=~Q(principal=models.F("agent")), name="authorisation_two_people"
            )
        ]

    def __str__(self) -> str:
        return f"{self.agent} thay mặt {self.principal}"


class BookingStatus(models.TextChoices):
    BOOKED = "booked", "Đã đặt lịch"
    CHECKED_IN = "checked_in", "Đã đến lấy số"
    CANCELLED = "cancelled", "Đã hủy"
    MISSED = "missed", "Không đến"


class BookingChannel(models.TextChoices):
    PORTAL = "portal", "Cổng dịch vụ công"
    STAFF = "staff", "Cán bộ đặt hộ"


class Booking(models.Model):
    """A booked appointment: holds a slot; becomes a ticket only when its owner checks in."""

    office = models.ForeignKey(
        "org.Office", on_delete=models.CASCADE, related_name="+", verbose_name="bộ phận"
    )
    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, related_name="bookings", verbose_name="dịch vụ"
    )
    citizen = models.ForeignKey(
        "org.Citizen",
        on_delete=models.PROTECT,
        related_name="queue_bookings",
        verbose_name="công dân",
    )
    slot_start = models.DateTimeField("giờ hẹn", db_index=True)
    status = models.CharField(
        "trạng thái", max_length=20, choices=BookingStatus.choices, default=BookingStatus.BOOKED
    )
    created_at = models.DateTimeField()
    code = models.CharField(
        "mã lịch hẹn", max_length=16, unique=True, null=True, blank=True, editable=False
    )
    full_name = models.CharField("họ tên khai khi đặt lịch", max_length=200, blank=True)
    phone = models.CharField("số điện thoại liên hệ", max_length=15, blank=True)
    channel = models.CharField(
        "đặt qua", max_length=10, choices=BookingChannel.choices, default=BookingChannel.STAFF
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="cán bộ đặt",
    )
    cancelled_at = models.DateTimeField("hủy lúc", null=True, blank=True)
    cancel_reason = models.CharField("lý do hủy", max_length=200, blank=True)

    class Meta:
        verbose_name = "lịch hẹn"
        verbose_name_plural = "lịch hẹn"
        ordering = ["slot_start"]

    def __str__(self) -> str:
        return f"{self.citizen} – {self.service.code} – {self.slot_start:%d/%m %H:%M}"


class Method(models.TextChoices):
    FACE = "face", "Khuôn mặt"
    QR = "qr", "Mã QR CCCD"
    PHONE = "phone", "Số điện thoại"
    STAFF = "staff", "Cán bộ cấp số"


class Status(models.TextChoices):
    WAITING = "waiting", "Đang chờ"
    CALLED = "called", "Đã gọi"
    SERVING = "serving", "Đang phục vụ"
    DONE = "done", "Đã phục vụ"
    NO_SHOW = "no_show", "Vắng mặt"
    PARKED = "parked", "Tạm hoãn"
    CANCELLED = "cancelled", "Đã hủy"
    CARRIED_OVER = "carried_over", "Chuyển sang ngày sau"


ACTIVE_STATUSES = (Status.WAITING, Status.CALLED, Status.SERVING, Status.PARKED)
# A counter's current ticket (the counter is busy): called, or being served.
CURRENT_STATUSES = (Status.CALLED, Status.SERVING)
TERMINAL_STATUSES = (Status.DONE, Status.NO_SHOW, Status.CANCELLED, Status.CARRIED_OVER)


def _token() -> str:
    return secrets.token_urlsafe(16)


# Ticket's references set on few of its rows: each has a partial index (Ticket.Meta).
_RARE_REFERENCES = (
    "on_behalf_of",
    "authorisation",
    "priority",
    "target_counter",
    "transferred_from",
    "carried_from",
)


class Ticket(models.Model):
    """A number in the line for one service on one day."""

    # A ticket row is updated at each step of its day (called, served, ended) and PostgreSQL
    # writes a new entry in every index of the table at each of those updates (none of them
    # is "heap-only": the status is in the line's index). So a column gets an index of its own
    # only when no other index starts with it, and the references that are rarely set (an
    # agent, an authorisation, a priority, a transfer, a carry-over) get a partial one over
    # the rows that have one: what a delete of the row they point to needs, written only
    # for those tickets. 24 indexes → 10 full ones on PostgreSQL (migration 0008; the exact
    # set: tests/queueing/test_queueing_ticket_indexes.py).
    office = models.ForeignKey(
        "org.Office",
        on_delete=models.PROTECT,
        related_name="tickets",
        verbose_name="bộ phận",
        db_index=False,  # the line's index and ticket_unique_display start with it
    )
    service = models.ForeignKey(
        Service,
        on_delete=models.PROTECT,
        related_name="tickets",
        verbose_name="dịch vụ",
        db_index=False,  # (service, finished_at) starts with it
    )
    service_date = models.DateField("ngày", db_index=True)
    number = models.PositiveIntegerField("số")
    display = models.CharField("số thứ tự", max_length=12)
    token = models.CharField(max_length=32, unique=True, default=_token, editable=False)
    citizen = models.ForeignKey(
        "org.Citizen",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
        verbose_name="công dân",
        db_index=False,  # (citizen, service_date) starts with it
    )
    on_behalf_of = models.ForeignKey(
        "org.Citizen",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets_by_agent",
        verbose_name="thay mặt cho",
        db_index=False,  # partial index below
    )
    authorisation = models.ForeignKey(
        Authorisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
        db_index=False,  # partial index below
    )
    method = models.CharField("cách nhận diện", max_length=10, choices=Method.choices)
    priority = models.ForeignKey(
        PriorityGroup,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
        verbose_name="ưu tiên",
        db_index=False,  # partial index below
    )
    booking = models.OneToOneField(
        Booking, null=True, blank=True, on_delete=models.SET_NULL, related_name="ticket"
    )
    # No index of its own (written at every update): the reads by status name the office and
    # the day (the line's index), the counter ((counter, status)), or look for the few tickets
    # still open (`ticket_open`).
    status = models.CharField(
        "trạng thái", max_length=20, choices=Status.choices, default=Status.WAITING
    )
    issued_at = models.DateTimeField("cấp lúc")
    waiting_since = models.DateTimeField("chờ từ", help_text="Giữ nguyên khi chuyển dịch vụ/quầy")
    called_at = models.DateTimeField("gọi lúc", null=True, blank=True)
    started_at = models.DateTimeField("bắt đầu phục vụ", null=True, blank=True)
    finished_at = models.DateTimeField("kết thúc", null=True, blank=True)
    counter = models.ForeignKey(
        "org.Counter",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
        verbose_name="quầy",
        db_index=False,  # (counter, status) starts with it
    )
    # Transferred to a particular counter: only that counter may call it.
    target_counter = models.ForeignKey(
        "org.Counter",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # partial index below
    )
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="cán bộ",
    )
    recall_count = models.PositiveSmallIntegerField("số lần gọi lại", default=0)
    transferred_from = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # partial index below
    )
    carried_from = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # partial index below
    )
    close_reason = models.CharField("lý do đóng", max_length=200, blank=True)
    device = models.CharField("thiết bị", max_length=80, blank=True)

    class Meta:
        verbose_name = "số thứ tự"
        verbose_name_plural = "số thứ tự"
        ordering = ["service_date", "waiting_since", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["office", "service_date", "display"], name="ticket_unique_display"
            ),
            models.CheckConstraint(
                condition=Q(citizen__isnull=False) | Q(method="staff"),
                name="ticket_citizen_identified",
            ),
        ]
        indexes = [
            # The day's line of an office (every read of it names the office, the day and the
            # status: queueing.hotsql), in calling order: a call takes its oldest plain tickets
            # by walking it, without sorting the whole line.
            models.Index(fields=["office", "service_date", "status", "waiting_since", "id"]),
            # An office's tickets not ended yet, whatever their day (the day's close sweeps
            # them, `hotsql.open_ticket_ids`): through the line's index that read walked the
            # office's whole history. Partial: a ticket leaves it when it ends, so a finish
            # does not write it. The statuses are written as literals in the read as here
            # (SQLite takes a partial index only for a statement that repeats its condition).
            models.Index(
                fields=["office", "service_date"],
                condition=Q(status__in=ACTIVE_STATUSES),
                name="ticket_open",
            ),
            # The same line's priority and booked tickets alone (few): a call, a check-in and a
            # ticket's place read every one of them, and through the index above that read
            # walked the whole line (O(people waiting) at every call, inside the write lock).
            # Every such read writes the condition exactly as here (`hotsql._SPECIAL`), which is
            # what lets SQLite use a partial index.
            models.Index(
                fields=["office", "service_date", "status", "waiting_since", "id"],
                condition=Q(priority__isnull=False) | Q(booking__isnull=False),
                name="ticket_special_line",
            ),
            models.Index(fields=["citizen", "service_date"]),
            # A counter's ticket called or being served (every call-next, counter button and
            # wait estimate asks): without it each read scanned the counter's whole history.
            models.Index(fields=["counter", "status"]),
            # A service's last ended tickets, newest first (the wait estimate's pace,
            # `selectors.seconds_per_person`): walked back, not gathered and sorted from the
            # service's whole history.
            models.Index(fields=["service", "finished_at"]),
            # The rarely set references, over the tickets that have one (above).
            *(
                models.Index(
                    fields=[name],
                    condition=Q(**{f"{name}__isnull": False}),
                    name=f"ticket_{name}_set",
                )
                for name in _RARE_REFERENCES
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display} ({self.service_date:%d/%m/%Y})"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class EventKind(models.TextChoices):
    ISSUE = "issue", "Cấp số"
    CALL = "call", "Gọi số"
    RECALL = "recall", "Gọi lại"
    NO_SHOW = "no_show", "Vắng mặt"
    TRANSFER = "transfer", "Chuyển"
    PARK = "park", "Tạm hoãn"
    START = "start", "Bắt đầu phục vụ"
    FINISH = "finish", "Kết thúc"
    CLOSE = "close", "Đóng cuối ngày"
    PRIORITY = "priority", "Xác nhận ưu tiên"


class TicketEvent(models.Model):
    """An immutable record of something that happened to a ticket; statistics come from these rows.

    The display board streams these rows (id > last seen) so it works across processes.
    """

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    # office and counter: no index of their own, the Meta indexes start with them (an event is
    # inserted at every step of a ticket, and each index is written at each insert).
    office = models.ForeignKey(
        "org.Office", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    at = models.DateTimeField(db_index=True)
    counter = models.ForeignKey(
        "org.Counter",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = "sự kiện số thứ tự"
        verbose_name_plural = "sự kiện số thứ tự"
        ordering = ["id"]
        indexes = [
            models.Index(fields=["office", "id"]),
            models.Index(fields=["counter", "kind", "id"]),
        ]

    def __str__(self) -> str:
        return f"{self.at:%H:%M:%S} {self.kind} {self.ticket_id}"

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.pk is not None:
            raise RuntimeError("ticket events are immutable")
        super().save(*args, **kwargs)


class BlockReason(models.TextChoices):
    DUPLICATE = "duplicate", "Lấy trùng số (trả lại số đang có)"
    CAP = "cap", "Vượt số phiếu tối đa trong ngày"
    NO_AUTHORISATION = "no_authorisation", "Lấy hộ không có ủy quyền"
    OTHER = "other", "Khác"


class BlockedAttempt(models.Model):
    """A check-in the fair-play rules refused or turned back to an existing ticket."""

    office = models.ForeignKey("org.Office", on_delete=models.CASCADE, related_name="+")
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    citizen = models.ForeignKey(
        "org.Citizen", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=20, choices=BlockReason.choices)
    method = models.CharField(max_length=10, choices=Method.choices)
    at = models.DateTimeField(db_index=True)
    device = models.CharField(max_length=80, blank=True)
    ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "lượt lấy số bị chặn"
        verbose_name_plural = "lượt lấy số bị chặn"
        ordering = ["-at"]

    def __str__(self) -> str:
        from motcua.core.clock import local

        return (
            f"{local(self.at):%H:%M %d/%m/%Y} {self.get_reason_display()} {self.citizen_id or ''}"
        )
