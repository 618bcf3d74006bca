"""The Jinzhou demo: DOMAIN.md's figures come out of records, the accounts work, reruns are no-ops."""

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from guanjia.accounts.models import Role, User
from guanjia.core.models import AuditEntry
from guanjia.demo import data
from guanjia.enterprises import creditcode
from guanjia.enterprises.models import Contact, Enterprise
from guanjia.events.models import Event, Signing
from guanjia.projects.models import Level, Project, StageChange
from guanjia.projects.stages import LINE, Stage

pytestmark = pytest.mark.django_db

# Hashing with PBKDF2 costs most of a second per password; the demo's logic does not change.
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="module")
def demo_output(django_db_setup, django_db_blocker):
    """Load the demo once for this module, in a transaction rolled back after its last test."""
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=FAST_HASHERS),
        transaction.atomic(),
    ):
        out = StringIO()
        call_command("load_demo", stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


@pytest.fixture
def figures(demo_output):
    return {e.name: e for e in Event.objects.with_figures()}


def test_the_conference_has_129_enterprises_from_24_cities_and_44_signings_worth_612_yi(figures):
    conference = figures["锦州市央地合作对接会"]
    assert conference.date == dt.date(2023, 3, 23)
    assert conference.organiser == "锦州市人民政府"
    assert conference.enterprise_count == 129
    assert conference.city_count == 24
    assert conference.signing_count == 44
    assert conference.signed_investment_wan == Decimal("6120000")


def test_the_conference_cities_include_jinzhou_and_the_home_of_catl(demo_output):
    conference = Event.objects.get(name=data.CONFERENCE_NAME)
    cities = set(conference.participants.values_list("home_city", flat=True))
    assert cities == set(data.CONFERENCE_CITIES)
    assert {"锦州市", "宁德市", "北京市"} <= cities


def test_the_forum_has_127_enterprises_and_34_signings_worth_105_16_yi(figures):
    forum = figures["锦州市医药健康产业发展论坛"]
    assert forum.date == dt.date(2023, 3, 29)
    assert forum.enterprise_count == 127
    assert forum.signing_count == 34
    assert forum.signed_investment_wan == Decimal("1051600")


def test_the_forum_is_mostly_biopharma(demo_output):
    projects = Project.objects.filter(signings__event__name=data.FORUM_NAME)
    biopharma = projects.filter(industry__name="生物医药").count()
    assert biopharma >= 0.7 * projects.count()


def test_all_nine_areas_signed_at_the_conference(demo_output):
    governments = set(
        Signing.objects.filter(event__name=data.CONFERENCE_NAME).values_list(
            "government__code", flat=True
        )
    )
    assert governments == set(data.AREAS)
    assert len(governments) == 9


def test_each_event_signing_is_the_first_signing_of_its_own_project(demo_output):
    signings = Signing.objects.filter(event__isnull=False)
    assert signings.count() == 44 + 34
    assert not signings.filter(is_first=False).exists()
    assert signings.values("project").distinct().count() == 78


def test_the_heishan_wind_farm_is_in_operation_with_its_first_turbines_on_the_grid(demo_output):
    project = Project.objects.select_related("region", "steward", "leader").get(
        name="国家电投黑山400MW风电项目"
    )
    assert project.stage == Stage.OPERATION
    assert project.operation_on is not None
    assert project.region.name == "黑山县"
    assert project.level == Level.PROVINCIAL
    assert project.enterprise.name == "国家电力投资集团东北电力有限公司"
    assert project.steward.username == "steward"
    assert project.leader.username == "leader"
    signing = project.signings.get()
    assert signing.event.name == data.CONFERENCE_NAME
    assert signing.government == project.region
    change = StageChange.objects.get(project=project, to_stage=Stage.OPERATION)
    assert change.evidence == "首批机组并网发电"


def test_the_needle_coke_unit_is_under_construction_since_2023_03_24(demo_output):
    project = Project.objects.get(name="中国石油锦州石化40万吨/年针状焦项目")
    assert project.stage == Stage.CONSTRUCTION
    assert project.construction_on == dt.date(2023, 3, 24)
    assert project.level == Level.PROVINCIAL
    assert project.enterprise.name == "中国石油锦州石化分公司"
    assert project.signings.count() == 1
    assert project.steward is not None and project.leader is not None
    # The city gives provincial key builds four years: the flagship is not on a stall list.
    assert project.stall_kinds(dt.date(2026, 11, 28)) == []


def test_every_enterprise_has_a_valid_credit_code(demo_output):
    codes = list(Enterprise.objects.values_list("credit_code", flat=True))
    assert len(codes) > 250
    assert all(code and creditcode.problems(code) == [] for code in codes)


def test_the_enterprises_the_city_names_are_there_with_a_contact(demo_output):
    names = [
        "中国石油锦州石化分公司", "国家电力投资集团东北电力有限公司",
        "宁德时代新能源科技股份有限公司", "锦州龙宇新材料有限公司", "锦州万得集团有限公司",
        "锦州神工集团有限公司", "锦州凯美能源有限公司", "锦州阳光能源有限公司",
        "锦州辽晶电子科技股份有限公司", "锦州奥鸿药业有限责任公司", "锦州九泰药业有限责任公司",
    ]  # fmt: skip
    found = {e.name: e for e in Enterprise.objects.filter(name__in=names)}
    assert set(found) == set(names)
    assert found["宁德时代新能源科技股份有限公司"].home_city == "宁德市"
    assert found["中国石油锦州石化分公司"].ownership == "central_soe_sub"
    for enterprise in found.values():
        contact = Contact.objects.get(enterprise=enterprise, is_primary=True)
        assert len(contact.phone) == 11 and contact.phone.startswith("1")
        assert contact.masked_phone.count("*") == 4


ROLES = [
    ("admin", Role.CITY_ADMIN, "210700", "", ""),
    ("official", Role.AREA_OFFICIAL, "210781", "", ""),
    ("steward", Role.STEWARD, "210700", "", ""),
    ("handler", Role.HANDLER, "210700", "自然资源局", ""),
    ("leader", Role.LEADER, "210700", "", ""),
    ("enterprise", Role.ENTERPRISE, None, "", "锦州九泰药业有限责任公司"),
]


@pytest.mark.parametrize(("username", "role", "region", "department", "enterprise"), ROLES)
def test_each_demo_account_has_its_role_and_scope(
    demo_output, username, role, region, department, enterprise
):
    user = User.objects.get(username=username)
    assert user.role == role
    assert (user.region.code if user.region else None) == region
    assert (user.department.name if user.department else "") == department
    assert (user.enterprise.name if user.enterprise else "") == enterprise
    assert not user.is_staff and not user.is_superuser


def test_each_demo_account_logs_in_with_the_printed_password(demo_output, client):
    for account in data.ACCOUNTS[:6]:
        assert account.password in demo_output
        assert client.login(username=account.username, password=account.password), account
        client.logout()


def test_the_printed_table_lists_every_account_and_says_the_passwords_are_demo_only(
    demo_output,
):
    for account in data.ACCOUNTS:
        assert account.username in demo_output
    assert "demo only" in demo_output or "演示" in demo_output


def test_the_demo_steward_and_leader_have_plenty_to_do(demo_output):
    steward, leader = User.objects.get(username="steward"), User.objects.get(username="leader")
    assert Project.objects.filter(steward=steward).count() >= 50
    assert Enterprise.objects.filter(steward=steward).count() >= 20
    provincial = Project.objects.filter(level=Level.PROVINCIAL)
    assert provincial.exists()
    assert not provincial.exclude(leader=leader).exists()
    assert User.objects.filter(role=Role.STEWARD).count() > 5


def test_the_ledger_is_lively_with_every_stage_and_some_stalled(demo_output):
    assert 250 <= Project.objects.count() <= 400
    stages = set(Project.objects.values_list("stage", flat=True))
    assert stages == set(Stage.values)
    withdrawn = Project.objects.filter(stage=Stage.WITHDRAWN)
    assert 1 <= withdrawn.count() <= 3
    assert all(p.withdrawn_reason for p in withdrawn)
    stalled = Project.objects.stalled(dt.date(2026, 11, 28)).count()
    assert 0 < stalled < Project.objects.count() // 4
    levels = set(Project.objects.values_list("level", flat=True))
    assert levels == set(Level.values)


def test_stage_dates_follow_the_lifecycle_after_signing(demo_output):
    for project in Project.objects.exclude(signed_on=None):
        dates = [project.stage_date(s) for s in LINE[LINE.index(Stage.SIGNED) :]]
        reached = [d for d in dates if d is not None]
        assert reached == sorted(reached), project
        assert reached[-1] <= data.AS_OF, project
        assert project.stage_date(project.stage) is not None, project


def test_an_expansion_counts_only_its_increase(demo_output):
    project = Project.objects.get(name="宁德时代锦州锂电池负极材料一体化项目")
    first, expansion = project.signings.order_by("signed_on")
    assert first.is_first and first.event.name == data.CONFERENCE_NAME
    assert not expansion.is_first and expansion.event is None
    assert expansion.counted_amount_wan == expansion.amount_wan - first.amount_wan


def test_loading_again_changes_nothing(demo_output):
    from guanjia.events.models import Attendee, Guest, SigningListRow
    from guanjia.leads.models import Lead, NegotiationRecord, Trip, Visit

    def counts():
        return [
            m.objects.count()
            for m in (
                Project, Enterprise, Signing, Event, Contact, User, StageChange, AuditEntry,
                Guest, Attendee, SigningListRow, Lead, NegotiationRecord, Trip, Visit,
            )
        ]  # fmt: skip

    before = counts()
    out = StringIO()
    with override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        call_command("load_demo", stdout=out)
    assert counts() == before
    assert "admin" in out.getvalue()


def test_the_demo_publishes_a_handful_of_key_projects_and_policies(demo_output, client):
    from guanjia.policies.models import Policy

    public = Project.objects.filter(public=True)
    assert 3 <= public.count() <= 10
    assert not public.filter(stage__in=(Stage.LEAD, Stage.NEGOTIATING, Stage.WITHDRAWN)).exists()
    assert 1 <= Policy.objects.filter(public=True).count() < Policy.objects.count()
    html = client.get("/invest/projects/").content.decode()
    assert all(p.name in html for p in public)
    from guanjia.parks.models import Plot

    park = Plot.objects.filter(is_demo=True, status="available").first().park
    assert "演示数据" in client.get(f"/invest/parks/{park.pk}/").content.decode()


def test_reset_passwords_restores_a_changed_demo_password(demo_output, client):
    admin = User.objects.get(username="admin")
    admin.set_password("something-else-entirely")
    admin.save()
    with override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        call_command("load_demo", stdout=StringIO())
        assert not client.login(username="admin", password="guanjia-admin-2023")
        call_command("load_demo", "--reset-passwords", stdout=StringIO())
        assert client.login(username="admin", password="guanjia-admin-2023")


def test_the_conference_was_run_from_a_guest_list_and_a_signing_list(figures):
    """The 2023-03-23 conference's day (guanjia/demo/eventrun_demo.py): 129 guests from 24
    cities checked in, 44 rows on its signing list all signed, and the figures unchanged."""
    from guanjia.events.services import guest_figures, row_figures

    conference = figures[data.CONFERENCE_NAME]
    guests = guest_figures(conference)
    assert (guests["invited"], guests["checked_in"], guests["cities"]) == (129, 129, 24)
    rows = row_figures(conference)
    assert (rows["rows"], rows["signed"], rows["planned_wan"]) == (44, 44, Decimal("6120000"))
    assert (conference.enterprise_count, conference.city_count) == (129, 24)


def test_the_leads_workbench_has_leads_at_every_stage_with_records(demo_output):
    from guanjia.leads.models import Lead, NegotiationRecord, Status

    assert Lead.objects.count() == 300 + 1  # and the one met on the road (outings_demo)
    assert set(Lead.objects.values_list("status", flat=True)) == set(Status.values)
    assert NegotiationRecord.objects.count() > 300
    signed = Lead.objects.filter(status=Status.SIGNED)
    assert signed.filter(project__isnull=False).count() == signed.count()  # each is its project


def test_the_conference_follow_through_comes_from_its_projects_stages(demo_output):
    from guanjia.events import followthrough

    conference = Event.objects.get(name=data.CONFERENCE_NAME)
    signings = followthrough.signed().filter(event=conference)
    rates = followthrough.rates(signings)
    assert rates["signed"] == 44
    assert 0 < rates["started"] <= rates["registered"] < 44
    assert rates["funds_rate"] is not None and 0 < rates["funds_rate"] <= 1
    series = followthrough.over_time(signings, conference.date, data.AS_OF)
    started = [point["started"] for point in series]
    assert started == sorted(started) and started[-1] > 0


def test_the_forum_was_run_from_its_guest_list_127_came_from_25_cities(figures):
    """The 2023-03-29 forum's day (eventrun_demo.run_the_forum): invitations answered, the
    guests who came checked in that morning, two walk-ins added at the desk; the headline
    figures count exactly those who came."""
    from guanjia.core.models import StatusChange
    from guanjia.events.models import Attendee, EventStatus, GuestStatus
    from guanjia.events.services import guest_figures

    forum = figures[data.FORUM_NAME]
    assert (forum.enterprise_count, forum.city_count) == (127, 25)
    assert len(data.FORUM_CITIES) == 25
    guests = guest_figures(forum)
    absent = data.FORUM_DECLINED + data.FORUM_NO_SHOWS
    assert guests == {
        "invited": 127 + absent,  # every guest on the list, the walk-ins included
        "accepted": 127 + data.FORUM_NO_SHOWS,  # a checked-in guest counts as accepted
        "declined": data.FORUM_DECLINED,
        "checked_in": 127,
        "walk_ins": data.FORUM_WALK_INS,
        "cities": 25,
        "cities_present": 25,
    }
    came = forum.guests.filter(status=GuestStatus.CHECKED_IN)
    assert set(came.values_list("enterprise", flat=True)) == set(
        forum.participants.values_list("pk", flat=True)
    )
    assert set(came.values_list("city", flat=True)) == set(data.FORUM_CITIES)
    assert forum.guests.filter(status=GuestStatus.ACCEPTED).count() == data.FORUM_NO_SHOWS
    assert not forum.guests.filter(status=GuestStatus.INVITED).exists()
    for guest in came:
        assert timezone.localtime(guest.checked_in_at).date() == data.FORUM_DATE, guest
    assert not forum.guests.filter(attendees=None).exists()
    # The first person an enterprise sends is its contact, entered once with the enterprise.
    guest = forum.guests.select_related("enterprise").get(enterprise__name=data.JIUTAI.name)
    contact = Contact.objects.get(enterprise=guest.enterprise, is_primary=True)
    first = Attendee.objects.filter(guest=guest).order_by("pk").first()
    assert (first.name, first.phone) == (contact.name, contact.phone)
    assert forum.status == EventStatus.FINISHED
    steps = StatusChange.objects.filter(object_id=str(forum.pk), content_type__model="event")
    assert list(steps.order_by("pk").values_list("step", flat=True)) == ["start", "finish"]


def test_the_forum_signing_list_was_confirmed_at_the_ceremony(figures):
    """34 rows confirmed 已签 (each recorded its signing: 105.16亿元, area by area as the
    seed says), one left 未签; the list is in the order of the signing governments."""
    from collections import Counter

    from guanjia.events.models import RowStatus, SigningListRow
    from guanjia.events.services import row_figures

    forum = figures[data.FORUM_NAME]
    assert (forum.signing_count, forum.signed_investment_wan) == (34, Decimal("1051600"))
    rows = row_figures(forum)
    assert (rows["rows"], rows["signed"], rows["not_signed"], rows["open"]) == (
        34 + data.FORUM_NOT_SIGNED,
        34,
        data.FORUM_NOT_SIGNED,
        0,
    )
    listed = list(
        SigningListRow.objects.filter(event=forum)
        .select_related("signing__event", "government", "project")
        .order_by("position")
    )
    assert [r.position for r in listed] == list(range(1, len(listed) + 1))
    paths = [(r.government.path, r.government.sort_order) for r in listed]
    assert paths == sorted(paths)
    signed = [r for r in listed if r.status == RowStatus.SIGNED]
    assert sum(r.amount_wan for r in signed) == Decimal("1051600")
    assert Counter(r.government.code for r in signed) == Counter(data.FORUM_AREA_SIGNINGS)
    for row in signed:
        assert row.signing.event == forum and row.signing.signed_on == data.FORUM_DATE, row
        assert row.signing.is_first and row.signing.amount_wan == row.amount_wan, row
        assert row.signing.government == row.government, row
    (left,) = [r for r in listed if r.status == RowStatus.NOT_SIGNED]
    assert left.signing is None and left.project.stage == Stage.NEGOTIATING
    assert not left.project.signings.exists()


def test_the_api_lists_both_events_with_the_figures_the_city_reports(demo_output, client):
    from guanjia.accounts.models import ApiToken

    _, raw = ApiToken.issue(User.objects.get(username="admin"), name="tests")
    body = client.get("/api/v1/events", headers={"Authorization": f"Bearer {raw}"}).json()
    items = {item["name"]: item for item in body["items"]}
    for name, date, counts in [
        (data.CONFERENCE_NAME, "2023-03-23", (129, 24, 44, "6120000.0000")),
        (data.FORUM_NAME, "2023-03-29", (127, 25, 34, "1051600.0000")),
    ]:
        item = items[name]
        assert set(item) == {
            "id", "date", "name", "enterprise_count", "city_count", "signing_count",
            "signed_investment_wan",
        }  # fmt: skip
        assert item["date"] == date
        got = (item["enterprise_count"], item["city_count"], item["signing_count"])
        assert (*got, item["signed_investment_wan"]) == counts


def test_trips_out_are_meetings_on_demo_leads_and_one_found_a_lead_on_the_road(demo_output):
    """外出招商 (outings_demo): three trips, to Beijing, Shanghai and Shenzhen, each meeting a
    negotiation record on a lead; the trip under way until today met a new investor at a fair,
    whose lead was created there and then."""
    from guanjia.demo import outings_demo
    from guanjia.leads.models import Kind, Lead, Status, Trip

    trips = list(Trip.objects.order_by("start_on").prefetch_related("records__lead", "team"))
    assert [t.destinations for t in trips] == ["北京市", "上海市、苏州市", "深圳市、广州市"]
    today = timezone.localdate()
    assert trips[-1].end_on == today and trips[0].start_on < today - dt.timedelta(days=100)
    for trip, plan in zip(trips, outings_demo.TRIPS, strict=True):
        records = list(trip.records.all())
        assert len(records) >= plan.meetings, trip
        assert {r.kind for r in records} == {Kind.TRIP_OUT}
        assert all(trip.start_on <= r.date <= trip.end_on for r in records), trip
        assert trip.owner.username == plan.owner
        assert {u.username for u in trip.team.all()} == set(plan.people)
    road = Lead.objects.select_related("investor").get(
        investor__name=outings_demo.ROAD_INVESTOR["name"]
    )
    assert road.lead_on == today and road.status == Status.CONTACT
    assert road.investor.home_city == "深圳市" and road.investor.contact_source == "expo"
    (record,) = road.records.all()
    assert record.trip == trips[-1] and record.date == today
    assert road.next_follow_up_on == record.next_follow_up_on > today


def test_visits_received_are_delegations_whose_meetings_touch_leads(demo_output):
    """来访接待 (outings_demo): three investor delegations received in the areas; the leads
    met are the visit's leads touched, and the latest moved a lead to negotiation."""
    from guanjia.leads.models import Kind, Status, Visit

    visits = list(Visit.objects.order_by("date").prefetch_related("records", "leads", "investors"))
    assert len(visits) == 3
    assert [v.region.code for v in visits] == ["210781", data.ZONE_HITECH, data.ZONE_DEV]
    for visit in visits:
        records = list(visit.records.all())
        assert records and {r.kind for r in records} == {Kind.VISIT_RECEIVED}
        assert {r.date for r in records} == {visit.date}
        assert {r.lead_id for r in records} == {lead.pk for lead in visit.leads.all()}
        (investor,) = visit.investors.all()
        assert {lead.investor_id for lead in visit.leads.all()} == {investor.pk}
    latest = visits[-1]
    moved = [lead for lead in latest.leads.all() if lead.negotiating_on == latest.date]
    assert moved and all(lead.status == Status.NEGOTIATING for lead in moved)


def test_the_assessment_ranks_this_quarter_against_the_last(demo_output, client):
    """A quarter's ranking (招商考核) for teams, areas and people, with the moves since the
    quarter before; building it again sets no target twice."""
    from guanjia.regions.models import Region
    from guanjia.targets.demo import build_assessment
    from guanjia.targets.models import Target
    from guanjia.targets.ranking import indicators_with_targets, latest_period, ranking

    city = Region.objects.get(code="210700")
    period = latest_period(city)
    assert period is not None and period.quarter
    moves, ranked = [], set()
    for indicator in indicators_with_targets(period, city):
        for kind in ("area", "team", "person"):
            rows = ranking(indicator, period, kind, city)
            ranked |= {kind} if rows else set()
            moves += [r.move for r in rows if r.move]
    assert ranked == {"area", "team", "person"}
    assert len(moves) > 10  # ranks moved since the quarter before
    count = Target.objects.count()
    assert build_assessment() == 0 and Target.objects.count() == count
    client.force_login(User.objects.get(username="leader"))
    page = client.get("/targets/ranking/")
    assert page.status_code == 200 and "↑" in page.content.decode()
