"""Factories for tests and benchmarks; they ship with the code so every suite builds data alike."""

import datetime as dt
import itertools
from decimal import Decimal

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from guanjia.accounts.models import Department, Role, User
from guanjia.enterprises.creditcode import make_code
from guanjia.enterprises.models import Contact, Enterprise
from guanjia.events.models import Event, Signing
from guanjia.industries.models import Industry
from guanjia.projects.models import Project
from guanjia.regions.models import Region

_serial = itertools.count(1)


def credit_code(region_code: str = "210700", n: int | None = None) -> str:
    """A valid unified social credit code: 91 + region + 9-character body + check digit."""
    n = next(_serial) if n is None else n
    return make_code(f"91{region_code}{n:09d}")


class RegionFactory(DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"9{n:05d}")
    name = factory.Sequence(lambda n: f"测试区{n}")
    kind = "district"


class IndustryFactory(DjangoModelFactory):
    class Meta:
        model = Industry
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"T{n}")
    name = factory.Sequence(lambda n: f"测试产业{n}")


class EnterpriseFactory(DjangoModelFactory):
    class Meta:
        model = Enterprise

    name = factory.Sequence(lambda n: f"测试企业{n}有限公司")
    credit_code = factory.LazyFunction(credit_code)
    home_city = "锦州市"


class ContactFactory(DjangoModelFactory):
    class Meta:
        model = Contact

    enterprise = factory.SubFactory(EnterpriseFactory)
    name = "王经理"
    phone = "13800005678"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    role = Role.STEWARD
    password = factory.PostGenerationMethodCall("set_password", "pass-for-tests-1")

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):  # type: ignore[no-untyped-def]  # noqa: N805
        if create:
            obj.save()


class DepartmentFactory(DjangoModelFactory):
    class Meta:
        model = Department

    name = factory.Sequence(lambda n: f"部门{n}")


class ProjectFactory(DjangoModelFactory):
    class Meta:
        model = Project

    name = factory.Sequence(lambda n: f"测试项目{n}")
    enterprise = factory.SubFactory(EnterpriseFactory)
    total_investment_wan = Decimal("10000")
    stage = "lead"
    lead_on = factory.LazyFunction(lambda: dt.date(2023, 1, 1))


class EventFactory(DjangoModelFactory):
    class Meta:
        model = Event

    name = factory.Sequence(lambda n: f"测试对接会{n}")
    date = dt.date(2023, 3, 23)


class SigningFactory(DjangoModelFactory):
    class Meta:
        model = Signing

    project = factory.SubFactory(ProjectFactory)
    signed_on = dt.date(2023, 3, 23)
    amount_wan = Decimal("10000")


class LeadFactory(DjangoModelFactory):
    """A lead (招商线索) at 线索, entered today; give it an investor, an area and an owner."""

    class Meta:
        model = "leads.Lead"

    investor = factory.SubFactory(EnterpriseFactory, credit_code=None, home_city="北京市")
    name = factory.Sequence(lambda n: f"意向项目{n}")
    investment_wan = Decimal("50000")
    source = "central_soe"
    status = "lead"
    lead_on = factory.LazyFunction(timezone.localdate)
