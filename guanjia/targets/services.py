"""Setting targets and entering actuals: who may, value parsing, and the audit trail."""

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanjia.accounts.models import Department, User
from guanjia.core.amounts import AmountError, parse_amount_wan, parse_count
from guanjia.core.audit import audited_save
from guanjia.regions.models import Region

from .access import can_enter_actuals, can_set_targets, in_scope
from .models import Actual, Indicator, Target, Unit
from .periods import Period

MAX_VALUE = Decimal(10) ** 15


def parse_value(indicator: Indicator, text: Any) -> Decimal:
    """A value as typed ('612亿元', '1,000', '3.5%') in the indicator's stored unit.

    A bare number is in the unit the indicator is shown in. Raises ValidationError saying
    what is wrong.
    """
    if isinstance(text, float):
        text = format(text, ".15g")
    raw = str(text if text is not None else "").strip()
    if not raw:
        raise ValidationError(_("the value is empty"))
    try:
        if indicator.is_money:
            return parse_amount_wan(raw, default_unit=indicator.unit)
        if indicator.unit == Unit.COUNT:
            if re.fullmatch(r"[\d,]+(\.0+)?", raw):
                return Decimal(raw.replace(",", "")).quantize(Decimal(1))
            return Decimal(parse_count(raw))
        s = raw.removesuffix("%").removesuffix("％").strip()
        value = Decimal(s.replace(",", ""))
    except (AmountError, InvalidOperation, ValueError, KeyError) as exc:
        message = str(exc) if isinstance(exc, AmountError) else ""
        raise ValidationError(message or _("“%(text)s” is not a number") % {"text": raw}) from exc
    if not value.is_finite() or abs(value) >= MAX_VALUE:
        raise ValidationError(_("“%(text)s” is out of range") % {"text": raw})
    if value != value.quantize(Decimal("0.0001")):
        raise ValidationError(_("“%(text)s” has more than four decimal places") % {"text": raw})
    return value


def _period_kwargs(period: Period) -> dict[str, int]:
    return {"year": period.year, "quarter": period.quarter, "month": period.month}


def subject_region(region: Region | None, team: Department | None, person: User | None) -> Region:
    """The region a target is kept under: a team's or a person's own, else the area named."""
    if team is not None and person is not None:
        raise ValidationError(_("a target is for an area, a team or a person: name one"))
    if team is not None:
        return team.region
    if person is not None:
        if person.region is None:
            raise ValidationError({"person": _("this person works in no area")})
        return person.region
    if region is None:
        raise ValidationError({"region": _("name the area")})
    return region


@transaction.atomic
def set_target(
    actor: Any,
    indicator: Indicator,
    period: Period,
    region: Region | None,
    value: Decimal,
    note: str = "",
    *,
    team: Department | None = None,
    person: User | None = None,
) -> Target:
    """A city admin sets (or changes) the target for a period and an area, a team (招商小分队)
    or a person; a team's or person's target is kept under their own region."""
    if not can_set_targets(actor):
        raise PermissionDenied("only a city admin sets targets")
    region = subject_region(region, team, person)
    if not in_scope(actor, region):
        raise PermissionDenied("outside your area")
    if value < 0:
        raise ValidationError({"value": _("a target cannot be negative")})
    subject: dict[str, Any] = (
        {"team": team}
        if team
        else {"person": person}
        if person
        else {"region": region, "team": None, "person": None}
    )
    target = Target.objects.select_for_update().filter(
        indicator=indicator, **subject, **_period_kwargs(period)
    ).first() or Target(
        indicator=indicator, region=region, team=team, person=person, **_period_kwargs(period)
    )
    target.value, target.note, target.set_by = value, note, actor
    audited_save(target, actor)
    return target


def check_enter(actor: Any, indicator: Indicator, region: Region) -> None:
    """Raise unless `actor` may enter this indicator's actual for `region`."""
    if not can_enter_actuals(actor):
        raise PermissionDenied("you may not enter actuals")
    if not in_scope(actor, region):
        raise PermissionDenied("outside your area")
    if indicator.is_computed:
        raise ValidationError(
            _("“%(name)s” is computed from the ledger and cannot be entered")
            % {"name": indicator.name}
        )


@transaction.atomic
def enter_actual(
    actor: Any,
    indicator: Indicator,
    period: Period,
    region: Region,
    value: Decimal,
    source_note: str = "",
) -> Actual:
    """An admin (any region) or area official (their own area) records an actual."""
    check_enter(actor, indicator, region)
    actual = Actual.objects.select_for_update().filter(
        indicator=indicator, region=region, **_period_kwargs(period)
    ).first() or Actual(indicator=indicator, region=region, **_period_kwargs(period))
    actual.value, actual.source_note = value, source_note
    actual.entered_by, actual.entered_at = actor, timezone.now()
    audited_save(actual, actor)
    return actual
