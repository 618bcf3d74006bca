"""The portal's one write: an enquiry becomes a lead in the bureau's pipeline.

The lead is entered through `guanjia.leads.services.create_lead` (its checks and its audit
entry), owned by the configured owner (`GUANJIA_PORTAL_LEAD_OWNER`, else the first active
city admin), source 网络, in the city's own area. The enquirer's organisation is matched to a
known investor by name, then by a clear look-alike (`enterprises.services.similar_enterprises`,
as the lead importer does), else entered as a new investor. Nothing else is written.
"""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from guanjia.accounts.models import Role, User
from guanjia.enterprises.models import ContactSource, Enterprise
from guanjia.enterprises.services import core_name, similar_enterprises
from guanjia.events.models import Signing
from guanjia.industries.models import Industry
from guanjia.leads import services as lead_services
from guanjia.leads.models import Lead
from guanjia.parks import services as park_services
from guanjia.parks.models import Park, Plot
from guanjia.regions.models import Region

REFERENCE_PREFIX = "WEB"


def pitch_figures(today: dt.date | None = None) -> dict[str, Any]:
    """The city's figures, computed from the records: projects first signed this year (the
    counting rule of `events`), their counted investment, and the number of parks."""
    year = (today or timezone.localdate()).year
    signings = Signing.objects.filter(signed_on__year=year)
    signed_wan = signings.aggregate(total=Sum("counted_amount_wan"))["total"] or Decimal(0)
    return {
        "year": year,
        "signed_projects": signings.filter(is_first=True).count(),
        "signed_wan": signed_wan,
        "signed_yi": signed_wan / 10000,
        "parks": Park.objects.count(),
    }


def lead_owner() -> User:
    name = settings.GUANJIA_PORTAL_LEAD_OWNER
    people = User.objects.filter(is_active=True)
    owner = (
        people.filter(username=name).first()
        if name
        else people.filter(role=Role.CITY_ADMIN).order_by("pk").first()
    )
    if owner is None:
        raise ImproperlyConfigured("the portal has no lead owner (GUANJIA_PORTAL_LEAD_OWNER)")
    return owner


def city_region() -> Region:
    return Region.objects.get(code=settings.GUANJIA_CITY_CODE)


def match_investor(name: str) -> Enterprise | None:
    """A known investor of that name, or one clear look-alike; None: a new one."""
    wanted = core_name(name)
    same = [
        e for e in Enterprise.objects.filter(name__icontains=wanted) if core_name(e.name) == wanted
    ]
    if len(same) == 1:
        return same[0]
    similar = similar_enterprises(name, Enterprise.objects.all(), limit=2)
    if similar and (len(similar) == 1 or similar[1][1] < similar[0][1]):
        return similar[0][0]
    return None


def reference(lead: Lead) -> str:
    return f"{REFERENCE_PREFIX}-{lead.created_at:%Y%m%d}-{lead.pk}"


def _lead_name(investor_name: str, plot: Plot | None) -> str:
    return f"{investor_name} · {plot.code}" if plot is not None else investor_name


@transaction.atomic
def submit_enquiry(
    *,
    name: str,
    organisation: str,
    contact: str,
    interest: str = "",
    industry: Industry | None = None,
    land_mu: Decimal | None = None,
    power_kva: Decimal | None = None,
    investment_wan: Decimal | None = None,
    language: str = "",
    plot: Plot | None = None,
) -> tuple[Lead, str]:
    """Enter the enquiry as a lead; returns it and the reference the enquirer is given. An
    enquiry about a plot keeps that plot with the lead (`parks.PlotEnquiry`): the lead's land
    matching shows it first."""
    owner = lead_owner()
    investor_name = (organisation or name).strip()
    investor = match_investor(investor_name)
    new_investor = None
    if investor is None:
        new_investor = {
            "name": investor_name,
            "contact_source": ContactSource.ONLINE,
            "industry": industry,
        }
    notes = "\n".join(
        line
        for line in (
            f"门户咨询 / portal enquiry ({language or '-'})",
            f"联系人 / name: {name.strip()}",
            f"联系方式 / contact: {contact.strip()}",
            f"意向 / interest: {interest.strip()}" if interest.strip() else "",
            f"地块 / plot: {plot.park.name} {plot}" if plot is not None else "",
        )
        if line
    )
    lead = lead_services.create_lead(
        owner,
        new_investor=new_investor,
        investor=investor,
        name=(interest.strip() or _lead_name(investor_name, plot))[:200],
        region=city_region(),
        owner=owner,
        source=ContactSource.ONLINE,
        industry=industry,
        investment_wan=investment_wan or Decimal(0),
        land_mu=land_mu,
        power_kva=power_kva,
        notes=notes,
    )
    if plot is not None:
        park_services.record_enquiry(owner, lead, plot)
    return lead, reference(lead)
