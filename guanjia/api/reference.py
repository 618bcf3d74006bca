"""Reference data every client needs to fill its forms: regions and industries."""

from django.http import HttpRequest
from ninja import Router

from guanjia.industries.models import Industry
from guanjia.regions.models import Region

from .schemas import ErrorOut, IndustryList, RegionList

router = Router(tags=["reference"])


@router.get("/regions", response={200: RegionList, 401: ErrorOut})
def list_regions(request: HttpRequest) -> dict:
    """Regions in use today (abolished ones such as 锦县 are left out), tree order."""
    items = [
        {
            "id": r.pk,
            "code": r.code,
            "gb_code": r.gb_code,
            "name": r.name,
            "short_name": r.short_name,
            "kind": r.kind,
            "parent_id": r.parent_id,
        }
        for r in Region.objects.active()
    ]
    return {"count": len(items), "items": items}


@router.get("/industries", response={200: IndustryList, 401: ErrorOut})
def list_industries(request: HttpRequest) -> dict:
    """The city's industry taxonomy with its GB/T 4754 mapping."""
    items = [
        {
            "id": i.pk,
            "code": i.code,
            "name": i.name,
            "group": i.group,
            "gbt4754": i.gbt4754_codes(),
        }
        for i in Industry.objects.filter(active=True)
    ]
    return {"count": len(items), "items": items}
