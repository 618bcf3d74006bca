"""Where each tile and chart segment leads: the filtered ledger, queue or figures behind it.

The ledger (/projects/) takes `region`, `industry`, `reached` (a stage: at it or beyond),
`period` (YYYY or YYYY-MM) and `dated` (the stage whose date `period` is on; signed when
blank); the request queue takes `queue` and `region`; the service list and the stewards'
figures take `area`, `start`, `end` (and `steward`).
"""

import calendar
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

from django.urls import get_script_prefix, reverse
from django.utils import timezone

from guanjia.projects.stages import Stage
from guanjia.regions.models import Region


@lru_cache(maxsize=32)
def _path(name: str, prefix: str) -> str:
    return reverse(name)


def _url(name: str, **params: Any) -> str:
    # A cockpit carries a few hundred links: resolve each view once (per script prefix).
    path = _path(name, get_script_prefix())
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return f"{path}?{query}" if query else path


def ledger(region: Region | None, **params: Any) -> str:
    return _url("projects:project_list", region=region.pk if region else "", **params)


def _year_span(year: int) -> dict[str, str]:
    return {"start": f"{year}-01-01", "end": f"{year}-12-31"}


def _month_span(year: int, month: int) -> dict[str, str]:
    last = calendar.monthrange(year, month)[1]
    return {"start": f"{year}-{month:02d}-01", "end": f"{year}-{month:02d}-{last:02d}"}


def annotate(data: dict[str, Any], region: Region | None, year: int) -> None:
    """Add a `links` map for the tiles and a `url` to every chart row, in place."""
    area = region.pk if region else ""
    today = timezone.localdate()
    signed = ledger(region, period=year)
    figures_url = _url("servicerecords:figures", period="custom", area=area, **_year_span(year))
    data["links"] = {
        "signed_count": signed,
        "signed_investment": _url(
            "projects:project_list", region=area, period=year, sort="-investment"
        ),
        "landing_rate": ledger(region, period=year, reached=Stage.REGISTERED),
        "start_rate": ledger(region, period=year, reached=Stage.CONSTRUCTION),
        "operation_rate": ledger(region, period=year, reached=Stage.OPERATION),
        "funds_rate": _url("projects:project_list", region=area, period=year, sort="-investment"),
        "requests_on_time_rate": figures_url,
        "satisfaction_rate": figures_url,
        "overdue_now": _url("requests:queue", queue="late", region=area),
        "services_this_month": _url(
            "servicerecords:list", area=area, **_month_span(today.year, today.month)
        ),
    }
    for row in data["by_industry"]:
        row["url"] = ledger(region, period=year, industry=row["industry_id"] or "")
    for row in data["by_area"]:
        row["url"] = _url("projects:project_list", region=row["region_id"], period=year)
        row["cockpit_url"] = _url("cockpit:index", region=row["region_id"], year=year)
        row["overdue_url"] = _url("requests:queue", queue="late", region=row["region_id"])
    for row in data["funnel"]:
        row["url"] = ledger(region, reached=row["stage"])
    for row in data["monthly"]:
        month = f"{year}-{row['month']:02d}"
        row["urls"] = {
            "signed": ledger(region, period=month),
            "registered": ledger(region, period=month, dated=Stage.REGISTERED),
            "started": ledger(region, period=month, dated=Stage.CONSTRUCTION),
            "operating": ledger(region, period=month, dated=Stage.OPERATION),
        }
    for row in data["on_time_by_month"]:
        row["url"] = _url(
            "servicerecords:figures",
            period="custom",
            area=area,
            **_month_span(year, row["month"]),
        )
    for row in data["leaderboard"]:
        row["url"] = _url(
            "servicerecords:list", steward=row["steward_id"], area=area, **_year_span(year)
        )
