"""factory_boy factories for the foundation models; apps add theirs in tests/<app>/factories.py."""

from __future__ import annotations

from datetime import date, time

import factory

from motcua.catalog.models import Field, Level, Procedure, ProcedureVersion, TimeUnit
from motcua.org.models import Citizen, Counter, Office, Role, StaffRole, Unit, UnitLevel, User


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"U{n:04d}")
    agency_code = factory.Sequence(lambda n: f"000.{n % 100:02d}.20.H26")
    name = factory.Sequence(lambda n: f"Phường Thử Nghiệm {n}")
    level = UnitLevel.WARD


class OfficeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Office

    unit = factory.SubFactory(UnitFactory)
    code = factory.Sequence(lambda n: f"office-{n}")
    name = factory.LazyAttribute(lambda o: f"Bộ phận một cửa {o.unit.name}")
    address = "Số 1 Quang Trung, Hà Đông, Hà Nội"


class CounterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Counter

    office = factory.SubFactory(OfficeFactory)
    number = factory.Sequence(lambda n: n + 1)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"canbo{n}")
    full_name = factory.Sequence(lambda n: f"Cán Bộ {n}")
    password = factory.PostGenerationMethodCall("set_password", "motcua-demo")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save()


class StaffRoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffRole

    user = factory.SubFactory(UserFactory)
    unit = factory.SubFactory(UnitFactory)
    role = Role.RECEPTION


class CitizenFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Citizen

    # Hà Nội (001), male born in the 1900s → digit 0, year 85.
    id_number = factory.Sequence(lambda n: f"0010850{n:05d}")
    full_name = factory.Sequence(lambda n: f"Nguyễn Văn {chr(65 + n % 26)}")
    date_of_birth = date(1985, 5, 17)
    sex = "M"
    phone = factory.Sequence(lambda n: f"09{n:08d}")
    address = "Phường Hà Đông, Hà Nội"


class FieldFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Field
        django_get_or_create = ("code",)

    code = "ho-tich"
    name = "Hộ tịch"


class ProcedureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Procedure
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"1.{n:06d}")


class ProcedureVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProcedureVersion

    procedure = factory.SubFactory(ProcedureFactory)
    version = 1
    name = "Thủ tục đăng ký khai sinh"
    field = factory.SubFactory(FieldFactory)
    level = Level.COMMUNE
    time_unit = TimeUnit.WORKING_DAYS
    time_value = 3
    fees = factory.LazyFunction(lambda: [{"name": "Lệ phí", "amount": 8000}])
    papers = factory.LazyFunction(
        lambda: [
            {"name": "Tờ khai đăng ký khai sinh", "original": 1, "copy": 0, "required": True},
            {"name": "Giấy chứng sinh", "original": 1, "copy": 0, "required": True},
        ]
    )
    channels = factory.LazyFunction(lambda: ["direct", "online", "post"])
    is_published = True
    result_paper = "Giấy khai sinh"


SAME_DAY_CUTOFF = time(15, 0)
