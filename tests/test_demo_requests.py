"""The demo's stewards and its year of requests: realistic, consistent, and live for the sweep."""

import datetime as dt

import pytest
from django.db import transaction
from django.db.models import Count, Q
from django.test import override_settings
from django.utils import timezone

from guanjia.accounts.models import Department, Role, User
from guanjia.demo import data
from guanjia.demo.build import load_demo
from guanjia.enterprises.models import Enterprise
from guanjia.projects.models import Project
from guanjia.requests import access, sla
from guanjia.requests.escalation import sweep
from guanjia.requests.models import (
    INTERNAL_EVENTS,
    OPEN_STATUSES,
    Escalation,
    EventKind,
    RequestEvent,
    ServiceRequest,
    Status,
)
from guanjia.worktime.clock import WorkCalendar

pytestmark = pytest.mark.django_db

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """Load the demo once for this module, in a transaction rolled back after its last test."""
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=FAST_HASHERS),
        transaction.atomic(),
    ):
        yield load_demo()
        transaction.set_rollback(True)


def test_the_city_has_687_stewards_across_its_nine_areas(demo):
    stewards = User.objects.filter(role=Role.STEWARD)
    assert stewards.count() == 687
    per_area = dict(
        stewards.filter(region__code__in=data.AREAS)
        .values_list("region__code")
        .annotate(n=Count("pk"))
    )
    assert set(per_area) == set(data.AREAS)
    assert min(per_area.values()) >= 30
    assert not stewards.filter(username__startswith="gj_steward_").exclude(
        region__code__in=data.AREAS
    )
    assert not stewards.filter(username__startswith="gj_steward_", password__startswith="pbkdf2")


def test_every_area_has_someone_to_escalate_to(demo):
    for code in data.AREAS:
        assert User.objects.filter(role=Role.AREA_OFFICIAL, region__code=code).exists(), code
        assert User.objects.filter(role=Role.LEADER, region__code=code).exists(), code
    assert User.objects.filter(role=Role.LEADER, region__code=data.CITY).exists()
    # An unclaimed department queue is escalated to the department's head (负责人).
    for department in Department.objects.filter(name__in=data.DEPARTMENTS):
        assert department.head is not None and department.head.department == department


def test_every_enterprise_and_project_has_a_steward_of_its_area(demo):
    # Every enterprise in the city or with a project has its steward; an investor still courted
    # from elsewhere (客商库: no area, no project yet) is the lead owner's, not a steward's.
    unserved = Enterprise.objects.filter(steward__isnull=True)
    assert not unserved.exclude(region__isnull=True, projects__isnull=True).exists()
    assert unserved.exists() and not unserved.filter(leads__isnull=True).exists()
    assert not Project.objects.filter(steward__isnull=True).exists()
    # Investors from elsewhere got a steward of the area their project is in.
    given = Enterprise.objects.filter(steward__username__startswith="gj_steward_")
    assert given.count() > 100
    for enterprise in given.select_related("steward").prefetch_related("projects"):
        areas = {enterprise.region_id, *(p.region_id for p in enterprise.projects.all())}
        assert enterprise.steward.region_id in areas, enterprise


def test_a_year_of_requests_ending_now(demo):
    now = timezone.now()
    requests = ServiceRequest.objects.all()
    assert 2400 <= requests.count() <= 2600
    first = requests.order_by("submitted_at").first().submitted_at
    last = requests.order_by("-submitted_at").first().submitted_at
    assert now - dt.timedelta(days=366) <= first <= now - dt.timedelta(days=340)
    assert now - dt.timedelta(days=7) <= last <= now
    numbers = list(requests.values_list("number", flat=True))
    assert len(set(numbers)) == len(numbers)
    assert all(n.startswith("ZT20") and len(n) == 13 for n in numbers)
    assert requests.values("category").distinct().count() >= 10
    assert not RequestEvent.objects.filter(at__gt=now).exists()


def test_most_requests_are_answered_on_time_and_most_enterprises_are_satisfied(demo):
    answered = ServiceRequest.objects.filter(on_time__isnull=False)
    rate = answered.filter(on_time=True).count() / answered.count()
    assert 0.80 <= rate <= 0.95
    rated = ServiceRequest.objects.exclude(rating="")
    shares = {r: rated.filter(rating=r).count() / rated.count() for r in ("satisfied", "basically")}
    assert 0.7 <= shares["satisfied"] <= 0.9
    assert 0.08 <= shares["basically"] <= 0.25


def test_late_answers_were_escalated_with_their_recipients(demo):
    late = ServiceRequest.objects.filter(on_time=False)
    escalated = Escalation.objects.filter(request__in=late, level__gte=2)
    assert escalated.exists()
    escalation = escalated.first()
    assert escalation.recipients.filter(role=Role.LEADER).exists()
    assert escalation.request.escalation_level >= 2
    event = escalation.request.events.get(kind=EventKind.ESCALATE, at=escalation.at)
    assert event.internal and event.data["mark"] == escalation.mark


def test_an_unsatisfied_enterprise_got_its_request_reopened_closed_and_revisited(demo):
    reopened = ServiceRequest.objects.filter(
        reopen_count__gt=0, status=Status.CLOSED, revisited_at__isnull=False
    )
    assert reopened.exists()
    sr = reopened.first()
    assert sr.rating == "unsatisfied" and not sr.revisit_required
    kinds = list(sr.events.values_list("kind", flat=True))
    assert kinds.index("reopen") < kinds.index("revisit")
    assert kinds.count("reply") == 2


def test_forty_are_open_in_every_open_status(demo):
    open_ = ServiceRequest.objects.filter(status__in=OPEN_STATUSES)
    assert 30 <= open_.count() <= 50
    assert set(open_.values_list("status", flat=True)) == set(OPEN_STATUSES)


def test_timelines_follow_each_status_and_hide_internal_entries(demo):
    statuses = dict(ServiceRequest.objects.values_list("pk", "status"))
    last: dict[int, str] = {}
    for request_id, kind, before, after, internal in RequestEvent.objects.order_by(
        "request_id", "at", "pk"
    ).values_list("request_id", "kind", "from_status", "to_status", "internal"):
        if kind != EventKind.SUBMIT:
            assert before == last[request_id], (request_id, kind)
        assert internal == (kind in INTERNAL_EVENTS)
        last[request_id] = after
    assert last == statuses


def test_open_requests_carry_the_deadlines_the_clock_gives(demo):
    cal, now = WorkCalendar.load(), timezone.now()
    for sr in ServiceRequest.objects.filter(status__in=OPEN_STATUSES):
        stored = (sr.due_at, sr.next_mark, sr.next_mark_at, sr.sign_due_at, sr.resolve_due_at)
        sla.reschedule(sr, cal, now, done=set(sr.escalations.values_list("key", flat=True)))
        assert stored == (
            sr.due_at,
            sr.next_mark,
            sr.next_mark_at,
            sr.sign_due_at,
            sr.resolve_due_at,
        ), sr.number


def test_the_first_sweep_escalates_the_overdue_ones_and_a_second_does_nothing(demo):
    now = timezone.now()
    overdue = list(
        ServiceRequest.objects.filter(
            status__in=OPEN_STATUSES, next_mark_at__lte=now, next_mark__endswith="100"
        )
    )
    assert 2 <= len(overdue) <= 10
    assert sweep(at=now) >= len(overdue)
    for sr in overdue:
        sr.refresh_from_db()
        assert sr.escalation_level >= 1 and sr.supervised
        assert sr.escalations.filter(level__gte=1, at=now).exists()
    assert sweep(at=now) == 0


def test_the_demo_enterprise_sees_only_its_own_requests_in_several_states(demo):
    contact = User.objects.get(username="enterprise")
    mine = access.requests_for(contact)
    assert 5 <= mine.count() < ServiceRequest.objects.count()
    assert set(mine.values_list("enterprise", flat=True)) == {contact.enterprise_id}
    assert len(set(mine.values_list("status", flat=True))) >= 3
    assert mine.filter(status__in=OPEN_STATUSES).exists()


def test_the_demo_steward_has_a_short_open_queue(demo):
    steward = User.objects.get(username="steward")
    queue = ServiceRequest.objects.filter(
        Q(steward=steward) | Q(assignee=steward), status__in=OPEN_STATUSES
    )
    assert 3 <= queue.count() <= 10
    assert queue.filter(status=Status.DISPATCHED, assignee=steward).exists()


def test_687_stewards_and_6000_plus_services_are_a_query(demo):
    """The direct line's headline, as the city reports it, computed from the records."""
    from guanjia.regions.models import Region
    from guanjia.servicerecords.figures import area_figures, totals

    today = timezone.localdate()
    city = Region.objects.get(code=data.CITY)
    year = totals(today - dt.timedelta(days=365), today, city)
    assert year.active_stewards == 687
    assert year.services > 6000
    assert 0.8 < (year.on_time_rate or 0) < 0.95
    areas = area_figures(city, today - dt.timedelta(days=365), today)
    assert len([a for a in areas if not a.direct]) == 9
    assert all(a.services for a in areas if not a.direct)


def test_a_stalled_project_shows_what_holds_it_and_starts_once_land_is_delivered(demo):
    """Issue 4's walk: open a stalled project, see it wait on land, deliver, move on."""
    from guanjia.guarantees.models import Guarantee
    from guanjia.guarantees.services import set_guarantee
    from guanjia.projects import holding
    from guanjia.projects.services import TransitionError, transition
    from guanjia.projects.stages import Stage

    waiting = Guarantee.objects.filter(
        kind="land", status="transferred", project__stage__in=[Stage.REGISTERED, Stage.APPROVALS]
    ).select_related("project")
    assert waiting.exists()
    project = waiting.first().project
    from guanjia.guarantees.models import Kind

    assert any(str(Kind.LAND.label) in r for r in holding.reasons(project))
    admin = User.objects.get(username="admin")
    with pytest.raises(TransitionError):
        transition(project, Stage.CONSTRUCTION, admin)
    for kind in ("land", "environment", "energy"):
        final = {"land": "delivered", "environment": "approved", "energy": "allocated"}[kind]
        set_guarantee(admin, project, kind, status=final)
    transition(project, Stage.CONSTRUCTION, admin)
    project.refresh_from_db()
    assert project.stage == Stage.CONSTRUCTION


def test_an_approval_accepted_with_a_gap_waits_for_its_promised_date(demo):
    from guanjia.approvals.models import ApprovalItem
    from guanjia.approvals.models import Status as ApprovalStatus

    item = ApprovalItem.objects.get(status=ApprovalStatus.TOLERATED)
    assert item.promised_on > timezone.localdate() and item.next_check_at is not None


def test_major_projects_have_task_force_meetings_and_some_late_items(demo):
    from guanjia.taskforces.models import ActionItem, Meeting

    assert Meeting.objects.count() >= 10
    assert ActionItem.objects.filter(done_on__isnull=True, due_on__lt=timezone.localdate()).exists()


def test_policies_reach_exactly_the_enterprises_they_fit_with_the_reason(demo):
    from guanjia.policies import rules
    from guanjia.policies.models import Policy, PolicyMatch
    from guanjia.policies.services import reasons

    policy = Policy.objects.get(title="生物医药产业创新发展扶持办法")
    matched = set(
        PolicyMatch.objects.filter(policy=policy).values_list(
            "enterprise__industry__code", flat=True
        )
    )
    assert matched == {"P5"}
    match = PolicyMatch.objects.filter(policy=policy).first()
    assert reasons(match)
    automatic = Policy.objects.get(automatic=True)
    assert PolicyMatch.objects.filter(policy=automatic, status="granted").exists()
    assert rules.validate(policy.rule) is None
