"""Matching land to a lead (地块匹配): which plots and standard buildings fit what the lead
needs, ranked, each criterion shown met (✓), missed (✗) or unknown (?, a fact not recorded).

Fast by construction: one query for the plots and one for the buildings, each pre-filtered
in the database (on offer or already reserved for this lead; for plots, at least
`AREA_FLOOR` of the land needed) and capped at `CANDIDATES` rows, with the park's facts, its
spare power (a sum over its substations) and whether its leading industries hold the lead's
industry annotated on the row; the scoring is Python over that set.

The lead is read by its attributes only (`land_mu`, `power_kva`, `water_tons`, `industry_id`,
`max_price_wan_per_mu`, `needs_port`, `needs_rail`, `pk`): parks and leads are apps of one
layer and do not import each other.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import DecimalField, Exists, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils.translation import gettext, pgettext

from .models import M2_PER_MU, Building, Park, Plot, Status, Substation

# A plot smaller than this share of the land needed is not a candidate at all.
AREA_FLOOR = Decimal("0.8")
# At most this many rows of each kind are scored.
CANDIDATES = 200
# A park this close to the port (km) serves a lead that needs one, berths or not.
PORT_KM = Decimal(30)
# A reservation taken from the matching runs this many days unless changed.
RESERVE_DAYS = 30
# What each criterion weighs in the score (a miss costs as much as a hit earns).
WEIGHTS = {
    "area": 4,
    "power": 3,
    "industry": 3,
    "price": 2,
    "water": 1,
    "port": 2,
    "rail": 2,
}


@dataclass
class Reason:
    key: str
    text: str
    met: bool | None  # None: the fact is not recorded

    @property
    def mark(self) -> str:
        return {True: "✓", False: "✗", None: "?"}[self.met]


@dataclass
class Match:
    offer: Plot | Building
    kind: str  # "plot" or "building"
    reasons: list[Reason] = field(default_factory=list)
    score: int = 0
    slack: Decimal = Decimal(0)  # area beyond the need (smaller first among equals)
    asked: bool = False  # the plot the lead's portal enquiry asked about

    @property
    def missed(self) -> int:
        return sum(1 for r in self.reasons if r.met is False)

    @property
    def met(self) -> int:
        return sum(1 for r in self.reasons if r.met)


def _fmt(value: Decimal | int | None) -> str:
    if value is None:
        return "?"
    number = Decimal(value).normalize()
    if number == number.to_integral():
        return f"{int(number):,}"
    return f"{number:,f}"


def _spare_kva() -> Any:
    total = (
        Substation.objects.filter(park=OuterRef("park"))
        .order_by()  # the default ordering would join the park and its region per row
        .values("park")
        .annotate(total=Sum("spare_kva"))
        .values("total")
    )
    return Subquery(total, output_field=DecimalField(max_digits=20, decimal_places=0))


# Only what the scoring, the card and the API read: a row of 200 candidates is built with
# these fields alone (the rest would be read and converted for nothing).
READ = ("id", "park_id", "code", "name", "status", "reserved_for_id", "reserved_until",
        "park__id", "park__name", "park__water_t_day", "park__port_berths", "park__km_to_port",
        "park__rail_sidings")  # fmt: skip
READ_PLOT = (*READ, "area_mu", "power_kva", "price_wan_per_mu")
READ_BUILDING = (*READ, "floor_area_m2")


def _annotated(qs: QuerySet[Any], lead: Any) -> QuerySet[Any]:
    fields = READ_PLOT if qs.model is Plot else READ_BUILDING
    # Unordered: the ranking is Python's (the default ordering would join the regions).
    qs = qs.select_related("park").only(*fields).order_by().annotate(park_spare_kva=_spare_kva())
    if getattr(lead, "industry_id", None):
        through = Park.industries.through
        qs = qs.annotate(
            park_has_industry=Exists(
                through.objects.filter(park_id=OuterRef("park_id"), industry_id=lead.industry_id)
            )
        )
    return qs


def _open_q(lead: Any) -> Q:
    """On offer, or reserved for this very lead (shown so it can be renewed)."""
    return Q(status=Status.AVAILABLE) | Q(status=Status.RESERVED, reserved_for_id=lead.pk)


def _ge(key: str, label: str, have: Decimal | None, need: Decimal, unit: str) -> Reason:
    if have is None:
        return Reason(key, f"{label} ? {unit} / {_fmt(need)} {unit}", None)
    met = Decimal(have) >= need
    sign = "≥" if met else "<"
    return Reason(key, f"{label} {_fmt(have)} {unit} {sign} {_fmt(need)} {unit}", met)


# gettext asked once per message within one matching (`_words`): 200 candidates ask the
# same few words, and each `gettext` looks the active language up afresh.
_memo: ContextVar[dict[str, str] | None] = ContextVar("land_matching_words", default=None)


def _(message: str) -> str:
    memo = _memo.get()
    if memo is None:
        return gettext(message)
    if message not in memo:
        memo[message] = gettext(message)
    return memo[message]


@contextmanager
def _words() -> Iterator[None]:
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def _park_reasons(offer: Any, lead: Any) -> list[Reason]:
    park: Park = offer.park
    reasons: list[Reason] = []
    if getattr(lead, "power_kva", None):
        have = getattr(offer, "power_kva", None)
        if have is None:
            have = offer.park_spare_kva
        reasons.append(_ge("power", _("spare capacity"), have, Decimal(lead.power_kva), "kVA"))
    if getattr(lead, "industry_id", None):
        industry = lead.industry
        has = bool(getattr(offer, "park_has_industry", False))
        text = (
            _("park's leading industries include %(industry)s")
            if has
            else _("park's leading industries do not include %(industry)s")
        ) % {"industry": industry}
        reasons.append(Reason("industry", text, has))
    if getattr(lead, "water_tons", None):
        reasons.append(
            _ge(
                "water",
                _("park water supply"),
                park.water_t_day,
                Decimal(lead.water_tons),
                _("t/day"),
            )
        )
    if getattr(lead, "needs_port", False):
        berths = park.port_berths
        km = park.km_to_port
        if berths:
            reasons.append(Reason("port", _("port berths: %(n)d") % {"n": berths}, True))
        elif km is not None:
            met = km <= PORT_KM
            text = _("%(km)s km to the port (%(sign)s %(max)s km)") % {
                "km": _fmt(km),
                "sign": "≤" if met else ">",
                "max": _fmt(PORT_KM),
            }
            reasons.append(Reason("port", text, met))
        elif berths == 0:
            reasons.append(Reason("port", _("no port berths"), False))
        else:
            reasons.append(Reason("port", _("port access not recorded"), None))
    if getattr(lead, "needs_rail", False):
        sidings = park.rail_sidings
        if sidings is None:
            reasons.append(Reason("rail", _("rail sidings not recorded"), None))
        else:
            reasons.append(Reason("rail", _("rail sidings: %(n)d") % {"n": sidings}, sidings > 0))
    return reasons


def _score(match: Match) -> Match:
    match.score = sum(
        WEIGHTS[r.key] * (1 if r.met else -1) for r in match.reasons if r.met is not None
    )
    return match


def _order(match: Match) -> tuple[Any, ...]:
    return (match.missed, -match.score, match.slack, match.offer.pk)


def match_plots(lead: Any, limit: int = 20) -> list[Match]:
    """The plots for `lead`, best first (fewest criteria missed, then the score, then the
    least land beyond the need)."""
    need = Decimal(lead.land_mu) if getattr(lead, "land_mu", None) else None
    # The candidates first (an index walk on the area), then their park's facts for those
    # rows only: one statement, the annotations never computed for the whole inventory.
    candidates = Plot.objects.filter(_open_q(lead))
    if need is not None:
        candidates = candidates.filter(area_mu__gte=need * AREA_FLOOR).order_by("area_mu", "pk")
    else:
        candidates = candidates.order_by("-area_mu", "pk")
    ids = candidates.values("pk")[:CANDIDATES]
    matches = []
    area = pgettext("land matching", "area")
    with _words():
        for plot in _annotated(Plot.objects.filter(pk__in=ids), lead):
            matches.append(_score(_plot_match(plot, lead, need, area)))
    return sorted(matches, key=_order)[:limit]


def _plot_match(plot: Plot, lead: Any, need: Decimal | None, area: str) -> Match:
    match = Match(plot, "plot")
    if need is not None:
        match.reasons.append(_ge("area", area, plot.area_mu, need, _("mu")))
        match.slack = abs((plot.area_mu or Decimal(0)) - need)
    match.reasons.extend(_park_reasons(plot, lead))
    budget = getattr(lead, "max_price_wan_per_mu", None)
    if budget is not None:
        price = plot.price_wan_per_mu
        if price is None:
            match.reasons.append(Reason("price", _("price not recorded"), None))
        else:
            met = price <= Decimal(budget)
            text = _("price %(price)s %(sign)s %(budget)s (10k yuan per mu)") % {
                "price": _fmt(price),
                "sign": "≤" if met else ">",
                "budget": _fmt(Decimal(budget)),
            }
            match.reasons.append(Reason("price", text, met))
    return match


def match_buildings(lead: Any, limit: int = 20) -> list[Match]:
    """The standard buildings for `lead`, best first; their floor area is weighed against the
    land needed (in m²), as a standard building stands in for a plot of that size."""
    need = Decimal(lead.land_mu) * M2_PER_MU if getattr(lead, "land_mu", None) else None
    ids = Building.objects.filter(_open_q(lead)).order_by("-floor_area_m2", "pk").values("pk")
    matches = []
    area = pgettext("land matching", "floor area")
    with _words():
        for building in _annotated(Building.objects.filter(pk__in=ids[:CANDIDATES]), lead):
            match = Match(building, "building")
            if need is not None:
                match.reasons.append(
                    _ge("area", area, building.floor_area_m2, need.quantize(Decimal(1)), "m²")
                )
                match.slack = abs((building.floor_area_m2 or Decimal(0)) - need)
            match.reasons.extend(_park_reasons(building, lead))
            matches.append(_score(match))
    return sorted(matches, key=_order)[:limit]


def matches_for(lead: Any, limit: int = 20) -> dict[str, list[Match]]:
    """Both lists: {"plots": [...], "buildings": [...]} (two queries)."""
    return {"plots": match_plots(lead, limit), "buildings": match_buildings(lead, limit)}


def asked_first(lead: Any, matches: list[Match], asked: list[int]) -> list[Match]:
    """The plots the lead asked about (its portal enquiry, `services.asked_plot_ids`) first and
    marked `asked`, then the others. An asked plot the ranking left out (too small, past the
    candidates, or no longer on offer) is scored here on the area and the park's facts."""
    if not asked:
        return matches
    found = {m.offer.pk: m for m in matches}
    missing = [pk for pk in asked if pk not in found]
    if missing:
        need = Decimal(lead.land_mu) if getattr(lead, "land_mu", None) else None
        for plot in _annotated(Plot.objects.filter(pk__in=missing), lead):
            match = Match(plot, "plot")
            if need is not None:
                match.reasons.append(
                    _ge("area", pgettext("land matching", "area"), plot.area_mu, need, _("mu"))
                )
            match.reasons.extend(_park_reasons(plot, lead))
            found[plot.pk] = _score(match)
    first = [found[pk] for pk in asked if pk in found]
    for match in first:
        match.asked = True
    return first + [m for m in matches if m.offer.pk not in set(asked)]
