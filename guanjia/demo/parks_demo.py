"""Demo parks and land (产业园区 / 地块 / 标准厂房).

The parks are facts: Jinzhou's two national zones, each an area of the regions tree, named as
published (锦州经济技术开发区, 滨海新区; 锦州高新技术产业开发区, 松山新区). Their figures
(areas, occupancy, infrastructure, leading industries) are left empty until a source gives
them: nothing is invented. The parks of the other seven areas are not created for want of a
published list to take them from.

The plots and standard buildings are demo data, every one marked `is_demo` and named 演示:
the pages, the lists and the exports say so. Their locations are set near each zone so a map
has something to draw; they are not real parcels.
"""

import datetime as dt
import random
from decimal import Decimal

from guanjia.parks.models import Building, LandUse, Park, ParkKind, Plot, Utility, mu_to_m2
from guanjia.regions.models import Region

SOURCE = (
    "锦州市行政区划（国家级开发区：锦州经济技术开发区/滨海新区，锦州高新技术产业开发区/松山新区）"
)
ZONES = [
    # (region code, park name, kind, demo centre [lng, lat], plot prefix)
    ("210700Z1", "锦州经济技术开发区", ParkKind.NATIONAL_ETDZ, (121.06, 40.76), "BH"),
    ("210700Z2", "锦州高新技术产业开发区", ParkKind.HIGH_TECH, (121.10, 41.13), "SS"),
]
PLOTS_PER_PARK = 6
BUILDINGS_PER_PARK = 3
ALL_UTILITIES = list(Utility.values)


def build_parks(*, seed: int, today: dt.date) -> int:
    """The two national zones' parks with a modest demo inventory; returns the records made."""
    rng = random.Random(seed + 17)
    made = 0
    for code, name, kind, (lng, lat), prefix in ZONES:
        region = Region.objects.filter(code=code).first()
        if region is None:
            continue
        park, created = Park.objects.get_or_create(
            region=region,
            name=name,
            defaults={"kind": kind, "whole_area": True, "sources": SOURCE},
        )
        made += int(created)
        if not created:
            continue
        for n in range(1, PLOTS_PER_PARK + 1):
            mu = Decimal(rng.choice([30, 50, 80, 120, 200, 300]))
            plot = Plot(
                park=park,
                code=f"演示-{prefix}-D{n:02d}",
                name=f"演示地块{n}",
                point={
                    "type": "Point",
                    "coordinates": [
                        round(lng + rng.uniform(-0.03, 0.03), 5),
                        round(lat + rng.uniform(-0.02, 0.02), 5),
                    ],
                },
                area_mu=mu,
                area_m2=mu_to_m2(mu),
                land_use=rng.choice([LandUse.INDUSTRIAL] * 4 + [LandUse.WAREHOUSE]),
                far_min=Decimal("1.0"),
                far_max=Decimal(rng.choice(["1.5", "2.0", "2.5"])),
                density_max=Decimal(rng.choice([40, 50, 60])),
                green_max=Decimal(rng.choice([10, 15, 20])),
                height_limit_m=Decimal(rng.choice([24, 30, 40])),
                utilities=ALL_UTILITIES if n % 2 else ALL_UTILITIES[:4] + ["levelled"],
                power_kva=Decimal(rng.choice([2500, 5000, 10000, 20000])),
                price_wan_per_mu=Decimal(rng.choice([12, 15, 18, 20])),
                price_is_reference=True,
                notes="演示数据，非真实地块",
                is_demo=True,
            )
            plot.full_clean()
            plot.save()
            made += 1
        for n in range(1, BUILDINGS_PER_PARK + 1):
            building = Building(
                park=park,
                code=f"演示-{prefix}-C{n:02d}",
                name=f"演示标准厂房{n}",
                floor_area_m2=Decimal(rng.choice([2000, 3600, 5000, 8000])),
                floors=rng.choice([1, 1, 2, 4]),
                floor_load_kn_m2=Decimal(rng.choice([10, 20, 30])),
                eaves_height_m=Decimal(rng.choice([8, 10, 12])),
                crane_t=Decimal(rng.choice([5, 10, 16])) if n == 1 else None,
                for_rent=True,
                for_sale=n == 3,
                rent_yuan_m2_month=Decimal(rng.choice([8, 10, 12])),
                notes="演示数据，非真实厂房",
                is_demo=True,
            )
            building.full_clean()
            building.save()
            made += 1
    return made
