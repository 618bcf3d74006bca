"""Visits received (来访接待) and trips out (外出招商): their meetings are the leads' negotiation
records, a trip's report is drawn from them as PDF and Word, and each role sees and works
them as it does the leads."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from guanjia.core.models import AuditEntry
from guanjia.leads import services
from guanjia.leads.models import NegotiationRecord
from guanjia.testing.factories import EnterpriseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def days():
    """A trip of three days that ended last week (never a date written in the test)."""
    end = timezone.localdate() - dt.timedelta(days=7)
    return end - dt.timedelta(days=2), end


@pytest.fixture
def leads(users, linghai):
    """Two leads of 凌海, worked by its official: one known before, one met on the road."""
    wind = EnterpriseFactory(name="国家电投集团东北电力有限公司", credit_code=None)
    battery = EnterpriseFactory(name="宁德时代新能源科技股份有限公司", credit_code=None)
    make = lambda investor, name: services.create_lead(  # noqa: E731
        users["official"], investor=investor, name=name, region=linghai, source="central_soe",
        investment_wan=Decimal("300000"),
    )  # fmt: skip
    return make(wind, "凌海海上风电项目"), make(battery, "针状焦负极材料项目")


@pytest.fixture
def trip(users, linghai, leads, days):
    start, end = days
    known, new = leads
    services.add_record(
        known, users["official"], date=start - dt.timedelta(days=30), our_side="招商局",
        their_side="国家电投", outcome="初次接触",
    )  # fmt: skip
    found = services.create_trip(
        users["official"], destinations="北京、宁德", start_on=start, end_on=end, region=linghai,
        team=[users["official"]], purpose="拜访央企与电池企业总部",
    )  # fmt: skip
    services.add_meeting(
        found, users["official"], lead=known, date=start, place="北京国家电投总部",
        our_side="凌海市招商小分队", their_side="国家电投东北公司副总经理",
        outcome="对方同意来凌海考察海上风电场址", next_step="安排实地考察",
        next_follow_up_on=end + dt.timedelta(days=10),
    )  # fmt: skip
    services.add_meeting(
        found, users["official"], lead=new, date=end, place="宁德时代总部",
        our_side="凌海市招商小分队", their_side="宁德时代采购总监",
        outcome="有意在凌海布局负极材料", next_step="提供针状焦供应方案",
    )  # fmt: skip
    return found


def test_a_trip_with_two_meetings_keeps_them_as_the_leads_records(trip, leads, days):
    known, new = leads
    assert trip.records.count() == 2
    meeting = NegotiationRecord.objects.get(trip=trip, lead=known)
    assert meeting.kind == "trip_out" and meeting.place == "北京国家电投总部"
    known.refresh_from_db()
    assert known.last_contact_on == days[0]  # the lead's follow-up follows the meeting
    assert AuditEntry.objects.filter(object_type__endswith="trip", object_id=str(trip.pk)).exists()
    from guanjia.leads.trip_report import leads_of

    created, advanced = leads_of(trip)
    assert created == [new] and advanced == [known]


def test_a_meeting_outside_the_trip_dates_is_refused(trip, leads, users, days):
    with pytest.raises(ValidationError) as caught:
        services.add_meeting(
            trip, users["official"], lead=leads[0], date=days[0] - dt.timedelta(days=1),
            our_side="我方", their_side="对方", outcome="无",
        )  # fmt: skip
    assert "date" in caught.value.message_dict


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_the_trip_report_pdf_holds_each_meeting_in_chinese(trip, users):
    client = Client()
    client.force_login(users["official"])
    response = client.get(reverse("leads:trip_report", args=[trip.pk, "pdf"]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = _pdf_text(response.content).replace(" ", "")
    assert "北京国家电投总部" in text
    assert "对方同意来凌海考察海上风电场址" in text
    assert "宁德时代采购总监" in text


def test_the_trip_report_docx_opens_with_meetings_and_totals(trip, users):
    from docx import Document

    client = Client()
    client.force_login(users["leader"])  # a leader reads the report
    response = client.get(reverse("leads:trip_report", args=[trip.pk, "docx"]))
    assert response.status_code == 200
    doc = Document(io.BytesIO(response.content))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "北京、宁德" in text
    assert "提供针状焦供应方案" in text
    totals = {row.cells[0].text: row.cells[1].text for row in doc.tables[0].rows}
    assert totals == {
        "Meetings": "2",
        "Investors met": "2",
        "Leads created on the trip": "1",
        "Leads advanced": "1",
    }


def test_a_visit_touching_two_leads_shows_on_each_leads_page(users, linghai, leads, days):
    known, new = leads
    visit = services.create_visit(
        users["official"], date=days[1], region=linghai,
        investors=[known.investor, new.investor], visitors="国家电投与宁德时代联合考察团",
        hosts=[users["official"]], host_names="市委副书记", sites="凌海港、大有农场产业园",
        leads=[known, new],
    )  # fmt: skip
    client = Client()
    client.force_login(users["official"])
    for lead in leads:
        page = client.get(reverse("leads:detail", args=[lead.pk])).content.decode()
        assert reverse("leads:visit_detail", args=[visit.pk]) in page
        assert "国家电投与宁德时代联合考察团" in page
    page = client.get(reverse("leads:visit_detail", args=[visit.pk])).content.decode()
    assert "凌海港、大有农场产业园" in page and "针状焦负极材料项目" in page


def test_a_visit_may_name_only_leads_and_investors_its_author_sees(users, heishan, linghai):
    other = EnterpriseFactory(name="黑山某企业", region=heishan)
    other_lead = services.create_lead(
        users["admin"], investor=other, name="黑山项目", region=heishan, source="central_soe",
    )  # fmt: skip
    for field, value in (("leads", [other_lead]), ("investors", [other])):
        fields = {"investors": [EnterpriseFactory(region=linghai)], field: value}
        with pytest.raises(ValidationError) as caught:
            services.create_visit(
                users["official"], date=timezone.localdate(), region=linghai, visitors="考察团",
                **fields,
            )  # fmt: skip
        assert caught.value.message_dict[field] == ["Select a valid choice."]


def test_a_leader_reads_a_trip_but_does_not_change_it(trip, users):
    with pytest.raises(PermissionDenied):
        services.update_trip(trip, users["leader"], destinations="上海")


ROLES = ("enterprise", "steward", "handler", "official", "leader", "admin")


@pytest.mark.parametrize(
    ("role", "lists", "detail", "edit"),
    [
        ("enterprise", 404, 404, 404),
        ("steward", 200, 404, 404),  # not the owner, not on the team
        ("handler", 404, 404, 404),
        ("official", 200, 200, 200),
        ("leader", 200, 200, 403),
        ("admin", 200, 200, 200),
    ],
)
def test_visits_and_trips_pages_per_role(role, lists, detail, edit, users, trip):
    client = Client()
    client.force_login(users[role])
    for name in ("leads:visits", "leads:trips"):
        assert client.get(reverse(name)).status_code == lists, name
    assert client.get(reverse("leads:trip_detail", args=[trip.pk])).status_code == detail
    assert client.get(reverse("leads:trip_edit", args=[trip.pk])).status_code == edit
    assert client.get(reverse("leads:trip_meeting", args=[trip.pk])).status_code == edit


def test_the_lists_filter_by_date_and_show_the_trip(users, trip, days):
    client = Client()
    client.force_login(users["official"])
    url = reverse("leads:trips")
    assert "北京、宁德" in client.get(url).content.decode()
    later = (days[1] + dt.timedelta(days=1)).isoformat()
    assert "北京、宁德" not in client.get(url, {"start": later}).content.decode()


def test_a_trip_is_created_and_a_meeting_logged_from_the_pages(users, linghai, leads, days):
    client = Client()
    client.force_login(users["official"])
    response = client.post(
        reverse("leads:trip_create"),
        {"destinations": "上海", "start_on": days[0], "end_on": days[1], "region": linghai.pk,
         "team": [users["official"].pk]},
    )  # fmt: skip
    assert response.status_code == 302
    trip = users["official"].owned_trips.get()
    response = client.post(
        reverse("leads:trip_meeting", args=[trip.pk]),
        {"lead": leads[0].pk, "date": days[0], "our_side": "小分队", "their_side": "董事长",
         "outcome": "同意签约前再考察一次"},
    )  # fmt: skip
    assert response.status_code == 302
    page = client.get(reverse("leads:trip_detail", args=[trip.pk])).content.decode()
    assert "同意签约前再考察一次" in page
