"""Policy matching benchmark on PostgreSQL: 500 policies × 100,000 enterprises.

Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/policies.py
Options: --enterprises N --policies N --incremental N

It works in its own database, <name>_policies_bench next to DATABASE_URL's (so .../test gives
test_policies_bench). Enterprises, their profiles and projects are generated once and reused;
the policies and their deliveries are written again on every run. It measures

- the full re-match from nothing (every policy: one INSERT … SELECT and one DELETE, set-based);
- the full re-match again with nothing changed (the steady state of a nightly run);
- the incremental match after one enterprise changes (its profile), against every active
  policy, notifications included, over --incremental enterprises;

and prints the figures, then one JSON line at the end. The full re-matches run without
notifications (the first one would tell every contact of every enterprise at once).
"""

import argparse
import json
import os
import random
import sys
import time
from decimal import Decimal
from typing import Any

from benchlib import bench_database, pct, setup_django  # noqa: E402

TAGS = ["专精特新", "瞪羚", "上市", "外贸", "小巨人", "独角兽", "科技型中小企业", "绿色工厂"]
OWNERSHIPS = ["central_soe", "central_soe_sub", "local_soe", "private", "foreign", "joint_venture"]


def generate(n: int) -> None:
    """Enterprises across the city's areas and industries, 70 % with a profile, about one
    project each (some withdrawn). Only what is missing is written."""
    from guanjia.enterprises.models import Enterprise
    from guanjia.industries.loading import load_industries
    from guanjia.industries.models import Industry
    from guanjia.policies.models import EnterpriseProfile
    from guanjia.projects.models import Project
    from guanjia.regions.loading import load_regions
    from guanjia.regions.models import Region

    load_regions()
    load_industries()
    have = Enterprise.objects.count()
    if have >= n:
        return
    rng = random.Random(2024 + have)
    city = Region.objects.get(code="210700")
    areas = list(Region.objects.filter(path__startswith=city.path).exclude(pk=city.pk))
    industries = list(Industry.objects.all())
    Enterprise.objects.bulk_create(
        [
            Enterprise(
                name=f"锦州政策基准企业{i:06d}有限公司",
                ownership=rng.choice(OWNERSHIPS),
                region=rng.choice(areas),
                industry=rng.choice(industries),
            )
            for i in range(have, n)
        ],
        batch_size=5000,
    )
    fresh = list(
        Enterprise.objects.filter(policy_profile__isnull=True, projects__isnull=True).values_list(
            "pk", "region_id"
        )
    )
    EnterpriseProfile.objects.bulk_create(
        [
            EnterpriseProfile(
                enterprise_id=pk,
                headcount=rng.choice([None, 8, 20, 50, 120, 300, 800, 2000]),
                high_tech=rng.random() < 0.2,
                tags=",".join(rng.sample(TAGS, rng.choice([0, 0, 1, 1, 2]))),
            )
            for pk, _region in fresh
            if rng.random() < 0.7
        ],
        batch_size=5000,
    )
    Project.objects.bulk_create(
        [
            Project(
                name=f"政策基准项目{pk}",
                enterprise_id=pk,
                region_id=region,
                total_investment_wan=Decimal(rng.choice([500, 2000, 5000, 10000, 30000, 100000])),
                stage=rng.choice(["lead", "signed", "construction", "operation", "withdrawn"]),
            )
            for pk, region in fresh
            if rng.random() < 0.8
        ],
        batch_size=5000,
    )


def random_rule(rng: random.Random, industries: list[str], areas: list[str]) -> dict[str, Any]:
    """A policy's eligibility as offices write them: a narrowing condition or two (industry,
    area) and a qualifying one (size, investment, high-tech, tags), sometimes alternatives."""
    narrowing = [
        {"fact": "industry", "op": "in", "value": rng.sample(industries, rng.randint(1, 2))},
        {"fact": "region", "op": "within", "value": rng.choice(areas)},
        {"fact": "ownership", "op": "in", "value": rng.sample(OWNERSHIPS, 2)},
    ]
    qualifying = [
        {"fact": "investment_wan", "op": "gte", "value": rng.choice([5000, 10000, 30000])},
        {"fact": "headcount", "op": "gte", "value": rng.choice([100, 300, 800])},
        {"fact": "high_tech", "op": "eq", "value": True},
        {"fact": "tag", "op": "in", "value": rng.sample(TAGS, rng.randint(1, 2))},
        {"fact": "headcount", "op": "lte", "value": rng.choice([20, 50])},
    ]
    conditions = rng.sample(narrowing, rng.randint(1, 2))
    if rng.random() < 0.4:
        conditions.append({"any": rng.sample(qualifying, 2)})
    else:
        conditions.append(rng.choice(qualifying))
    return {"all": conditions}


def make_policies(n: int) -> None:
    from guanjia.industries.models import Industry
    from guanjia.policies.models import Policy, PolicyMatch
    from guanjia.policies.rules import validate
    from guanjia.regions.models import Region

    PolicyMatch.objects.all().delete()
    Policy.objects.all().delete()
    rng = random.Random(500)
    industries = list(Industry.objects.values_list("code", flat=True))
    areas = list(
        Region.objects.filter(path__startswith="/210000/210700/").values_list("code", flat=True)
    )
    policies = []
    for i in range(n):
        rule = random_rule(rng, industries, areas)
        validate(rule)
        policies.append(
            Policy(
                title=f"基准政策{i:03d}",
                issuer="锦州市工信局",
                benefit="奖励",
                automatic=rng.random() < 0.1,
                rule=rule,
            )
        )
    Policy.objects.bulk_create(policies)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--policies", type=int, default=500)
    parser.add_argument("--incremental", type=int, default=30)
    args = parser.parse_args()
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
    if not base.startswith("postgres"):
        sys.exit("the benchmark runs on PostgreSQL: set DATABASE_URL=postgres://...")
    setup_django(bench_database(base, "policies"), tasks="db")
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    t0 = time.perf_counter()
    generate(args.enterprises)
    make_policies(args.policies)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"data ready in {time.perf_counter() - t0:.1f}s", file=sys.stderr)

    from guanjia.enterprises.models import Enterprise
    from guanjia.policies import services
    from guanjia.policies.models import EnterpriseProfile, PolicyMatch

    t0 = time.perf_counter()
    added, _removed = services.match_all(send=False)
    full_s = time.perf_counter() - t0
    print(f"full re-match from nothing: {full_s:.2f}s, {added} deliveries", file=sys.stderr)
    t0 = time.perf_counter()
    again = services.match_all(send=False)
    steady_s = time.perf_counter() - t0
    print(f"full re-match, nothing changed: {steady_s:.2f}s {again}", file=sys.stderr)

    rng = random.Random(7)
    ids = list(EnterpriseProfile.objects.values_list("enterprise_id", flat=True)[:5000])
    timings = []
    changed = 0
    for pk in rng.sample(ids, args.incremental):
        enterprise = Enterprise.objects.select_related("region", "industry").get(pk=pk)
        profile = EnterpriseProfile.objects.get(enterprise_id=pk)
        profile.headcount = rng.choice([10, 150, 900, 3000])
        profile.high_tech = not profile.high_tech
        profile.tags = ",".join(rng.sample(["专精特新", "瞪羚", "外贸"], 2))
        profile.save()
        t0 = time.perf_counter()
        a, r = services.match_enterprise(enterprise)
        timings.append((time.perf_counter() - t0) * 1000)
        changed += a + r
    print(
        f"incremental, one enterprise: p50 {pct(timings, 0.5)} ms  p95 {pct(timings, 0.95)} ms "
        f"({changed} deliveries added or removed over {len(timings)})",
        file=sys.stderr,
    )
    figures = {
        "database": "postgresql",
        "enterprises": Enterprise.objects.count(),
        "policies": args.policies,
        "deliveries": PolicyMatch.objects.count(),
        "full_rematch_s": round(full_s, 2),
        "full_rematch_steady_s": round(steady_s, 2),
        "full_rematch_target_s": 10,
        "incremental_p50_ms": pct(timings, 0.5),
        "incremental_p95_ms": pct(timings, 0.95),
        "incremental_target_ms": 50,
    }
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
