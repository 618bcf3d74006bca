"""The Jinzhou demo's targets: the three-year action (2024-2026) split across the 9 areas.

The city's published targets are GDP 1600亿元 and industrial value added of enterprises
above designated size 500亿元 by 2026, and 1000 key projects landed each year. Area targets
split the city's by weights; GDP and industrial value added have entered quarterly actuals
for the quarters already closed, and key projects landed and signed investment are computed
from the ledger. Idempotent: a second run changes nothing.
"""

import datetime as dt
import random
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils import timezone

from guanjia.accounts.models import Role, User
from guanjia.regions.models import Region

from . import services
from .computations import compute_all
from .models import Actual, Aggregation, Computation, Indicator, Source, Target, Unit
from .periods import Period

SEED = 20240101
YEARS = (2024, 2025, 2026)
CITY = "210700"

INDICATORS = [
    # code, name, unit, source, computation, order, description
    ("gdp", "地区生产总值", Unit.YI, Source.ENTERED, "", 10, "三年行动目标：2026年达到1600亿元"),
    ("industrial_va", "规模以上工业增加值", Unit.YI, Source.ENTERED, "", 20,
     "三年行动目标：2026年达到500亿元"),
    ("key_projects_landed", "重点项目落地", Unit.COUNT, Source.COMPUTED,
     Computation.KEY_PROJECTS_LANDED, 30, "三年行动目标：每年落地重点项目1000个（省、市重点项目注册落地）"),
    ("signed_investment", "签约投资额", Unit.YI, Source.COMPUTED, Computation.SIGNED_INVESTMENT,
     40, "首次签约项目的签约额，续签、扩产只计增量"),
]  # fmt: skip

# City targets per year, in the indicator's unit; the last year is the action's goal.
CITY_TARGETS = {
    "gdp": {2024: Decimal(1330), 2025: Decimal(1460), 2026: Decimal(1600)},
    "industrial_va": {2024: Decimal(420), 2025: Decimal(460), 2026: Decimal(500)},
    "key_projects_landed": {2024: Decimal(1000), 2025: Decimal(1000), 2026: Decimal(1000)},
}

# Each area's share of the city's target, by weight.
WEIGHTS = {
    "gdp": {
        "210702": 11, "210703": 12, "210711": 10, "210726": 8, "210727": 5, "210781": 14,
        "210782": 9, "210700Z1": 21, "210700Z2": 10,
    },
    "industrial_va": {
        "210702": 4, "210703": 5, "210711": 7, "210726": 6, "210727": 4, "210781": 16,
        "210782": 6, "210700Z1": 38, "210700Z2": 14,
    },
    "key_projects_landed": {
        "210702": 2, "210703": 2, "210711": 4, "210726": 4, "210727": 3, "210781": 6,
        "210782": 3, "210700Z1": 7, "210700Z2": 6,
    },
}  # fmt: skip

# How a year's output falls across its quarters.
QUARTER_SHARES = {
    "gdp": (Decimal("0.23"), Decimal("0.25"), Decimal("0.26"), Decimal("0.26")),
    "industrial_va": (Decimal("0.24"), Decimal("0.25"), Decimal("0.26"), Decimal("0.25")),
}
# Areas behind their pace in the demo (the rest run at 97-106%).
SLOW = {"210727": Decimal("0.86"), "210782": Decimal("0.91")}


def split(total: Decimal, weights: dict[str, int], places: Decimal) -> dict[str, Decimal]:
    """Share `total` by weight, rounded to `places`, the parts adding up to `total` exactly."""
    whole = sum(weights.values())
    raw = {k: total * w / whole for k, w in weights.items()}
    parts = {k: v.quantize(places, rounding="ROUND_DOWN") for k, v in raw.items()}
    left = total - sum(parts.values())
    for key in sorted(raw, key=lambda k: raw[k] - parts[k], reverse=True):
        if left <= 0:
            break
        parts[key] += places
        left -= places
    return parts


def _ensure_indicators() -> dict[str, Indicator]:
    found = {}
    for code, name, unit, source, computation, order, description in INDICATORS:
        indicator, _ = Indicator.objects.get_or_create(
            code=code,
            defaults={
                "name": name, "unit": unit, "source": source, "computation": computation,
                "aggregation": Aggregation.SUM, "sort_order": order, "description": description,
            },
        )  # fmt: skip
        found[code] = indicator
    return found


@transaction.atomic
def build_targets(*, today: dt.date | None = None, seed: int = SEED) -> int:
    """Indicators, targets, entered actuals and computed actuals; returns rows written."""
    today = today or timezone.localdate()
    admin = User.objects.filter(role=Role.CITY_ADMIN, is_active=True).order_by("pk").first()
    city = Region.objects.filter(code=CITY).first()
    if admin is None or city is None:
        return 0
    regions = {r.code: r for r in Region.objects.filter(parent=city)}
    indicators = _ensure_indicators()
    rng = random.Random(seed)
    written = 0
    for code, by_year in CITY_TARGETS.items():
        indicator = indicators[code]
        places = Decimal(1) if indicator.unit == Unit.COUNT else Decimal("0.01")
        for year, total in by_year.items():
            written += _target(admin, indicator, Period(year), city, total)
            for area, value in split(total, WEIGHTS[code], places).items():
                written += _target(admin, indicator, Period(year), regions[area], value)
    for code, shares in QUARTER_SHARES.items():
        indicator = indicators[code]
        for year in YEARS:
            for area, target in split(
                CITY_TARGETS[code][year], WEIGHTS[code], Decimal("0.01")
            ).items():
                pace = SLOW.get(area) or Decimal(str(round(rng.uniform(0.97, 1.06), 3)))
                for quarter, share in enumerate(shares, start=1):
                    noise = Decimal(str(round(rng.uniform(0.98, 1.02), 3)))
                    period = Period(year, quarter=quarter)
                    if period.end >= today:
                        continue
                    value = (target * share * pace * noise).quantize(
                        Decimal("0.01"), rounding=ROUND_HALF_UP
                    )
                    written += _actual(admin, indicator, period, regions[area], value)
    written += compute_all(list(YEARS), today)
    return written


def _target(
    admin: User, indicator: Indicator, period: Period, region: Region, value: Decimal
) -> int:
    stored = indicator.from_unit(value)
    existing = Target.objects.filter(
        indicator=indicator, region=region, year=period.year, quarter=period.quarter,
        month=period.month,
    ).first()  # fmt: skip
    if existing is not None and existing.value == stored:
        return 0
    services.set_target(admin, indicator, period, region, stored, note="三年行动目标")
    return 1


def _actual(
    admin: User, indicator: Indicator, period: Period, region: Region, value: Decimal
) -> int:
    stored = indicator.from_unit(value)
    existing = Actual.objects.filter(
        indicator=indicator, region=region, year=period.year, quarter=period.quarter,
        month=period.month,
    ).first()  # fmt: skip
    if existing is not None and existing.value == stored:
        return 0
    services.enter_actual(admin, indicator, period, region, stored, source_note="统计局季度数据")
    return 1


# --- The assessment (招商考核): a quarter's ranking and the one before -------------------------

ASSESSMENT = [
    # code, name, unit, computation, order, description
    ("new_leads", "新增线索", Unit.COUNT, Computation.NEW_LEADS, 50, "招商考核：期内新录入的招商线索"),
    ("signed_projects", "签约项目", Unit.COUNT, Computation.SIGNED_PROJECTS, 60,
     "招商考核：期内首次签约的项目个数"),
    ("projects_landed", "落地项目", Unit.COUNT, Computation.PROJECTS_LANDED, 70,
     "招商考核：期内首次签约的项目中已注册落地（及以后阶段）的个数"),
    ("funds_in_place", "到位资金", Unit.YI, Computation.FUNDS_IN_PLACE, 80,
     "招商考核：期内首次签约项目的到位资金"),
]  # fmt: skip
PEOPLE = 8  # the lead owners with the most leads get a personal target


def _assessment_indicators() -> list[Indicator]:
    found = []
    for code, name, unit, computation, order, description in ASSESSMENT:
        indicator, _ = Indicator.objects.get_or_create(
            code=code,
            defaults={
                "name": name, "unit": unit, "source": Source.COMPUTED, "computation": computation,
                "aggregation": Aggregation.SUM, "sort_order": order, "description": description,
            },
        )  # fmt: skip
        found.append(indicator)
    return found


def _quarter_of(day: dt.date) -> Period:
    return Period(day.year, quarter=(day.month - 1) // 3 + 1)


@transaction.atomic
def build_assessment(*, today: dt.date | None = None, seed: int = SEED) -> int:
    """Targets for the current quarter and the one before, for the areas, the promotion teams
    and the busiest lead owners, set around what the records give so that completion spreads
    from about 60% to 150% and the ranks move between the quarters. Idempotent."""
    from django.db.models import Count

    from guanjia.accounts.models import Department
    from guanjia.leads.models import Lead

    from .computations import subject_values
    from .ranking import previous

    today = today or timezone.localdate()
    admin = User.objects.filter(role=Role.CITY_ADMIN, is_active=True).order_by("pk").first()
    city = Region.objects.filter(code=CITY).first()
    if admin is None or city is None:
        return 0
    areas = list(Region.objects.filter(parent=city))
    teams = list(Department.objects.filter(pk__in=Lead.objects.values("department")))
    busiest = (
        Lead.objects.filter(owner__region__isnull=False)
        .values("owner")
        .annotate(n=Count("pk"))
        .order_by("-n", "owner")[:PEOPLE]
    )
    people = list(User.objects.filter(pk__in=[row["owner"] for row in busiest]))
    current = _quarter_of(today)
    written = 0
    periods = (previous(current), current)
    for indicator in _assessment_indicators():
        places = Decimal(1) if indicator.unit == Unit.COUNT else Decimal("0.01")
        for kind, subjects in (("area", areas), ("team", teams), ("person", people)):
            found = {p: subject_values(indicator, p, kind) for p in periods}
            if not any(found[p].get(s.pk) for p in periods for s in subjects):
                continue  # nothing in the records to rank these on: no target
            for period in periods:
                rng = random.Random(f"{seed}-{indicator.code}-{kind}-{period}")
                share = Decimal(str(period.elapsed(today))) or Decimal(1)
                values = found[period]
                for subject in subjects:
                    done = indicator.to_unit(values.get(subject.pk, Decimal(0))) or Decimal(0)
                    pace = Decimal(str(round(rng.uniform(0.65, 1.5), 2)))
                    value = max(places, (done / share / pace).quantize(places, ROUND_HALF_UP))
                    written += _subject_target(admin, indicator, period, kind, subject, value)
    return written


def _subject_target(
    admin: User, indicator: Indicator, period: Period, kind: str, subject: object, value: Decimal
) -> int:
    stored = indicator.from_unit(value)
    by = {"area": {"region": subject, "team": None, "person": None}, "team": {"team": subject},
          "person": {"person": subject}}[kind]  # fmt: skip
    existing = Target.objects.filter(
        indicator=indicator, year=period.year, quarter=period.quarter, month=period.month, **by
    ).first()
    if existing is not None:
        return 0
    region = subject if kind == "area" else None
    services.set_target(
        admin, indicator, period, region, stored, note="招商考核",  # type: ignore[arg-type]
        team=subject if kind == "team" else None,  # type: ignore[arg-type]
        person=subject if kind == "person" else None,  # type: ignore[arg-type]
    )  # fmt: skip
    return 1
