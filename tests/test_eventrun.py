"""Running an event end to end: the plan, the guest list with check-in by QR code and by hand,
the signing list confirmed at the ceremony, the printables, and who may do what."""

import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from guanjia.accounts.models import ApiToken
from guanjia.core.models import AuditEntry
from guanjia.events import services
from guanjia.events.models import Event, Guest, GuestStatus, RowStatus, SigningListRow
from guanjia.projects.stages import Stage
from guanjia.testing.factories import EnterpriseFactory, ProjectFactory

pytestmark = pytest.mark.django_db

DAY = dt.date(2023, 3, 23)


@pytest.fixture
def event(users, linghai):
    return services.create_event(
        users["admin"], name="凌海对接会", date=DAY, region=linghai, organiser="凌海市招商局",
        status="planning",
    )  # fmt: skip


@pytest.fixture
def guest(event, users):
    enterprise = EnterpriseFactory(name="北京来宾有限公司", home_city="北京", region=None)
    g = services.invite(event, enterprise, users["admin"])
    services.add_attendee(g, users["admin"], name="张三", title="总经理", phone="13812345678")
    return g


def figures(event):
    return Event.objects.with_figures().get(pk=event.pk)


# --- who may do what -------------------------------------------------------------------------

# role × action × expected status, on an event hosted in 凌海 (the official's area)
ACCESS = [
    # role         guest list  invite (POST)  signing list  print PDF  event edit
    ("admin",      200,        200,           200,          200,       200),
    ("official",   200,        200,           200,          200,       200),
    ("steward",    200,        403,           200,          200,       403),
    ("handler",    200,        403,           200,          200,       403),
    ("leader",     200,        403,           200,          200,       403),
    ("enterprise", 404,        404,           404,          404,       404),
]  # fmt: skip


@pytest.mark.parametrize(("role", "guests", "invite", "rows", "pdf", "edit"), ACCESS)
def test_who_runs_the_event(client, users, event, role, guests, invite, rows, pdf, edit):
    client.force_login(users[role])
    pk = event.pk
    assert client.get(reverse("events:guests", args=[pk])).status_code == guests
    response = client.post(reverse("events:guests", args=[pk]), {})
    assert response.status_code == invite
    assert client.get(reverse("events:signing_list", args=[pk])).status_code == rows
    url = reverse("events:printable", args=[pk, "guests", "pdf"])
    assert client.get(url).status_code == pdf
    assert client.get(reverse("events:event_edit", args=[pk])).status_code == edit


def test_the_enterprise_contact_sees_its_own_invitation_and_no_other_guest(
    client, users, event, guest, own_enterprise
):
    services.invite(event, own_enterprise, users["admin"])
    client.force_login(users["enterprise"])
    page = client.get(reverse("events:event_detail", args=[event.pk])).content.decode()
    assert "own-invitation" in page and own_enterprise.name in page
    assert "北京来宾有限公司" not in page and "张三" not in page


# --- planning --------------------------------------------------------------------------------


def test_a_bureau_plans_an_event_with_its_agenda_and_moves_it_by_steps(
    client, users, linghai, industries
):
    client.force_login(users["official"])
    response = client.post(
        reverse("events:event_create"),
        {
            "name": "凌海新能源推介会", "kind": "promotion", "date": "2099-05-01",
            "region": linghai.pk, "location": "凌海市会议中心", "organiser": "凌海市政府",
            "industries": [industries["新能源"].pk],
            "agenda": "09:00 | 开幕致辞 | 市长\n09:30｜项目推介｜招商局局长\n签约仪式",
        },
    )  # fmt: skip
    assert response.status_code == 302
    event = Event.objects.get(name="凌海新能源推介会")
    assert event.status == "planning"
    assert [(a.time, a.title, a.speaker) for a in event.agenda.all()] == [
        ("09:00", "开幕致辞", "市长"), ("09:30", "项目推介", "招商局局长"), ("", "签约仪式", ""),
    ]  # fmt: skip
    page = client.get(reverse("events:event_detail", args=[event.pk])).content.decode()
    assert "项目推介" in page
    client.post(reverse("events:event_step", args=[event.pk, "start"]))
    event.refresh_from_db()
    assert event.status == "ongoing"
    with pytest.raises(IntegrityError), transaction.atomic():
        Event.objects.filter(pk=event.pk).update(status="bogus")


# --- check-in ----------------------------------------------------------------------------------


def checkin_url(event, token):
    return reverse("events:checkin", args=[event.pk, token])


def test_check_in_by_qr_code_records_a_participant_once(client, users, event, guest):
    client.force_login(users["official"])
    token = services.checkin_token(guest)
    qr = client.get(reverse("events:guest_qr", args=[event.pk, guest.pk]))
    assert qr.status_code == 200 and qr["Content-Type"] == "image/svg+xml"
    page = client.get(checkin_url(event, token))
    assert page.status_code == 200 and "北京来宾有限公司" in page.content.decode()
    assert "138****5678" in page.content.decode() and "13812345678" not in page.content.decode()
    assert figures(event).enterprise_count == 0
    client.post(checkin_url(event, token))
    guest.refresh_from_db()
    assert guest.status == GuestStatus.CHECKED_IN and guest.checked_in_at is not None
    assert figures(event).enterprise_count == 1 and figures(event).city_count == 1
    audits = AuditEntry.objects.count()
    again = client.post(checkin_url(event, token))  # scanned twice
    assert again.status_code == 200 and "checkin-done" in again.content.decode()
    assert AuditEntry.objects.count() == audits
    assert figures(event).enterprise_count == 1


def test_a_forged_or_other_events_token_opens_nothing(client, users, event, guest, linghai):
    client.force_login(users["official"])
    token = services.checkin_token(guest)
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    assert client.get(checkin_url(event, forged)).status_code == 404
    assert client.post(checkin_url(event, forged)).status_code == 404
    other = services.create_event(users["admin"], name="另一场会", date=DAY, region=linghai)
    assert client.get(checkin_url(other, token)).status_code == 404
    assert client.post(checkin_url(other, token)).status_code == 404
    guest.refresh_from_db()
    assert guest.status == GuestStatus.INVITED


def test_a_reader_cannot_check_in_with_a_genuine_token(client, users, event, guest):
    client.force_login(users["leader"])
    assert client.post(checkin_url(event, services.checkin_token(guest))).status_code == 403
    guest.refresh_from_db()
    assert guest.status == GuestStatus.INVITED


def test_check_in_by_hand_from_the_list_and_a_walk_in(client, users, event, guest):
    client.force_login(users["admin"])
    listed = client.get(reverse("events:guests", args=[event.pk]), {"q": "张三"}).content.decode()
    assert "北京来宾有限公司" in listed
    client.post(reverse("events:guest_step", args=[event.pk, guest.pk, "check_in"]))
    guest.refresh_from_db()
    assert guest.status == GuestStatus.CHECKED_IN
    walker = EnterpriseFactory(name="沈阳临时来访有限公司", home_city="沈阳")
    client.post(
        reverse("events:walk_in", args=[event.pk]),
        {"walkin-enterprise": walker.pk, "walkin-name": "李四", "walkin-phone": "13900001111"},
    )
    walked = Guest.objects.get(event=event, enterprise=walker)
    assert walked.walk_in and walked.status == GuestStatus.CHECKED_IN
    f = figures(event)
    assert (f.enterprise_count, f.city_count) == (2, 2)
    assert services.guest_figures(event)["checked_in"] == 2


# --- the signing list ----------------------------------------------------------------------


def test_unconfirmed_rows_leave_the_signed_figures_alone(users, event, linghai):
    admin = users["admin"]
    first = ProjectFactory(name="风电项目", region=linghai, stage=Stage.NEGOTIATING)
    second = ProjectFactory(name="针状焦项目", region=linghai, stage=Stage.NEGOTIATING)
    third = ProjectFactory(name="电池项目", region=linghai, stage=Stage.NEGOTIATING)
    rows = [
        services.add_row(event, admin, project=p, government=linghai, amount_wan=Decimal(a))
        for p, a in ((first, "100000"), (second, "50000"), (third, "7000"))
    ]
    before = figures(event)
    assert (before.signing_count, before.signed_investment_wan) == (0, Decimal(0))
    services.row_step(rows[0], "confirm", admin)
    services.row_step(rows[1], "not_signed", admin)
    after = figures(event)
    assert (after.signing_count, after.signed_investment_wan) == (1, Decimal("100000"))
    rows[0].refresh_from_db()
    assert rows[0].status == RowStatus.SIGNED and rows[0].signing is not None
    first.refresh_from_db()
    assert first.stage == Stage.SIGNED
    second.refresh_from_db()
    assert second.stage == Stage.NEGOTIATING
    with pytest.raises(Exception, match="not possible"):
        services.row_step(rows[0], "confirm", admin)  # confirmed once only


def test_the_official_confirms_a_row_on_the_page(client, users, event, linghai):
    project = ProjectFactory(name="凌海光伏项目", region=linghai, stage=Stage.NEGOTIATING)
    client.force_login(users["official"])
    response = client.post(
        reverse("events:signing_list", args=[event.pk]),
        {"project": project.pk, "government": linghai.pk, "amount_wan": "3.5亿元"},
    )
    assert response.status_code == 302
    row = SigningListRow.objects.get(event=event)
    assert row.amount_wan == Decimal("35000") and row.position == 1
    client.post(reverse("events:row_step", args=[event.pk, row.pk, "confirm"]))
    assert figures(event).signing_count == 1


# --- printables ----------------------------------------------------------------------------


def test_the_guest_list_prints_as_a_pdf_in_chinese_and_as_excel(client, users, event, guest):
    from pypdf import PdfReader
    from python_calamine import CalamineWorkbook

    from guanjia.events import printables

    html = printables.to_html(event, "guests")
    assert "北京来宾有限公司" in html and "企业名称" in html and "138****5678" in html
    assert "13812345678" not in html and "Noto Sans CJK SC" in html
    client.force_login(users["admin"])
    response = client.get(reverse("events:printable", args=[event.pk, "guests", "pdf"]))
    assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF-")
    sheet = client.get(reverse("events:printable", args=[event.pk, "signings", "xlsx"]))
    book = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(sheet.streaming_content)))
    assert book.get_sheet_by_index(0).to_python()[0][:2] == ["序号", "项目名称"]
    # The glyphs are real text in the PDF: `make test` installs the CJK font first (deps-test).
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "北京来宾有限公司" in text and "企业名称" in text and "138****5678" in text


# --- the API -------------------------------------------------------------------------------


def api(client, user, method, path, body=None):
    raw = ApiToken.issue(user, name="tests")[1]
    return client.generic(
        method, "/api/v1" + path, data=json.dumps(body) if body is not None else "",
        content_type="application/json", headers={"Authorization": f"Bearer {raw}"},
    )  # fmt: skip


def test_the_api_lists_and_invites_guests(client, users, event, guest, own_enterprise):
    listed = api(client, users["leader"], "GET", f"/events/{event.pk}/guests")
    assert listed.status_code == 200
    assert listed.json()["items"][0]["attendees"][0]["phone"] == "138****5678"
    body = {"enterprise_id": own_enterprise.pk, "attendees": [{"name": "王五"}]}
    assert (
        api(client, users["leader"], "POST", f"/events/{event.pk}/guests", body).status_code == 403
    )
    assert api(client, users["enterprise"], "GET", f"/events/{event.pk}/guests").status_code == 404
    created = api(client, users["official"], "POST", f"/events/{event.pk}/guests", body)
    assert created.status_code == 201 and created.json()["status"] == "invited"
    twice = api(client, users["official"], "POST", f"/events/{event.pk}/guests", body)
    assert twice.status_code == 422 and twice.json()["errors"][0]["field"] == "enterprise_id"
    missing = api(client, users["official"], "POST", f"/events/{event.pk}/guests",
                  {"enterprise_id": 999999})  # fmt: skip
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "enterprise_id"


def test_the_api_adds_signing_list_rows_that_do_not_count(client, users, event, linghai):
    project = ProjectFactory(name="API项目", region=linghai)
    body = {"project_id": project.pk, "government_id": linghai.pk, "amount_wan": "2亿元"}
    created = api(client, users["admin"], "POST", f"/events/{event.pk}/signing-list", body)
    assert created.status_code == 201
    assert created.json()["status"] == "planned" and created.json()["amount_wan"] == "20000.0000"
    listed = api(client, users["leader"], "GET", f"/events/{event.pk}/signing-list").json()
    assert (listed["count"], listed["signed"]) == (1, 0)
    assert figures(event).signing_count == 0


def test_every_change_to_the_plan_is_audited(client, users, event, industries, linghai):
    client.force_login(users["official"])
    before = AuditEntry.objects.count()
    response = client.post(
        reverse("events:event_edit", args=[event.pk]),
        {
            "name": event.name, "kind": event.kind, "date": "2023-03-23", "region": linghai.pk,
            "location": "锦州国际会展中心", "industries": [industries["生物医药"].pk],
            "agenda": "14:00 | 签约仪式 | 主持人",
        },
    )  # fmt: skip
    assert response.status_code == 302
    notes = list(AuditEntry.objects.order_by("pk")[before:].values_list("note", flat=True))
    assert {"agenda", "theme industries"} <= set(notes) and len(notes) == 3


def test_an_enterprise_is_invited_by_typing_its_name_not_picked_from_a_list_of_all(
    client, users, event
):
    invited = EnterpriseFactory(name="大连受邀企业有限公司", home_city="大连")
    EnterpriseFactory(name="大连另一企业有限公司", home_city="大连")
    client.force_login(users["admin"])
    page = client.get(reverse("events:guests", args=[event.pk])).content.decode()
    assert "大连另一企业有限公司" not in page  # no select of every enterprise
    response = client.post(
        reverse("events:guests", args=[event.pk]), {"invite-enterprise": "大连受邀企业有限公司"}
    )
    assert response.status_code == 302
    assert Guest.objects.filter(event=event, enterprise=invited).exists()
    refused = client.post(reverse("events:guests", args=[event.pk]), {"invite-enterprise": "大连"})
    assert refused.status_code == 200 and "未对应到唯一一个可选对象" in refused.content.decode()
