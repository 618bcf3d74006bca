"""Building the Jinzhou demo through the real services, deterministically.

Every record goes through the same service functions a clerk's click does (create_enterprise,
create_project, record_signing, transition), so the counting rule, stage dates, history and
audit entries come out of the real code path. One `random.Random(seed)` drives every choice.
"""

import datetime as dt
import hashlib
import random
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from guanjia.accounts.models import Department, Role, User
from guanjia.cockpit import services as cockpit_services
from guanjia.core.audit import record
from guanjia.core.models import AuditAction
from guanjia.enterprises import services as enterprise_services
from guanjia.enterprises.creditcode import ALPHABET, make_code
from guanjia.enterprises.models import CapitalOrigin, Enterprise, Ownership
from guanjia.events import services as event_services
from guanjia.events.models import Event, EventKind, EventStatus
from guanjia.industries.loading import load_industries
from guanjia.industries.models import Industry
from guanjia.projects import services as project_services
from guanjia.projects.models import Level, Project, StallKind, StallRule
from guanjia.projects.stages import LINE, Stage
from guanjia.regions.loading import load_regions
from guanjia.regions.models import Region
from guanjia.requests.loading import load_categories, load_reply_templates
from guanjia.targets.demo import build_assessment, build_targets
from guanjia.worktime.loading import load_holidays

from . import data
from .data import Account, Firm
from .eventrun_demo import run_the_conference_day, run_the_forum
from .leads_demo import build_leads
from .lifecycle_demo import (
    build_approvals,
    build_guarantees,
    build_policies,
    build_taskforce_records,
)
from .outings_demo import build_outings
from .parks_demo import build_parks
from .portal_demo import build_portal
from .requests_demo import build_requests
from .services_demo import build_service_records

SEED = 20230323


@dataclass
class Outcome:
    """What `load_demo` did, for the command to report."""

    loaded: bool  # False when the demo was already there
    accounts: list[Account]
    created_users: list[str] = field(default_factory=list)
    reset_users: list[str] = field(default_factory=list)
    missing_users: list[str] = field(default_factory=list)


def is_loaded() -> bool:
    """The conference is the demo's marker: it exists only if a load completed."""
    return Event.objects.filter(name=data.CONFERENCE_NAME, date=data.CONFERENCE_DATE).exists()


def load_demo(*, reset_passwords: bool = False, seed: int = SEED) -> Outcome:
    """Load the demo once; afterwards only make sure the demo accounts exist.

    1. Find which demo accounts need a password hashed, and hash those in threads while the
       database work runs (each PBKDF2 hash costs most of a second).
    2. In one transaction: regions, taxonomy and departments; staff accounts; then, unless the
       demo is already loaded, enterprises, events, signings and projects; the enterprise
       contact's account last, since it needs its enterprise.
    """
    usernames = [a.username for a in data.ACCOUNTS]
    existing = {u.username: u for u in User.objects.filter(username__in=usernames)}
    needs_password = [
        a for a in data.ACCOUNTS
        if reset_passwords or a.username not in existing
        or not existing[a.username].has_usable_password()
    ]  # fmt: skip
    outcome = Outcome(loaded=False, accounts=list(data.ACCOUNTS))
    with ThreadPoolExecutor(max_workers=4) as pool:
        hashes = {pw: pool.submit(make_password, pw) for pw in {a.password for a in needs_password}}
        with transaction.atomic():
            loaded = is_loaded()
            if not loaded:
                load_regions()
                load_industries()
            departments = _ensure_departments()
            users = _ensure_users(
                [a for a in data.ACCOUNTS if not a.enterprise], departments, outcome
            )
            if not loaded:
                Builder(seed, users).build()
                outcome.loaded = True
            _ensure_users([a for a in data.ACCOUNTS if a.enterprise], departments, outcome)
            if outcome.loaded:
                # After the enterprise contact's account, so its requests are its own. The
                # requests run up to now: the escalation sweep finds work on its first run.
                today = timezone.localdate()
                load_categories()
                load_reply_templates(Region.objects.get(code=data.CITY))
                load_holidays(list(range(today.year - 1, today.year + 2)))
                build_requests(seed=seed, today=today)
                build_service_records(seed=seed, today=today)
                build_taskforce_records(seed=seed, today=today)
                build_approvals(seed=seed, today=today)
                build_guarantees(seed=seed, today=today)
                build_policies(seed=seed, today=today)
                build_targets(today=today)
                build_leads(seed=seed, today=today)
                build_outings(seed=seed, today=today)
                build_assessment(today=today)
                build_parks(seed=seed, today=today)
                build_portal(today=today)
            _set_passwords(needs_password, hashes, outcome)
            _grant_unmask(users.get("admin"))
    cockpit_services.refresh()  # the cockpit's rollups, there before the worker's first run
    return outcome


def _grant_unmask(admin: User | None) -> None:
    """The demo admin may reveal masked phone numbers (each reveal is audited)."""
    from django.contrib.auth.models import Permission

    perm = Permission.objects.filter(
        content_type__app_label="accounts", codename="unmask_personal_data"
    ).first()
    if admin is not None and perm is not None:
        admin.user_permissions.add(perm)


def _ensure_departments() -> dict[str, Department]:
    city = Region.objects.get(code=data.CITY)
    found = {d.name: d for d in Department.objects.filter(region=city, name__in=data.DEPARTMENTS)}
    for name in data.DEPARTMENTS:
        if name not in found:
            found[name] = Department.objects.create(name=name, region=city)
            record(None, AuditAction.CREATE, found[name], note="demo")
    return found


def _ensure_users(
    accounts: Iterable[Account], departments: dict[str, Department], outcome: Outcome
) -> dict[str, User]:
    """Create the demo accounts that are missing (password set later); keep existing ones."""
    users: dict[str, User] = {}
    regions = {r.code: r for r in Region.objects.all()}
    for account in accounts:
        user = User.objects.filter(username=account.username).first()
        if user is None:
            enterprise = None
            if account.enterprise:
                enterprise = Enterprise.objects.filter(name=account.enterprise).first()
                if enterprise is None:
                    outcome.missing_users.append(account.username)
                    continue
            user = User(
                username=account.username, role=account.role, display_name=account.display_name,
                last_name=account.display_name[:1], first_name=account.display_name[1:],
                region=regions.get(account.region), enterprise=enterprise,
                department=departments.get(account.department),
                is_staff=False, is_superuser=False,
            )  # fmt: skip
            user.set_unusable_password()
            user.save()
            record(None, AuditAction.CREATE, user, note="demo")
            outcome.created_users.append(account.username)
        users[account.username] = user
    return users


def _set_passwords(
    accounts: list[Account], hashes: dict[str, Future[str]], outcome: Outcome
) -> None:
    for account in accounts:
        user = User.objects.filter(username=account.username).first()
        if user is None:
            continue
        user.password = hashes[account.password].result()
        user.save(update_fields=["password"])
        if account.username not in outcome.created_users:
            outcome.reset_users.append(account.username)


def credit_code(name: str, region_code: str) -> str:
    """A valid code whose 9-character body is derived from the name, so it never changes."""
    digest = hashlib.sha256(name.encode()).digest()
    body = "".join(ALPHABET[b % len(ALPHABET)] for b in digest[:9])
    return make_code(f"91{region_code}{body}")


CAPITAL = {
    Ownership.CENTRAL_SOE: CapitalOrigin.STATE,
    Ownership.CENTRAL_SOE_SUB: CapitalOrigin.STATE,
    Ownership.LOCAL_SOE: CapitalOrigin.STATE,
    Ownership.PRIVATE: CapitalOrigin.PRIVATE,
    Ownership.FOREIGN: CapitalOrigin.FOREIGN,
    Ownership.JOINT_VENTURE: CapitalOrigin.PRIVATE,
}

# Relative time each stage takes after the one before it (signed → registered is quick,
# construction → operation is long); actual gaps are these shares of the time available.
GAP_WEIGHT: dict[str, float] = {
    Stage.REGISTERED: 1.0, Stage.APPROVALS: 1.2, Stage.CONSTRUCTION: 2.0,
    Stage.OPERATION: 5.0, Stage.FULL_CAPACITY: 3.5,
}  # fmt: skip
# Days after signing before a project can plausibly have reached each stage.
MIN_AGE: dict[str, int] = {
    Stage.SIGNED: 0, Stage.REGISTERED: 20, Stage.APPROVALS: 40, Stage.CONSTRUCTION: 90,
    Stage.OPERATION: 360, Stage.FULL_CAPACITY: 600, Stage.WITHDRAWN: 60,
}  # fmt: skip
# Where signed projects stand now, by weight.
TARGET_WEIGHTS: dict[str, int] = {
    Stage.SIGNED: 7, Stage.REGISTERED: 6, Stage.APPROVALS: 9, Stage.CONSTRUCTION: 26,
    Stage.OPERATION: 30, Stage.FULL_CAPACITY: 14,
}  # fmt: skip
POWER_WORDS = ("风电", "光伏", "储能", "风光")


@dataclass
class Plan:
    """One signed project before it is written."""

    enterprise: Enterprise
    area: str
    amount: int  # 万元
    name: str = ""
    industry: str | None = None
    level: str | None = None
    partners: list[Enterprise] = field(default_factory=list)
    path: list[tuple[str, dt.date]] | None = None
    content: str = ""
    steward: User | None = None


class Builder:
    def __init__(self, seed: int, users: dict[str, User]) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.as_of = min(data.AS_OF, timezone.localdate())
        self.city = Region.objects.get(code=data.CITY)
        self.areas = {r.code: r for r in Region.objects.filter(code__in=data.AREAS)}
        self.industries = {i.code: i for i in Industry.objects.all()}
        self.users = users
        self.stewards = [u for u in users.values() if u.role == Role.STEWARD]
        self.leaders = [u for u in users.values() if u.role == Role.LEADER]
        self.enterprises: dict[str, Enterprise] = {}
        self.short: dict[int, str] = {}
        self.trade_names: set[str] = set()
        self.project_names: set[str] = set(Project.objects.values_list("name", flat=True))
        self.projects_of: dict[int, int] = {}

    # -- the whole demo ---------------------------------------------------------------
    def build(self) -> None:
        self._stall_rules()
        conference = self._conference()
        self._forum(conference)
        run_the_conference_day(conference)  # guests checked in, the signing list (eventrun)
        self._needle_coke()
        self._signed_elsewhere(count=100)
        self._pipeline(count=110)

    def _stall_rules(self) -> None:
        # Big industrial builds take three to four years; the city gives provincial key
        # projects four before "started but not completed" lists them.
        kind, level = StallKind.STARTED_NOT_COMPLETED, Level.PROVINCIAL
        if not StallRule.objects.filter(kind=kind, level=level).exists():
            rule = StallRule.objects.create(kind=kind, level=level, days=1460)
            record(None, AuditAction.CREATE, rule, note="demo")

    # -- people -----------------------------------------------------------------------
    def _person(self) -> str:
        given = "".join(self.rng.sample(data.GIVEN, self.rng.choice([1, 2, 2])))
        return self.rng.choice(data.SURNAMES) + given

    def _mobile(self) -> str:
        return self.rng.choice(data.MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"

    def _steward(self) -> User:
        # The demo `steward` serves about a third of everything, so their pages are full.
        if self.rng.random() < 0.35:
            return self.users["steward"]
        return self.rng.choice(self.stewards)

    def _leader(self, level: str) -> User | None:
        if level == Level.PROVINCIAL:
            return self.users["leader"]
        if level == Level.MUNICIPAL:
            return self.rng.choice([self.users["leader"], *self.leaders])
        return None

    # -- enterprises ------------------------------------------------------------------
    def _enterprise(self, firm: Firm) -> Enterprise:
        if firm.name in self.enterprises:
            return self.enterprises[firm.name]
        local = firm.home_city == "锦州市"
        region = self.areas.get(firm.region) or (self.city if firm.region == data.CITY else None)
        code_region = (
            region.gb_code if region and region.gb_code else data.CITY_CODES[firm.home_city]
        )
        enterprise = enterprise_services.create_enterprise(
            None,
            name=firm.name,
            credit_code=credit_code(firm.name, code_region),
            ownership=firm.ownership,
            capital_origin=CAPITAL[Ownership(firm.ownership)],
            home_city=firm.home_city,
            region=region,
            industry=self.industries.get(firm.industry or ""),
            description=firm.description,
            steward=self._steward() if local or self.rng.random() < 0.3 else None,
        )
        enterprise_services.add_contact(
            enterprise, None, name=self._person(), title=self.rng.choice(data.CONTACT_TITLES),
            phone=self._mobile(), is_primary=True,
        )  # fmt: skip
        self.enterprises[firm.name] = enterprise
        self.short[enterprise.pk] = firm.short
        self.trade_names.add(firm.short)
        return enterprise

    def _generated_firm(self, city: str, industry: str, region: str = "") -> Firm:
        """A private firm with a fresh trade name: 城市 + 字号 + 行业 + 有限公司."""
        while True:
            trade = self.rng.choice(data.TRADE_FIRST) + self.rng.choice(data.TRADE_SECOND)
            if trade[0] != trade[1] and trade not in self.trade_names:
                break
        self.trade_names.add(trade)
        word = self.rng.choice(data.INDUSTRY_WORDS[industry])
        suffix = self.rng.choice(["有限公司", "有限公司", "股份有限公司"])
        name = f"{city.removesuffix('市')}{trade}{word}{suffix}"
        if city == "锦州市" and not region:
            region = self._area()
        return Firm(name, trade, city, data.PRIVATE, industry, region)

    def _area(self) -> str:
        areas, weights = list(data.AREA_WEIGHTS), list(data.AREA_WEIGHTS.values())
        return self.rng.choices(areas, weights=weights)[0]

    def _firms_from(self, weights: dict[str, int], count: int, industries: list[str],
                    must_cover: Iterable[str] = ()) -> list[Firm]:  # fmt: skip
        cities = list(must_cover)
        cities += self.rng.choices(
            list(weights), weights=list(weights.values()), k=count - len(cities)
        )
        return [self._generated_firm(city, self.rng.choice(industries)) for city in cities]

    # -- projects ---------------------------------------------------------------------
    def _project_name(self, enterprise: Enterprise, industry: str, area: str) -> str:
        template, numbers = self.rng.choice(data.PROJECT_TEMPLATES[industry])
        n = self.rng.choice(numbers) if numbers else 0
        body = template.format(n=n, m=2 * n, area=self.areas[area].short_name)
        name, phases = f"{self.short[enterprise.pk]}{body}", iter("二三四五六七八九")
        while name in self.project_names:  # the same investor again: a second phase
            name = f"{self.short[enterprise.pk]}{body.removesuffix('项目')}{next(phases)}期项目"
        self.project_names.add(name)
        return name

    def _level(self, amount: int) -> str:
        roll = self.rng.random()
        if amount >= 200_000:
            return Level.PROVINCIAL if roll < 0.6 else Level.MUNICIPAL
        if amount >= 50_000:
            return Level.MUNICIPAL if roll < 0.6 else Level.GENERAL
        return Level.MUNICIPAL if amount >= 20_000 and roll < 0.1 else Level.GENERAL

    def _pick(self, pool: list[Enterprise], area: str) -> Enterprise:
        """An enterprise from the pool whose industry the area attracts (any, if none does)."""
        wanted = data.AREA_INDUSTRIES[area]
        fits = [e for e in pool if e.industry is None or e.industry.code in wanted]
        return self.rng.choice(fits or pool)

    def _industry_for(self, enterprise: Enterprise, area: str) -> str:
        if enterprise.industry_id:
            return enterprise.industry.code  # type: ignore[union-attr]
        return self.rng.choice(data.AREA_INDUSTRIES[area])

    def _path(self, signed_on: dt.date, target: str | None = None) -> list[tuple[str, dt.date]]:
        """Stage moves after signing, with dates, for a project that now stands at `target`.

        Most projects are kept off the stall lists (their current stage was reached recently
        enough); about a quarter of the slow ones are left long enough to be stalled.
        """
        age = (self.as_of - signed_on).days
        if target is None:
            options = {s: w for s, w in TARGET_WEIGHTS.items() if MIN_AGE[s] <= age}
            target = self.rng.choices(list(options), weights=list(options.values()))[0]
        if target == Stage.SIGNED:
            return []
        steps = LINE[LINE.index(Stage.REGISTERED) : LINE.index(target) + 1]
        if Stage.APPROVALS in steps and target != Stage.APPROVALS and self.rng.random() < 0.2:
            steps.remove(Stage.APPROVALS)  # registered with its approvals already in hand
        stale = self.rng.random() < 0.25
        # The date the project reached the stage its stall clock runs from.
        anchor = Stage.REGISTERED if target in (Stage.REGISTERED, Stage.APPROVALS) else target
        earliest = signed_on + dt.timedelta(days=MIN_AGE[anchor])
        if target in (Stage.OPERATION, Stage.FULL_CAPACITY):
            low, high = earliest, self.as_of - dt.timedelta(days=5)
        elif stale:
            limit = 730 if target == Stage.CONSTRUCTION else 180
            low, high = earliest, self.as_of - dt.timedelta(days=limit + 30)
        else:
            limit = 700 if target == Stage.CONSTRUCTION else 170
            low, high = max(earliest, self.as_of - dt.timedelta(days=limit)), self.as_of
        if high < low:
            low, high = earliest, max(earliest, self.as_of)
        anchor_on = low + dt.timedelta(days=self.rng.randint(0, (high - low).days))
        before = steps[: steps.index(anchor) + 1]
        weights = [GAP_WEIGHT[s] * self.rng.uniform(0.6, 1.4) for s in before]
        span, total, done = (anchor_on - signed_on).days, sum(weights), 0.0
        path = []
        for stage, weight in zip(before, weights, strict=True):
            done += weight
            path.append((stage, signed_on + dt.timedelta(days=round(span * done / total))))
        if target == Stage.APPROVALS:
            room = max(0, min(150, (self.as_of - anchor_on).days))
            path.append((Stage.APPROVALS, anchor_on + dt.timedelta(days=self.rng.randint(0, room))))
        return path

    def _withdrawn_path(self, signed_on: dt.date) -> list[tuple[str, dt.date]]:
        registered = signed_on + dt.timedelta(days=self.rng.randint(30, 90))
        withdrawn = min(self.as_of, registered + dt.timedelta(days=self.rng.randint(120, 400)))
        return [(Stage.REGISTERED, registered), (Stage.WITHDRAWN, withdrawn)]

    def _figures(self, amount: int, stage: str) -> dict[str, Decimal]:
        """This year's planned and completed investment and funds in place, in whole 万元."""
        shares: dict[str, tuple[int, int]] = {
            Stage.NEGOTIATING: (0, 0), Stage.SIGNED: (0, 5), Stage.REGISTERED: (3, 12),
            Stage.APPROVALS: (8, 25), Stage.CONSTRUCTION: (30, 80), Stage.OPERATION: (85, 100),
            Stage.FULL_CAPACITY: (100, 100), Stage.WITHDRAWN: (0, 3),
        }  # fmt: skip
        share = shares[stage]
        yearly: dict[str, tuple[int, int]] = {
            Stage.APPROVALS: (5, 20),
            Stage.CONSTRUCTION: (15, 45),
            Stage.OPERATION: (0, 10),
        }
        planned = amount * self.rng.randint(*yearly.get(stage, (0, 0))) // 100
        return {
            "funds_in_place_wan": Decimal(amount * self.rng.randint(*share) // 100),
            "planned_investment_year_wan": Decimal(planned),
            "completed_investment_year_wan": Decimal(planned * self.rng.randint(40, 105) // 100),
        }

    def _signed_project(self, plan: Plan, signed_on: dt.date, event: Event | None) -> Project:
        """Lead or negotiation first, then the signing (which moves it to signed), then on."""
        project = self._planned_project(plan, signed_on)
        event_services.record_signing(
            None, project=project, government=project.region, signed_on=signed_on,
            amount_wan=Decimal(plan.amount), event=event,
            enterprises=[plan.enterprise, *plan.partners],
        )  # fmt: skip
        return self._after_signing(plan, project)

    def _after_signing(self, plan: Plan, project: Project) -> Project:
        """The stage moves a signed project has made since (its plan's path)."""
        assert plan.path is not None
        self._walk(project, plan.path)
        self.projects_of[plan.enterprise.pk] = self.projects_of.get(plan.enterprise.pk, 0) + 1
        return project

    def _planned_project(self, plan: Plan, signed_on: dt.date, *, signs: bool = True) -> Project:
        """The project before its signing, at the lead or negotiation stage. Its path after
        the signing is settled now (`plan.path`), so its figures fit where it stands today.
        One that `signs` not (left off at the ceremony) stays in negotiation."""
        area = self.areas[plan.area]
        industry = plan.industry or self._industry_for(plan.enterprise, plan.area)
        name = plan.name or self._project_name(plan.enterprise, industry, plan.area)
        path = plan.path if plan.path is not None else (self._path(signed_on) if signs else [])
        plan.path = path
        stage = path[-1][0] if path else (Stage.SIGNED if signs else Stage.NEGOTIATING)
        level = plan.level or self._level(plan.amount)
        start = self.rng.choice([Stage.LEAD, Stage.NEGOTIATING]) if signs else Stage.NEGOTIATING
        project = project_services.create_project(
            None,
            stage=start,
            stage_on=signed_on - dt.timedelta(days=self.rng.randint(20, 240)),
            partners=plan.partners,
            name=name,
            enterprise=plan.enterprise,
            region=area,
            industry=self.industries.get(industry),
            level=level,
            total_investment_wan=Decimal(plan.amount),
            plan_year=self.as_of.year,
            construction_content=plan.content or data.CONSTRUCTION_CONTENT[industry],
            steward=plan.steward or self._steward(),
            leader=self._leader(level),
            task_force=f"{self.short[plan.enterprise.pk]}项目服务专班"
            if level == Level.PROVINCIAL else "",
            **self._figures(plan.amount, stage),
        )  # fmt: skip
        return project

    def _walk(self, project: Project, path: list[tuple[str, dt.date]]) -> None:
        power = any(word in project.name for word in POWER_WORDS)
        for stage, on in path:
            reason = self.rng.choice(data.WITHDRAWAL_REASONS) if stage == Stage.WITHDRAWN else ""
            evidence = (data.POWER_EVIDENCE if power else {}).get(stage) or data.STAGE_EVIDENCE.get(
                stage, ""
            )
            project_services.transition(
                project, stage, None, on=min(on, self.as_of), evidence=evidence, reason=reason
            )

    def _amounts(self, plans: list[Plan], total: int, unit: int) -> None:
        """Fill the plans without an amount so that all of them sum to exactly `total`.

        Each gets a plausible amount for its industry, scaled to the total and rounded to
        `unit`; the rounding left over goes to the largest, so every amount stays plausible.
        """
        fixed = sum(p.amount for p in plans if p.amount)
        open_plans = [p for p in plans if not p.amount]
        raw = []
        for plan in open_plans:
            industry = plan.industry or self._industry_for(plan.enterprise, plan.area)
            low, high = data.AMOUNT_RANGES[industry]
            # Log-uniform: many mid-sized projects, a few large ones.
            raw.append(round(low * (high / low) ** self.rng.random()))
        rest, weight = total - fixed, sum(raw)
        for plan, r in zip(open_plans, raw, strict=True):
            plan.amount = max(unit, r * rest // (weight * unit) * unit)
        largest = max(open_plans, key=lambda p: p.amount)
        largest.amount += total - sum(p.amount for p in plans)
        assert sum(p.amount for p in plans) == total and all(p.amount > 0 for p in plans)

    def _signers(self, participants: list[Enterprise], area_counts: dict[str, int],
                 taken: set[int], plans: list[Plan]) -> None:  # fmt: skip
        """Choose, for each area's remaining slots, a participant whose industry fits it."""
        slots = []
        for area, count in area_counts.items():
            slots += [area] * (count - sum(1 for p in plans if p.area == area))
        for area in slots:
            fits = [
                e for e in participants
                if e.pk not in taken and e.industry_id
                and e.industry.code in data.AREA_INDUSTRIES[area]  # type: ignore[union-attr]
            ]  # fmt: skip
            pool = fits or [e for e in participants if e.pk not in taken]
            enterprise = self.rng.choice(pool)
            taken.add(enterprise.pk)
            plans.append(Plan(enterprise=enterprise, area=area, amount=0))

    # -- 2023-03-23: the central-local cooperation conference ---------------------------
    def _conference(self) -> Event:
        curated = [*data.CENTRAL_FIRMS, *data.LOCAL_SOE_FIRMS, data.CATL, *data.NAMED_LOCAL]
        missing = set(data.CONFERENCE_CITIES) - {f.home_city for f in curated}
        generated = self._firms_from(
            data.CONFERENCE_CITY_WEIGHTS, data.CONFERENCE_ENTERPRISES - len(curated),
            list(data.INDUSTRY_WORDS), must_cover=sorted(missing),
        )  # fmt: skip
        firms = curated + generated
        assert {f.home_city for f in firms} == set(data.CONFERENCE_CITIES), "24 cities"
        participants = [self._enterprise(f) for f in firms]
        assert len({e.pk for e in participants}) == data.CONFERENCE_ENTERPRISES
        event = event_services.create_event(
            None, participants=participants, name=data.CONFERENCE_NAME,
            kind=EventKind.MATCHMAKING, date=data.CONFERENCE_DATE, organiser=data.ORGANISER,
            region=self.city, location="锦州市",
            description="中央企业、地方国企和民营企业与锦州共商合作，"
            "各县（市）区政府及经开区、高新区管委会现场签约。",
        )  # fmt: skip
        d = data.CONFERENCE_DATE
        spic, catl = self.enterprises[data.SPIC.name], self.enterprises[data.CATL.name]
        plans = [
            Plan(
                enterprise=spic,
                area="210726",
                amount=260_000,
                name="国家电投黑山400MW风电项目",
                industry="P2",
                level=Level.PROVINCIAL,
                steward=self.users["steward"],
                content="建设64台单机容量6.25兆瓦风电机组，配套建设220千伏升压站及送出线路。",
                path=[
                    (Stage.REGISTERED, dt.date(2023, 4, 20)),
                    (Stage.APPROVALS, dt.date(2023, 5, 16)),
                    (Stage.CONSTRUCTION, dt.date(2023, 8, 18)),
                    (Stage.OPERATION, dt.date(2024, 12, 26)),  # first turbines on the grid
                ],
            ),
            Plan(
                enterprise=catl,
                area=data.ZONE_DEV,
                amount=320_000,
                name="宁德时代锦州锂电池负极材料一体化项目",
                industry="P2",
                level=Level.PROVINCIAL,
                steward=self.users["steward"],
                content="建设针状焦基人造石墨负极材料生产线及配套石墨化装置。",
            ),  # fmt: skip
        ]
        # A few signings join a local firm to an outside investor.
        taken = {spic.pk, catl.pk}
        self._signers(participants, data.CONFERENCE_AREA_SIGNINGS, taken, plans)
        locals_ = [e for e in participants if e.home_city == "锦州市" and e.pk not in taken]
        for plan in self.rng.sample(plans[2:], 4):
            if plan.enterprise.home_city != "锦州市" and locals_:
                partner = locals_.pop(self.rng.randrange(len(locals_)))
                taken.add(partner.pk)
                plan.partners.append(partner)
        self._amounts(plans, data.CONFERENCE_SIGNINGS_WAN, unit=1000)
        self.rng.choice(plans[2:]).path = self._withdrawn_path(d)
        for plan in plans:
            self._signed_project(plan, d, event)
        return event

    # -- 2023-03-29: the pharmaceutical and health industry forum -----------------------
    def _forum(self, conference: Event) -> Event:
        """The forum as it was run (`eventrun_demo.run_the_forum`): its guests invited and
        checked in, so its participants are those who came; its signing list prepared before
        the day and confirmed at the ceremony, which records its signings."""
        # Some local firms and state investors from the conference came again.
        health = {None, "P5", "P6", "F1"}
        cities = set(data.FORUM_CITIES)
        at_conference = list(conference.participants.select_related("industry").order_by("pk"))
        returning = [
            e for e in at_conference
            if (e.industry.code if e.industry else None) in health and e.home_city in cities
        ][:12]  # fmt: skip
        curated = [self._enterprise(f) for f in data.PHARMA_FIRMS]
        covered = {e.home_city for e in returning + curated}
        generated = [
            self._enterprise(f)
            for f in self._firms_from(
                data.FORUM_CITY_WEIGHTS,
                data.FORUM_ENTERPRISES - len(returning) - len(curated),
                ["P5"] * 16 + ["P6", "P6", "E1", "F1"],
                must_cover=[c for c in data.FORUM_CITIES if c not in covered],
            )
        ]
        participants = returning + curated + generated
        assert len({e.pk for e in participants}) == data.FORUM_ENTERPRISES
        assert {e.home_city for e in participants} == cities, "the forum's 25 cities"
        event = event_services.create_event(
            None, name=data.FORUM_NAME, kind=EventKind.FORUM, status=EventStatus.PLANNING,
            date=data.FORUM_DATE, organiser=data.ORGANISER, region=self.city, location="锦州市",
            description="医药健康企业共话产业合作，生物医药、医疗器械和健康食品项目现场签约。",
        )  # fmt: skip
        jiutai, aohong = self.enterprises[data.JIUTAI.name], self.enterprises[data.AOHONG.name]
        plans = [
            Plan(enterprise=jiutai, area="210711", amount=36_800,
                 name="九泰药业氯己定系列原料药扩产项目", industry="P5",
                 level=Level.MUNICIPAL, steward=self.users["steward"]),
            Plan(enterprise=aohong, area=data.ZONE_DEV, amount=52_000,
                 name="奥鸿药业生物制剂扩产项目", industry="P5", level=Level.MUNICIPAL),
        ]  # fmt: skip
        taken = {jiutai.pk, aohong.pk}
        pharma = [e for e in participants if e.industry_id and e.industry.code == "P5"]  # type: ignore[union-attr]
        forum_areas = dict.fromkeys(data.FORUM_AREA_SIGNINGS, 0)
        for plan in plans:
            forum_areas[plan.area] += 1
        slots = []
        for area, count in data.FORUM_AREA_SIGNINGS.items():
            slots += [area] * (count - forum_areas[area])
        for area in slots:
            pool = [e for e in pharma if e.pk not in taken] or [
                e for e in participants if e.pk not in taken
            ]
            enterprise = self.rng.choice(pool)
            taken.add(enterprise.pk)
            plans.append(Plan(enterprise=enterprise, area=area, amount=0))
        self._amounts(plans, data.FORUM_SIGNINGS_WAN, unit=100)
        self.rng.choice(plans[2:]).path = self._withdrawn_path(data.FORUM_DATE)
        signed = [self._planned_project(plan, data.FORUM_DATE) for plan in plans]
        # On the list, not signed on the day: the investor's board had not yet approved.
        unsigned = []
        for _ in range(data.FORUM_NOT_SIGNED):
            enterprise = self.rng.choice([e for e in pharma if e.pk not in taken])
            taken.add(enterprise.pk)
            plan = Plan(
                enterprise, data.ZONE_HITECH, self._one_amount(enterprise, data.ZONE_HITECH)
            )
            unsigned.append(self._planned_project(plan, data.FORUM_DATE, signs=False))
        # Who came uninvited, and who was invited but is not among the participants.
        locals_ = [e for e in generated if e.home_city == "锦州市" and e.pk not in taken]
        walk_ins = self.rng.sample(locals_, data.FORUM_WALK_INS)
        here = {e.pk for e in participants}
        elsewhere = [e for e in at_conference if e.pk not in here and e.home_city in cities]
        absent = self.rng.sample(elsewhere, data.FORUM_DECLINED + data.FORUM_NO_SHOWS)
        run_the_forum(
            event,
            guests=[e for e in participants if e not in walk_ins],
            walk_ins=walk_ins,
            declined=absent[: data.FORUM_DECLINED],
            no_shows=absent[data.FORUM_DECLINED :],
            signings=[
                (p, [plan.enterprise, *plan.partners])
                for p, plan in zip(signed, plans, strict=True)
            ],
            not_signed=unsigned,
            rng=random.Random(self.seed + 29),
        )
        for plan, project in zip(plans, signed, strict=True):
            self._after_signing(plan, project)
        for project in unsigned:
            self.projects_of[project.enterprise_id] = (
                self.projects_of.get(project.enterprise_id, 0) + 1
            )
        return event

    # -- PetroChina's needle coke unit: signed before the conference, started the day after
    def _needle_coke(self) -> None:
        plan = Plan(
            enterprise=self.enterprises[data.PETROCHINA.name], area="210702", amount=298_000,
            name="中国石油锦州石化40万吨/年针状焦项目", industry="P1", level=Level.PROVINCIAL,
            steward=self.users["steward"],
            content="新建40万吨/年针状焦装置及配套煅烧、储运和公用工程设施，"
            "产品供锂电池负极材料和超高功率石墨电极。",
            path=[
                (Stage.REGISTERED, dt.date(2022, 12, 20)),
                (Stage.APPROVALS, dt.date(2023, 1, 12)),
                (Stage.CONSTRUCTION, dt.date(2023, 3, 24)),
            ],
        )  # fmt: skip
        self._signed_project(plan, dt.date(2022, 11, 18), None)

    # -- signings outside the two events ----------------------------------------------
    def _signed_elsewhere(self, count: int) -> None:
        start, end = dt.date(2022, 3, 1), self.as_of - dt.timedelta(days=15)
        # Reuse investors already in the ledger, except those whose projects are named.
        named = {data.PETROCHINA.name, data.SPIC.name, data.CATL.name}
        known = [e for e in self.enterprises.values() if e.name not in named]
        for _ in range(count):
            area = self._area()
            if self.rng.random() < 0.45:
                enterprise = self._pick(known, area)
            else:
                industry = self.rng.choice(data.AREA_INDUSTRIES[area])
                city = (
                    "锦州市" if self.rng.random() < 0.6 else self.rng.choice(data.CONFERENCE_CITIES)
                )
                enterprise = self._enterprise(
                    self._generated_firm(city, industry, area if city == "锦州市" else "")
                )
            signed_on = start + dt.timedelta(days=self.rng.randint(0, (end - start).days))
            amount = self._one_amount(enterprise, area)
            self._signed_project(Plan(enterprise, area, amount), signed_on, None)
        self._expansion()

    def _one_amount(self, enterprise: Enterprise, area: str) -> int:
        low, high = data.AMOUNT_RANGES[self._industry_for(enterprise, area)]
        return max(100, round(low * (high / low) ** self.rng.random() / 100) * 100)

    def _expansion(self) -> None:
        """宁德时代 enlarges its conference project: only the increase counts, outside events."""
        project = Project.objects.get(name="宁德时代锦州锂电池负极材料一体化项目")
        signing = project.signings.get()
        event_services.record_signing(
            None, project=project, government=signing.government,
            signed_on=dt.date(2024, 9, 12), amount_wan=signing.amount_wan + 180_000,
            note="二期扩产追加投资",
        )  # fmt: skip
        project_services.update_project(
            project, None, total_investment_wan=signing.amount_wan + 180_000
        )

    # -- leads and negotiations -------------------------------------------------------
    def _pipeline(self, count: int) -> None:
        """Projects not yet signed, many followed up from the two events."""
        start = self.as_of - dt.timedelta(days=540)
        unsigned = [e for e in self.enterprises.values() if e.pk not in self.projects_of]
        for i in range(count):
            area = self._area()
            if unsigned and self.rng.random() < 0.7:
                enterprise = self._pick(unsigned, area)
                unsigned.remove(enterprise)
            else:
                industry = self.rng.choice(data.AREA_INDUSTRIES[area])
                enterprise = self._enterprise(
                    self._generated_firm(self.rng.choice(list(data.CONFERENCE_CITY_WEIGHTS)),
                                         industry)
                )  # fmt: skip
            industry = self._industry_for(enterprise, area)
            amount = self._one_amount(enterprise, area)
            lead_on = start + dt.timedelta(days=self.rng.randint(0, 520))
            level = (
                Level.MUNICIPAL if amount >= 100_000 and self.rng.random() < 0.3 else Level.GENERAL
            )
            project = project_services.create_project(
                None, stage=Stage.LEAD, stage_on=lead_on,
                name=self._project_name(enterprise, industry, area), enterprise=enterprise,
                region=self.areas[area], industry=self.industries.get(industry), level=level,
                total_investment_wan=Decimal(amount), plan_year=self.as_of.year,
                construction_content=data.CONSTRUCTION_CONTENT[industry],
                steward=self._steward(), leader=self._leader(level),
            )  # fmt: skip
            if i % 5 < 2:
                talks = lead_on + dt.timedelta(days=self.rng.randint(10, 120))
                project_services.transition(
                    project, Stage.NEGOTIATING, None, on=min(talks, self.as_of),
                    evidence="双方就投资协议条款进行洽谈",
                )  # fmt: skip
            self.projects_of[enterprise.pk] = self.projects_of.get(enterprise.pk, 0) + 1
