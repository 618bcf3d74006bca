"""The step engine (`core.steps`): the table's checks, both sides of a step, the history row,
the audit entry, the notices and the on-commit work, the target assertion; the tables of
requests, approvals and project stages; and the database's own check of every status."""

import datetime as dt

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from guanjia.accounts.models import Role
from guanjia.api.requests import step_fields
from guanjia.approvals import services as approval_services
from guanjia.core import steps
from guanjia.core.models import AuditAction, AuditEntry, StatusChange
from guanjia.core.steps import Field, Step, StepTable, anyone, run, system_only
from guanjia.notifications.models import Notification
from guanjia.projects import services as project_services
from guanjia.projects.stages import NEXT, Stage
from guanjia.requests import services
from guanjia.requests.loading import load_categories
from guanjia.requests.models import Category, Escalation, RequestEvent, ServiceRequest, Status
from guanjia.testing.factories import ProjectFactory, UserFactory
from guanjia.worktime.clock import WorkCalendar


class Refused(ValidationError):
    """The toy domain's error."""


@pytest.fixture
def sr(users, linghai, own_enterprise):
    load_categories()
    steward = UserFactory(username="s_steps", role=Role.STEWARD, region=linghai)
    own_enterprise.steward = steward
    own_enterprise.save()
    project = ProjectFactory(enterprise=own_enterprise, region=linghai, steward=steward)
    request = services.submit(
        users["enterprise"],
        enterprise=own_enterprise,
        category=Category.objects.get(code="land"),
        title="用地手续",
        text="请协调。",
        project=project,
    )
    request.test_steward = steward  # type: ignore[attr-defined]
    return request


def is_steward(user, obj) -> bool:
    return user.role == Role.STEWARD


def toy_table(apply_take_in=None, seen=None) -> StepTable:
    """A table of two person steps and a system one over requests, with no hooks at all."""
    seen = seen if seen is not None else []

    def take_in(change, note=""):
        change.obj.status = Status.ACCEPTED
        change.note = note
        change.tell(lambda: seen.append(("told", StatusChange.objects.count())))
        change.on_commit(lambda: seen.append(("committed", change.obj.status)))

    def decide(change, accept=False):
        if accept:
            change.obj.status = Status.ACCEPTED

    return StepTable(
        model=ServiceRequest,
        error=Refused,
        refused=lambda obj, step: f"not from {obj.status}",
        steps=[
            Step(
                "take_in",
                "take in",
                frozenset({Status.SUBMITTED}),
                Status.ACCEPTED,
                apply_take_in or take_in,
                may=is_steward,
                fields=(Field("note"),),
            ),
            Step(
                "decide",
                "decide",
                frozenset({Status.SUBMITTED}),
                None,
                decide,
                outcomes=frozenset({Status.ACCEPTED}),
                may="tests.test_steps.is_steward",
            ),
            Step(
                "tick", "tick", frozenset({Status.SUBMITTED}), None, lambda c: None, may=system_only
            ),
        ],
    )


def test_a_table_refuses_a_status_its_model_does_not_have():
    with pytest.raises(AssertionError, match="unknown statuses"):
        StepTable(
            model=ServiceRequest,
            steps=[Step("x", "x", frozenset({"nowhere"}), Status.CLOSED, lambda c: None)],
        )


def test_a_step_from_the_wrong_status_raises_the_domains_error(sr):
    table = toy_table()
    ServiceRequest.objects.filter(pk=sr.pk).update(status=Status.CLOSED)
    with pytest.raises(Refused, match="not from closed"):
        run(table, "take_in", sr, sr.test_steward)
    assert not StatusChange.objects.exists()


def test_a_step_the_actor_may_not_take_is_denied_and_the_system_may(sr, users):
    table = toy_table()
    with pytest.raises(PermissionDenied):
        run(table, "take_in", sr, users["enterprise"])
    with pytest.raises(PermissionDenied):
        run(table, "tick", sr, sr.test_steward)  # only the system ticks
    assert [s.name for s in table.allowed(sr.test_steward, sr)] == ["take_in", "decide"]
    assert run(table, "tick", sr, None).obj.status == Status.SUBMITTED
    sr.test_steward.is_active = False
    assert table.allowed(sr.test_steward, sr) == []


def test_a_step_writes_the_history_row_and_the_audit_entry(sr):
    change = run(toy_table(), "take_in", sr, sr.test_steward, note="收到")
    sr.refresh_from_db()
    assert sr.status == Status.ACCEPTED and change.obj.status == Status.ACCEPTED
    row = StatusChange.objects.get()
    assert row == change.record
    assert (row.content_type, row.object_id, row.step) == (
        ContentType.objects.get_for_model(ServiceRequest),
        str(sr.pk),
        "take_in",
    )
    assert (row.from_status, row.to_status, row.actor, row.note) == (
        Status.SUBMITTED,
        Status.ACCEPTED,
        sr.test_steward,
        "收到",
    )
    entry = AuditEntry.objects.filter(action=AuditAction.TRANSITION).latest("pk")
    assert entry.before["status"] == Status.SUBMITTED and entry.after["status"] == Status.ACCEPTED
    assert entry.note == "收到" and entry.actor == sr.test_steward


def test_notices_follow_the_history_row_and_commit_work_waits_for_the_commit(
    sr, django_capture_on_commit_callbacks
):
    seen: list = []
    with django_capture_on_commit_callbacks(execute=True) as queued:
        run(toy_table(seen=seen), "take_in", sr, sr.test_steward)
        assert seen == [("told", 1)]  # told inside the transaction, after the history row
    assert len(queued) >= 1
    assert seen == [("told", 1), ("committed", Status.ACCEPTED)]


def test_a_failed_step_tells_nobody_and_leaves_nothing(sr, django_capture_on_commit_callbacks):
    seen: list = []

    def half_done(change, note=""):
        change.obj.status = Status.ACCEPTED
        change.tell(lambda: seen.append("told"))
        change.on_commit(lambda: seen.append("committed"))
        raise Refused("no")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Refused):
        run(toy_table(apply_take_in=half_done), "take_in", sr, sr.test_steward)
    sr.refresh_from_db()
    assert seen == [] and sr.status == Status.SUBMITTED and not StatusChange.objects.exists()


def test_a_step_that_leads_elsewhere_than_declared_is_a_bug(sr):
    def astray(change, note=""):
        change.obj.status = Status.CLOSED

    with pytest.raises(AssertionError, match="against its declaration"):
        run(toy_table(apply_take_in=astray), "take_in", sr, sr.test_steward)
    sr.refresh_from_db()
    assert sr.status == Status.SUBMITTED


def test_a_deciding_step_may_stay_or_lead_to_one_of_its_outcomes(sr):
    table = toy_table()
    assert run(table, "decide", sr, sr.test_steward).obj.status == Status.SUBMITTED
    assert run(table, "decide", sr, sr.test_steward, accept=True).obj.status == Status.ACCEPTED
    assert list(StatusChange.objects.values_list("to_status", flat=True)) == [
        Status.SUBMITTED,
        Status.ACCEPTED,
    ]


# --- the requests' table ---------------------------------------------------------------------


def test_every_request_step_is_one_entry_with_both_sides_a_label_and_its_fields():
    assert services.STEPS.names() == list(services.TRANSITIONS) == list(services.STEP_LABELS)
    for step in services.STEPS:
        assert step.sources and str(step.label) and callable(step.may)
        assert services.step_label(step.name) == str(step.label)
    # What the API takes, read from the table: a person or a department's queue (one of the
    # two, checked by the step), as before otherwise.
    assert step_fields("dispatch") == (set(), {"to_id", "department_id", "note"})
    assert step_fields("arbitrate") == ({"upheld"}, {"note", "to_id", "department_id"})
    assert step_fields("decide_extension") == ({"approve"}, {"extension_id", "note"})
    assert step_fields("withdraw") == ({"reason"}, set())
    internal = services.steps_with_internal_notes()
    assert "internal_note" in internal and not {"reply", "give_info"} & internal


def test_a_request_step_keeps_its_own_timeline_and_message(sr, users):
    services.accept(sr, sr.test_steward, "收到")
    event = RequestEvent.objects.filter(request=sr).latest("pk")
    assert (event.kind, event.from_status, event.to_status) == ("accept", "submitted", "accepted")
    assert not StatusChange.objects.exists()  # the request's timeline is its history
    with pytest.raises(services.RequestError, match="办结"):
        services.close(sr, sr.test_steward)
    with pytest.raises(PermissionDenied):
        services.sign(sr, users["enterprise"])


# --- approvals and project stages ----------------------------------------------------------


def test_the_approval_sweeps_steps_are_the_systems_alone():
    table = approval_services.STEPS
    system = {"remind", "suspend", "return"}
    assert system < set(table.names())
    for name in system:
        assert table[name].may is system_only


def test_every_stage_move_is_a_step_forward_along_the_map_or_back_as_a_correction():
    table = project_services.STEPS
    assert set(table.names()) == set(Stage.values)
    for stage in Stage.values:
        step = table[stage]
        assert step.target == stage and step.may is anyone
        for source, targets in NEXT.items():
            if stage in targets:
                assert source in step.sources


# --- the database's check ----------------------------------------------------------------------


def status_constraints() -> list[tuple[type[models.Model], models.CheckConstraint]]:
    return [
        (model, constraint)
        for model in apps.get_models()
        for constraint in model._meta.constraints
        if isinstance(constraint, models.CheckConstraint) and constraint.name.endswith("_valid")
    ]


def test_every_status_with_choices_is_checked_by_the_database(db):
    checked = {(m._meta.label, c.name) for m, c in status_constraints()}
    expected = {
        ("requests.ServiceRequest", "request_status_valid"),
        ("requests.Extension", "extension_status_valid"),
        ("approvals.ApprovalItem", "approval_item_status_valid"),
        ("guarantees.Guarantee", "guarantee_status_valid"),
        ("guarantees.GuaranteeOverride", "guarantee_override_stage_valid"),
        ("ingest.Proposal", "ingest_proposal_status_valid"),
        ("policies.PolicyMatch", "policymatch_status_valid"),
        ("reports.Report", "report_status_valid"),
        ("notifications.Notification", "notification_email_status_valid"),
        ("notifications.WebhookDelivery", "webhook_delivery_status_valid"),
        ("projects.Project", "project_stage_valid"),
        ("projects.StageChange", "stage_change_to_valid"),
        ("projects.StageChange", "stage_change_from_valid"),
        ("projects.Milestone", "milestone_stage_valid"),
    }
    assert expected <= checked
    with connection.cursor() as cursor:
        for model, constraint in status_constraints():
            found = connection.introspection.get_constraints(cursor, model._meta.db_table)
            assert constraint.name in found, (model, constraint.name)


def test_writing_a_bogus_status_is_refused_by_the_database(sr):
    with pytest.raises(IntegrityError), transaction.atomic():
        ServiceRequest.objects.filter(pk=sr.pk).update(status="bogus")
    with pytest.raises(IntegrityError), transaction.atomic():
        type(sr.project).objects.filter(pk=sr.project_id).update(stage="bogus")
    sr.refresh_from_db()
    assert sr.status == Status.SUBMITTED


def test_the_generic_history_is_read_in_the_admin_and_never_edited_there(client, sr, users):
    """core.StatusChange: city admins list it (by record kind, status, search); nobody adds,
    changes or deletes a row, and the other roles do not reach it."""
    from django.urls import reverse

    row = run(toy_table(), "take_in", sr, sr.test_steward, note="收到").record
    project = sr.project
    other = StatusChange.objects.create(
        content_type=ContentType.objects.get_for_model(project),
        object_id=str(project.pk),
        step="construction",
        from_status="registered",
        to_status="construction",
    )
    kind = ContentType.objects.get_for_model(ServiceRequest)
    listing = reverse("admin:core_statuschange_changelist")
    change = reverse("admin:core_statuschange_change", args=[row.pk])
    client.force_login(users["admin"])
    assert client.get(reverse("admin:index")).status_code == 200
    for query, expected in (
        ({}, [row, other]),
        ({"content_type__id__exact": kind.pk}, [row]),
        ({"content_type__id__exact": other.content_type_id}, [other]),
        ({"to_status": Status.ACCEPTED}, [row]),
        ({"step": "construction"}, [other]),
        ({"q": "take_in"}, [row]),
    ):
        page = client.get(listing, query)
        assert page.status_code == 200, query
        assert sorted(page.context["cl"].result_list, key=lambda r: r.pk) == expected, query
    assert client.get(change).status_code == 200  # read only
    assert client.post(change, {"step": "forged"}).status_code == 403
    assert client.get(reverse("admin:core_statuschange_add")).status_code == 403
    delete = reverse("admin:core_statuschange_delete", args=[row.pk])
    assert client.post(delete, {"post": "yes", "reason": "x"}).status_code == 403
    row.refresh_from_db()
    assert row.step == "take_in" and StatusChange.objects.count() == 2
    for role in ("official", "steward", "leader", "enterprise"):
        client.force_login(users[role])
        assert client.get(listing).status_code == 302, role  # the admin's log-in page


# --- writing less, and batches of steps --------------------------------------------------------


def test_a_step_writes_only_the_fields_it_changed(sr):
    with CaptureQueriesContext(connection) as queries:
        run(toy_table(), "take_in", sr, sr.test_steward, note="收到")
    (update,) = [q["sql"] for q in queries if q["sql"].startswith("UPDATE")]
    assert '"status"' in update and '"updated_at"' in update and '"title"' not in update


def test_a_batch_takes_steps_in_memory_and_writes_them_when_it_ends(sr):
    steward, moment = sr.test_steward, timezone.now() - dt.timedelta(days=30)
    with steps.batch(at=moment, quiet=True):
        services.accept(sr, steward, "收到")
        with CaptureQueriesContext(connection) as queries:
            services.dispatch(sr, steward, to=steward)
            services.sign(sr, steward)
        assert not [q for q in queries if q["sql"].startswith(("UPDATE", "INSERT"))]
        assert ServiceRequest.objects.get(pk=sr.pk).status == Status.SUBMITTED
    stored = ServiceRequest.objects.get(pk=sr.pk)
    assert stored.status == Status.HANDLING and stored.signed_at == moment
    assert stored.due_at == WorkCalendar.load().add(moment, 5 * 450)  # the clock, from then
    events = list(RequestEvent.objects.filter(request=sr).order_by("pk"))
    assert [(e.kind, e.at) for e in events[1:]] == [
        ("accept", moment),
        ("dispatch", moment),
        ("sign", moment),
    ]
    audited = AuditEntry.objects.filter(object_id=str(sr.pk), action=AuditAction.TRANSITION)
    assert audited.count() == 3
    assert not Notification.objects.filter(title__contains=sr.number).exclude(
        kind="request.submitted"
    )  # a quiet batch tells nobody


def test_a_request_submitted_in_a_batch_is_written_with_it_under_its_reserved_id(sr, users):
    moment = timezone.now() - dt.timedelta(days=3)
    with steps.batch(at=moment, quiet=True):
        new = services.submit(
            users["enterprise"],
            enterprise=sr.enterprise,
            category=sr.category,
            title="供电",
            text="请协调供电。",
            at=moment,
        )
        assert new.pk and not ServiceRequest.objects.filter(pk=new.pk).exists()
        services.accept(new, sr.test_steward)
    stored = ServiceRequest.objects.get(pk=new.pk)
    assert stored.number == f"ZT{timezone.localtime(moment).year}{new.pk:07d}"
    assert stored.status == Status.ACCEPTED and stored.submitted_at == moment
    assert list(stored.events.order_by("pk").values_list("kind", flat=True)) == [
        "submit",
        "accept",
    ]
    assert AuditEntry.objects.filter(object_id=str(new.pk), action=AuditAction.CREATE).exists()
    assert not Notification.objects.filter(title__contains=stored.number)


def test_a_step_refused_in_a_batch_leaves_nothing_of_the_batch(sr):
    with pytest.raises(services.RequestError), steps.batch():
        services.accept(sr, sr.test_steward)
        services.close(sr, sr.test_steward)
    assert ServiceRequest.objects.get(pk=sr.pk).status == Status.SUBMITTED
    assert not RequestEvent.objects.filter(request=sr, kind="accept").exists()
    with pytest.raises(RuntimeError), steps.batch(), steps.batch():
        pass


def test_the_sweep_acts_on_rows_a_batch_holds_as_on_the_table(sr, users):
    from guanjia.requests import escalation

    steward, moment = sr.test_steward, timezone.now() - dt.timedelta(days=60)
    with steps.batch(at=moment, quiet=True) as batch:
        services.dispatch(sr, steward, to=steward)
        held = batch.holding(sr)
        late = held.sign_due_at + dt.timedelta(minutes=1)
        batch.at = late
        # The reminders it overtook are skipped, as the sweep skips them; the area lead hears.
        assert escalation.act_on([held], late) == 1
        assert held.escalation_level == 1 and held.next_mark == ""
    escalated = Escalation.objects.get(request=sr, level=1)
    assert escalated.at == late and escalated.recipients.exists()
    assert RequestEvent.objects.filter(request=sr, kind="escalate", at=late).exists()
    stored = ServiceRequest.objects.get(pk=sr.pk)
    assert stored.escalation_level == 1 and stored.supervised
    assert escalation.sweep(at=late) == 0  # the table agrees: nothing left to do then
