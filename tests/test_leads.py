"""Leads (招商线索): investors, the pipeline's steps, signing into the ledger, negotiation
records, the follow-up sweep, and the pages for each role."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from guanjia.accounts.models import Role
from guanjia.core.models import AuditEntry, StatusChange
from guanjia.enterprises import services as enterprise_services
from guanjia.enterprises.models import Enterprise
from guanjia.events.models import Signing
from guanjia.leads import access, follow_ups, services
from guanjia.leads.models import Lead, NegotiationRecord, Status
from guanjia.notifications.models import Notification
from guanjia.projects.models import Project, StageChange
from guanjia.projects.stages import Stage
from guanjia.testing.factories import (
    DepartmentFactory,
    EnterpriseFactory,
    LeadFactory,
    ProjectFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def investor(db):
    return EnterpriseFactory(
        name="国家电投集团东北电力有限公司", credit_code=None, home_city="沈阳市",
        group="国家电投", contact_source="central_soe",
    )  # fmt: skip


@pytest.fixture
def lead(users, linghai, investor):
    return services.create_lead(
        users["official"], investor=investor, name="凌海海上风电项目", region=linghai,
        source="central_soe", investment_wan=Decimal("500000"), land_mu=Decimal("120"),
        power_kva=Decimal("20000"), owner=users["official"],
    )  # fmt: skip


# --- investors ----------------------------------------------------------------------------------


def test_an_investor_not_yet_registered_needs_no_credit_code(users):
    found = enterprise_services.create_enterprise(
        users["admin"], name="Siemens Energy AG", credit_code="", home_city="慕尼黑",
        ownership="foreign", contact_source="expo",
    )  # fmt: skip
    assert found.credit_code is None
    assert found.get_contact_source_display() == "Trade fair"


def test_a_source_of_contact_outside_the_list_is_refused_by_the_database(investor):
    with pytest.raises(IntegrityError), transaction.atomic():
        Enterprise.objects.filter(pk=investor.pk).update(contact_source="rumour")


def test_names_that_look_alike_are_offered_as_duplicates(investor):
    other = EnterpriseFactory(name="锦州九泰药业有限责任公司")
    similar = enterprise_services.similar_enterprises(
        "国家电投集团东北电力股份有限公司", Enterprise.objects.all()
    )
    assert [e for e, _score in similar] == [investor]
    assert enterprise_services.similar_enterprises("九泰药业", Enterprise.objects.all()) == []
    assert other  # a different name is not offered


def test_only_what_the_asker_sees_is_offered(investor, users):
    from guanjia.enterprises.access import enterprises_for

    # an out-of-city investor with no lead: the bureau's and the areas', not a steward's
    assert (
        enterprise_services.similar_enterprises(investor.name, enterprises_for(users["steward"]))
        == []
    )
    assert enterprise_services.similar_enterprises(
        investor.name, enterprises_for(users["official"])
    )
    assert enterprise_services.similar_enterprises(investor.name, enterprises_for(users["admin"]))


def test_same_as_merge_moves_the_leads(lead, users, investor):
    duplicate = EnterpriseFactory(name="国家电投东北公司", credit_code=None, group="")
    other = services.create_lead(
        users["admin"], investor=duplicate, name="黑山风电二期", region=lead.region,
        source="by_business",
    )  # fmt: skip
    services.merge_investors(investor, duplicate, users["admin"], "同一家企业")
    other.refresh_from_db()
    assert other.investor == investor
    assert not Enterprise.objects.filter(pk=duplicate.pk).exists()
    with pytest.raises(PermissionDenied):
        services.merge_investors(investor, lead.investor, users["official"], "x")


# --- leads and their steps ------------------------------------------------------------------


def test_a_new_lead_is_at_lead_and_audited(lead, users, today):
    assert lead.status == Status.LEAD and lead.lead_on == today
    assert lead.created_by == users["official"]
    assert AuditEntry.objects.filter(object_id=str(lead.pk), action="create").exists()


def test_a_lead_for_a_new_investor_creates_both_and_the_official_then_sees_it(users, linghai):
    lead = services.create_lead(
        users["official"], new_investor={"name": "宁德时代新能源科技股份有限公司",
        "home_city": "宁德市", "contact_source": "by_business"}, name="负极材料项目",
        region=linghai, source="by_business",
    )  # fmt: skip
    assert lead.investor.name == "宁德时代新能源科技股份有限公司"
    from guanjia.enterprises.access import enterprises_for

    assert enterprises_for(users["official"]).filter(pk=lead.investor_id).exists()


@pytest.mark.parametrize("field", ["investor", "region", "owner", "project"])
def test_a_reference_out_of_reach_is_refused_like_a_missing_one(
    field, users, linghai, heishan, investor
):
    other_steward = UserFactory(username="hs", role=Role.STEWARD, region=heishan)
    far = {
        "investor": EnterpriseFactory(region=heishan),
        "region": heishan,
        "owner": other_steward,
        "project": ProjectFactory(enterprise=investor, region=heishan),
    }[field]
    base = {"investor": investor, "name": "项目", "region": linghai, "source": "expo"}
    if field == "investor":
        investor.region = linghai  # the own investor is then the official's to name
    with pytest.raises(ValidationError) as refused:
        services.create_lead(users["official"], **base | {field: far})
    with pytest.raises(ValidationError) as missing:
        services.create_lead(users["official"], **base | {field: 987654})
    assert refused.value.message_dict == missing.value.message_dict
    assert field in refused.value.message_dict


def test_leaders_handlers_and_contacts_do_not_enter_leads(users, linghai, investor):
    for role in ("leader", "handler", "enterprise"):
        with pytest.raises(PermissionDenied):
            services.create_lead(
                users[role], investor=investor, name="x", region=linghai, source="expo"
            )


def test_the_pipeline_moves_step_by_step(lead, users, today):
    services.take_step(lead, "contact", users["official"])
    services.take_step(lead, "negotiate", users["official"])
    lead.refresh_from_db()
    assert lead.status == Status.NEGOTIATING
    assert lead.contact_on == today and lead.negotiating_on == today
    assert StatusChange.objects.filter(object_id=str(lead.pk)).count() == 2
    with pytest.raises(services.LeadError) as refused:
        services.take_step(lead, "contact", users["official"])
    assert "not possible" in str(refused.value)


def test_signing_creates_the_ledger_project_with_the_leads_facts(lead, users, today):
    services.take_step(lead, "negotiate", users["official"])
    services.sign(lead, users["official"])
    lead.refresh_from_db()
    project = lead.project
    assert project is not None
    assert (project.name, project.stage, project.signed_on) == (
        "凌海海上风电项目",
        Stage.SIGNED,
        today,
    )
    assert project.enterprise == lead.investor and project.region == lead.region
    assert project.total_investment_wan == Decimal("500000")
    assert project.negotiating_on == today  # the time in negotiation carries over
    signing = Signing.objects.get(project=project)  # what the city's signing figures count
    assert (signing.amount_wan, signing.government, signing.signed_on) == (
        Decimal("500000"), lead.region, today,
    )  # fmt: skip


def test_signing_continues_a_project_already_in_the_ledger(users, linghai, investor, today):
    investor.region = linghai
    investor.save()
    project = ProjectFactory(
        name="针状焦二期", enterprise=investor, region=linghai, stage=Stage.LEAD,
        lead_on=today - dt.timedelta(days=30),
    )  # fmt: skip
    lead = services.create_lead(
        users["official"], investor=investor, name="针状焦二期", region=linghai,
        source="walk_in", project=project,
    )  # fmt: skip
    services.take_step(lead, "negotiate", users["official"])
    project.refresh_from_db()
    assert project.stage == Stage.NEGOTIATING
    services.sign(lead, users["official"])
    project.refresh_from_db()
    assert project.stage == Stage.SIGNED
    assert Project.objects.count() == 1  # nothing typed twice
    assert Signing.objects.filter(project=project).count() == 1
    assert list(StageChange.objects.filter(project=project).values_list("to_stage", flat=True)) == [
        Stage.NEGOTIATING, Stage.SIGNED,
    ]  # fmt: skip


def test_pausing_and_dropping_need_a_reason(lead, users):
    with pytest.raises(ValidationError):
        services.take_step(lead, "pause", users["official"], reason=" ")
    services.take_step(lead, "contact", users["official"])
    services.take_step(lead, "pause", users["official"], reason="企业资金紧张")
    lead.refresh_from_db()
    assert (lead.status, lead.status_reason) == (Status.PAUSED, "企业资金紧张")
    services.take_step(lead, "resume", users["official"])
    lead.refresh_from_db()
    assert lead.status == Status.CONTACT  # back where it was
    services.take_step(lead, "drop", users["official"], reason="项目另选址")
    lead.refresh_from_db()
    assert lead.status == Status.DROPPED


def test_a_leader_reads_but_takes_no_step(lead, users):
    with pytest.raises(PermissionDenied):
        services.take_step(lead, "contact", users["leader"])


def test_an_unknown_status_is_refused_by_the_database(lead):
    with pytest.raises(IntegrityError), transaction.atomic():
        Lead.objects.filter(pk=lead.pk).update(status="maybe")


# --- negotiation records and the follow-up sweep --------------------------------------------


def record(lead, user, on, follow_up=None):
    return services.add_record(
        lead, user, kind="visit_received", date=on, place="市投资促进局", our_side="王局长",
        their_side="张总", asked="用地120亩", offered="标准厂房", outcome="达成初步意向",
        next_step="赴沈阳回访", next_follow_up_on=follow_up,
    )  # fmt: skip


def test_a_record_sets_the_last_contact_and_the_next_follow_up(lead, users, today):
    record(lead, users["official"], today - dt.timedelta(days=2), today + dt.timedelta(days=5))
    lead.refresh_from_db()
    assert lead.last_contact_on == today - dt.timedelta(days=2)
    assert lead.next_follow_up_on == today + dt.timedelta(days=5)
    with pytest.raises(ValidationError) as future:
        record(lead, users["official"], today + dt.timedelta(days=1))
    assert "date" in future.value.message_dict


def test_a_lead_without_contact_for_long_is_stale(lead, today):
    assert not lead.is_stale(today, 30)
    assert lead.is_stale(today + dt.timedelta(days=31), 30)


def test_the_sweep_reminds_the_owner_then_tells_the_leader(lead, users, today, settings):
    settings.GUANJIA_LEAD_ESCALATION_WORKDAYS = 3
    due = today - dt.timedelta(days=1)
    record(lead, users["official"], due - dt.timedelta(days=7), due)
    assert follow_ups.sweep(today) == 1
    reminder = Notification.objects.get(kind="lead.follow_up_due")
    assert reminder.recipient == users["official"]
    assert follow_ups.sweep(today) == 0  # once per follow-up date
    later = due + dt.timedelta(days=10)  # at least three working days whatever the calendar
    assert follow_ups.sweep(later) == 1
    assert Notification.objects.get(kind="lead.follow_up_missed").recipient == users["leader"]
    assert follow_ups.sweep(later) == 0


def test_the_sweep_counts_working_days(today):
    from guanjia.worktime.clock import WorkCalendar

    cal = WorkCalendar.load()
    friday = dt.date(2026, 12, 4)
    assert follow_ups.workdays_missed(friday, dt.date(2026, 12, 7), cal) == 1  # Sat, Sun, Mon


# --- who sees what ------------------------------------------------------------------------------


def test_the_investors_page_shows_its_leads_to_workers_not_to_its_contact(users, lead):
    investor = lead.investor
    contact = UserFactory(username="ct", role=Role.ENTERPRISE, enterprise=investor)
    for user, shown in ((users["official"], True), (contact, False)):
        client = Client()
        client.force_login(user)
        page = client.get(reverse("enterprises:enterprise_detail", args=[investor.pk]))
        assert page.status_code == 200
        assert ("凌海海上风电项目" in page.content.decode()) is shown
        assert "国家电投" in page.content.decode()  # the group


def test_steward_sees_own_and_team_leads_only(users, linghai, heishan, investor):
    team = DepartmentFactory(name="招商一分队", region=linghai.parent or linghai)
    steward = users["steward"]
    steward.department = team
    steward.save()
    mine = LeadFactory(investor=investor, region=linghai, owner=steward)
    teams = LeadFactory(investor=investor, region=heishan, owner=users["admin"], department=team)
    others = LeadFactory(investor=investor, region=heishan, owner=users["admin"])
    seen = set(access.leads_for(steward))
    assert seen == {mine, teams}
    assert others not in set(access.leads_for(users["official"]))


# --- the pages (per role) -----------------------------------------------------------------------

ROLES = ("enterprise", "steward", "handler", "official", "leader", "admin")


@pytest.mark.parametrize(
    ("role", "expected"),
    list(zip(ROLES, (404, 200, 404, 200, 200, 200), strict=True)),
)
def test_the_workbench_pages_per_role(role, expected, users, lead):
    client = Client()
    client.force_login(users[role])
    for name, args in (
        ("leads:list", []), ("leads:board", []), ("leads:figures", []), ("leads:investors", []),
        ("leads:export", []),
    ):  # fmt: skip
        assert client.get(reverse(name, args=args)).status_code == expected, name
    # the lead of 凌海: the steward neither owns it nor shares a team
    detail = client.get(reverse("leads:detail", args=[lead.pk])).status_code
    assert detail == {"steward": 404}.get(role, expected)


def test_moving_a_card_on_the_board_works_without_javascript(users, lead):
    client = Client()
    client.force_login(users["official"])
    board = client.get(reverse("leads:board"))
    assert f'action="{reverse("leads:step", args=[lead.pk, "contact"])}"'.encode() in board.content
    response = client.post(
        reverse("leads:step", args=[lead.pk, "contact"]), {"next": reverse("leads:board")}
    )
    assert response.status_code == 302 and response["Location"] == reverse("leads:board")
    lead.refresh_from_db()
    assert lead.status == Status.CONTACT


def test_a_leader_cannot_move_a_card(users, lead):
    client = Client()
    client.force_login(users["leader"])
    response = client.post(reverse("leads:step", args=[lead.pk, "contact"]))
    assert response.status_code == 403


def test_the_form_offers_a_look_alike_before_creating_a_duplicate(users, linghai, investor):
    client = Client()
    client.force_login(users["admin"])
    data = {"new_investor": "国家电投集团东北电力股份有限公司", "name": "风电", "source": "expo",
            "region": linghai.pk, "investment_wan": "5亿元"}  # fmt: skip
    response = client.post(reverse("leads:create"), data)
    assert response.status_code == 400
    assert "Perhaps the same as" in response.content.decode()
    response = client.post(reverse("leads:create"), data | {"different": "on"})
    assert response.status_code == 302
    created = Lead.objects.get(name="风电")
    assert created.investment_wan == Decimal("50000")


def test_the_figures_count_conversions_and_median_days(users, linghai, investor, today):
    from guanjia.leads import figures

    for days in (10, 20):
        LeadFactory(
            investor=investor, region=linghai, owner=users["official"], status="signed",
            lead_on=today - dt.timedelta(days=days + 5), contact_on=today - dt.timedelta(days=days),
            signed_on=today,
        )  # fmt: skip
    LeadFactory(investor=investor, region=linghai, owner=users["official"])
    data = figures.pipeline(Lead.objects.all())
    everyone = data["by_source"][-1]
    assert everyone.total == 3 and everyone.signed == 2
    assert everyone.conversion == pytest.approx(66.7)
    assert everyone.medians[0] == 5  # lead → first contact
    assert everyone.medians[1] == 15  # first contact → signed (negotiation skipped)


def test_records_can_be_added_from_the_page(users, lead, today):
    client = Client()
    client.force_login(users["official"])
    response = client.post(
        reverse("leads:record_create", args=[lead.pk]),
        {"kind": "trip_out", "date": today.isoformat(), "our_side": "招商局", "their_side": "企业",
         "outcome": "确定考察时间", "next_follow_up_on": (today + dt.timedelta(days=7)).isoformat()},
    )  # fmt: skip
    assert response.status_code == 302
    assert NegotiationRecord.objects.filter(lead=lead).count() == 1
    page = client.get(reverse("leads:detail", args=[lead.pk])).content.decode()
    assert "确定考察时间" in page


# --- the API ------------------------------------------------------------------------------------


def api(user, method, path, body=None):
    from guanjia.accounts.models import ApiToken

    token = ApiToken.issue(user)[1]
    import json

    return Client().generic(
        method, "/api/v1" + path, data=json.dumps(body) if body is not None else "",
        content_type="application/json", headers={"Authorization": f"Bearer {token}"},
    )  # fmt: skip


def test_api_investor_look_alike_is_a_409_unless_different(users, investor):
    body = {"name": "国家电投集团东北电力股份有限公司", "group": "国家电投"}
    refused = api(users["admin"], "POST", "/investors", body)
    assert refused.status_code == 409
    assert refused.json()["errors"][0]["field"] == "name"
    created = api(users["admin"], "POST", "/investors", body | {"different": True})
    assert created.status_code == 201
    assert created.json()["credit_code"] is None and created.json()["group"] == "国家电投"


def test_api_lead_create_read_and_records(users, linghai, investor, today):
    body = {"investor_id": investor.pk, "name": "风电项目", "region_id": linghai.pk,
            "source": "central_soe", "investment_wan": "5亿元", "land_mu": "120"}  # fmt: skip
    created = api(users["official"], "POST", "/leads", body)
    assert created.status_code == 201, created.content
    lead = created.json()
    assert lead["investment_wan"] == "50000.0000" and lead["status"] == "lead"
    assert "contact" in lead["steps"]
    record = {"date": today.isoformat(), "our_side": "招商局", "their_side": "张总",
              "outcome": "同意考察", "next_follow_up_on": today.isoformat()}  # fmt: skip
    assert api(users["official"], "POST", f"/leads/{lead['id']}/records", record).status_code == 201
    listed = api(users["official"], "GET", f"/leads/{lead['id']}/records").json()
    assert listed["count"] == 1 and listed["items"][0]["outcome"] == "同意考察"
    assert api(users["leader"], "GET", f"/leads/{lead['id']}").status_code == 200
    assert api(users["leader"], "POST", f"/leads/{lead['id']}/records", record).status_code == 403
    assert api(users["enterprise"], "GET", f"/leads/{lead['id']}").status_code == 404
    assert api(users["enterprise"], "GET", "/leads").status_code == 404


def test_api_a_reference_out_of_reach_reads_as_missing(users, linghai, heishan, investor):
    far = EnterpriseFactory(region=heishan)
    body = {"name": "x", "region_id": linghai.pk, "source": "expo"}
    refused = api(users["official"], "POST", "/leads", body | {"investor_id": far.pk})
    missing = api(users["official"], "POST", "/leads", body | {"investor_id": 987654})
    assert refused.status_code == missing.status_code == 422
    assert refused.content.replace(str(far.pk).encode(), b"ID") == missing.content.replace(
        b"987654", b"ID"
    )


def test_the_figures_page_hands_its_chart_the_same_figures(users, lead):
    client = Client()
    client.force_login(users["admin"])
    page = client.get(reverse("leads:figures")).content.decode()
    assert 'id="lead-chart-data"' in page and "leads/figures.js" in page
    assert '"conversion": [0.0]' in page  # one lead of 央企对接, none signed yet


# --- a lead on an event's signing list ----------------------------------------------------------


@pytest.fixture
def ceremony(linghai, today):
    from guanjia.testing.factories import EventFactory

    return EventFactory(name="凌海市新能源项目签约仪式", date=today, region=linghai)


def test_a_lead_on_a_signing_list_is_signed_once_with_its_own_facts(lead, users, ceremony, today):
    from guanjia.events import services as event_services

    services.take_step(lead, "negotiate", users["official"])
    row = services.put_on_signing_list(lead, users["official"], ceremony)
    lead.refresh_from_db()
    project = lead.project
    assert project is not None and project.stage == Stage.NEGOTIATING
    assert (project.name, project.enterprise, project.region) == (
        lead.name,
        lead.investor,
        lead.region,
    )
    assert project.total_investment_wan == lead.investment_wan == row.amount_wan
    assert (row.project, row.government, list(row.enterprises.all())) == (
        project,
        lead.region,
        [lead.investor],
    )
    assert not Signing.objects.exists()  # 拟签 counts nowhere
    event_services.row_step(row, "confirm", users["official"])
    project.refresh_from_db()
    assert project.stage == Stage.SIGNED
    services.sign(lead, users["official"])
    lead.refresh_from_db()
    assert lead.status == Status.SIGNED and lead.project == project
    assert Project.objects.filter(name=lead.name).count() == 1
    signing = Signing.objects.get()
    assert (signing.project, signing.event, signing.is_first) == (project, ceremony, True)


def test_a_signed_lead_is_not_put_on_a_signing_list(lead, users, ceremony):
    services.sign(lead, users["official"])
    with pytest.raises(ValidationError):
        services.put_on_signing_list(lead, users["official"], ceremony)


def test_the_history_reads_the_steps_label_not_its_code(lead, users):
    services.take_step(lead, "contact", users["official"])
    notes = list(AuditEntry.objects.filter(object_id=str(lead.pk)).values_list("note", flat=True))
    assert "First contact" in notes and "contact" not in notes


@pytest.mark.parametrize(
    ("role", "code", "listed"),
    [
        ("admin", 302, True),  # the bureau runs every event
        ("official", 302, True),  # the event is hosted in the official's area
        ("steward", 302, False),  # works the lead, does not run the event: the form refuses it
        ("leader", 403, False),
        ("handler", 404, False),
        ("enterprise", 404, False),
    ],
)
def test_putting_a_lead_on_a_signing_list_per_role(role, code, listed, users, lead, ceremony):
    from guanjia.events.models import SigningListRow

    Lead.objects.filter(pk=lead.pk).update(owner=users["steward"])
    client = Client()
    client.force_login(users[role])
    page = client.get(reverse("leads:detail", args=[lead.pk]))
    assert (reverse("leads:signing_list", args=[lead.pk]) in page.content.decode()) is (
        role in ("admin", "official")
    )
    response = client.post(reverse("leads:signing_list", args=[lead.pk]), {"event": ceremony.pk})
    assert response.status_code == code
    assert SigningListRow.objects.filter(event=ceremony).exists() is listed
    if listed:
        assert response["Location"] == reverse("events:signing_list", args=[ceremony.pk])


def test_an_official_cannot_list_a_lead_at_another_areas_event(users, lead, heishan, today):
    from guanjia.events.models import SigningListRow
    from guanjia.testing.factories import EventFactory

    elsewhere = EventFactory(name="黑山县签约仪式", date=today, region=heishan)
    client = Client()
    client.force_login(users["official"])
    client.post(reverse("leads:signing_list", args=[lead.pk]), {"event": elsewhere.pk})
    assert not SigningListRow.objects.exists()
    assert Lead.objects.get(pk=lead.pk).project is None  # nothing entered in the ledger either
