"""Request pages: submit with files, queues with the clock, steps, ratings and who sees what."""

import io
import zipfile

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from guanjia.accounts.models import Role
from guanjia.requests import services
from guanjia.requests.loading import load_categories
from guanjia.requests.models import Attachment, Category, ServiceRequest, Status
from guanjia.testing.factories import EnterpriseFactory, ProjectFactory, UserFactory

from .conftest import PASSWORD

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


def upload(name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def client_for(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def world(users, linghai, heishan, own_enterprise, settings, tmp_path):
    settings.GUANJIA_PRIVATE_ROOT = tmp_path
    load_categories()
    steward = UserFactory(
        username="s_lh", role=Role.STEWARD, region=linghai, display_name="凌海管家"
    )
    other_steward = UserFactory(username="s_hs", role=Role.STEWARD, region=heishan)
    own_enterprise.steward = steward
    own_enterprise.save()
    other = EnterpriseFactory(name="黑山另一家企业有限公司", region=heishan, steward=other_steward)
    other_contact = UserFactory(username="t_other_ent", role=Role.ENTERPRISE, enterprise=other)
    project = ProjectFactory(enterprise=own_enterprise, region=linghai, steward=steward)
    return {
        **users,
        "steward": steward,
        "other_steward": other_steward,
        "other_contact": other_contact,
        "other": other,
        "project": project,
    }


def submit_via_web(world, **extra):
    client = client_for(world["enterprise"])
    data = {
        "category": Category.objects.get(code="land").pk,
        "project": world["project"].pk,
        "title": "规划条件迟迟未出",
        "text": "项目已摘地三个月，规划条件仍未出具。",
        **extra,
    }
    return client, client.post(reverse("requests:new"), data)


def test_an_enterprise_submits_with_files_and_the_steward_sees_it_in_the_queue(world):
    client, response = submit_via_web(
        world, attachments=[upload("土地证.pdf", PDF), upload("说明.docx", docx_bytes())]
    )
    assert response.status_code == 302
    sr = ServiceRequest.objects.get()
    assert sr.steward == world["steward"] and sr.attachments.count() == 2
    page = client.get(response["Location"])
    assert "规划条件迟迟未出" in page.content.decode() and "土地证.pdf" in page.content.decode()

    steward = client_for(world["steward"])
    queue = steward.get(reverse("requests:queue"))
    assert sr.number in queue.content.decode()


def test_a_file_that_is_not_what_it_claims_is_refused_and_nothing_is_saved(world):
    _client, response = submit_via_web(
        world, attachments=[upload("合同.pdf", b"MZ\x90\x00 not a pdf")]
    )
    assert response.status_code == 400
    assert "合同.pdf" in response.content.decode()
    assert not ServiceRequest.objects.exists() and not Attachment.objects.exists()
    # What was typed is still in the form.
    assert "项目已摘地三个月" in response.content.decode()


def test_a_file_over_the_limit_is_refused(world, settings):
    settings.GUANJIA_ATTACHMENT_MAX_BYTES = 1000
    _client, response = submit_via_web(world, attachments=[upload("big.pdf", PDF + b"0" * 2000)])
    assert response.status_code == 400 and "big.pdf" in response.content.decode()
    assert not ServiceRequest.objects.exists()


def test_the_loop_through_the_pages_and_the_timeline_shows_it(world):
    client, response = submit_via_web(world)
    sr = ServiceRequest.objects.get()
    steward = client_for(world["steward"])
    step = lambda name: reverse("requests:step", args=[sr.pk, name])  # noqa: E731
    assert steward.post(step("accept")).status_code == 302
    assert steward.post(step("dispatch"), {"to": world["steward"].pk}).status_code == 302
    assert steward.post(step("sign")).status_code == 302
    answer = steward.post(
        step("reply"),
        {"answer": "规划条件已出具，请查收。", "attachments": [upload("规划条件.pdf", PDF)]},
    )
    assert answer.status_code == 302
    rated = client.post(step("rate"), {"rating": "unsatisfied", "comment": "缺少附图"})
    assert rated.status_code == 302
    sr.refresh_from_db()
    assert sr.status == Status.HANDLING and sr.reopen_count == 1
    page = client.get(reverse("requests:detail", args=[sr.pk])).content.decode()
    assert "规划条件已出具" in page and "缺少附图" in page and "规划条件.pdf" in page


def test_a_step_with_bad_input_says_why_and_keeps_the_state(world):
    submit_via_web(world)
    sr = ServiceRequest.objects.get()
    steward = client_for(world["steward"])
    response = steward.post(reverse("requests:step", args=[sr.pk, "sign"]))
    assert response.status_code == 400  # not dispatched yet
    sr.refresh_from_db()
    assert sr.status == Status.SUBMITTED


@pytest.mark.parametrize(
    ("who", "detail", "file", "step"),
    [
        ("enterprise", 200, 200, 403),  # own: reads and downloads; cannot dispatch
        ("other_contact", 404, 404, 404),  # another enterprise: not even its existence
        ("steward", 200, 200, 302),  # its steward dispatches
        ("other_steward", 404, 404, 404),  # another area's steward
        ("official", 200, 200, 302),  # the area's official dispatches
        ("handler", 404, 404, 404),  # a department sees only what is sent to it
        ("leader", 200, 200, 403),  # the city leader reads
        ("admin", 200, 200, 302),
    ],
)
def test_who_sees_and_does_what(world, who, detail, file, step):
    _client, _response = submit_via_web(world, attachments=[upload("a.pdf", PDF)])
    sr = ServiceRequest.objects.get()
    attachment = sr.attachments.get()
    client = client_for(world[who])
    assert client.get(reverse("requests:detail", args=[sr.pk])).status_code == detail
    assert (
        client.get(reverse("requests:attachment", args=[sr.pk, attachment.pk])).status_code == file
    )
    posted = client.post(
        reverse("requests:step", args=[sr.pk, "dispatch"]), {"to": world["steward"].pk}
    )
    assert posted.status_code == step


def test_a_transferred_request_reaches_the_department(world):
    submit_via_web(world)
    sr = ServiceRequest.objects.get()
    services.dispatch(sr, world["steward"], to=world["steward"])
    services.transfer(sr, world["steward"], to=world["handler"], note="请自然资源局办理")
    handler = client_for(world["handler"])
    assert (
        sr.number in handler.get(reverse("requests:queue") + "?queue=department").content.decode()
    )
    assert handler.get(reverse("requests:detail", args=[sr.pk])).status_code == 200


def test_the_queue_exports_to_excel(world):
    submit_via_web(world)
    from python_calamine import CalamineWorkbook

    response = client_for(world["steward"]).get(reverse("requests:export") + "?queue=stewarded")
    book = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(response.streaming_content)))
    rows = book.get_sheet_by_index(0).to_python()
    assert len(rows) == 2 and rows[1][0].startswith("ZT")


def test_a_steward_invites_a_contact_who_sets_a_password_and_logs_in(world):
    steward = client_for(world["steward"])
    response = steward.post(
        reverse("requests:invite"),
        {
            "enterprise": world["users"]["enterprise"].enterprise_id
            if "users" in world
            else world["enterprise"].enterprise_id,
            "display_name": "李四",
            "phone": "13800001111",
        },
    )
    assert response.status_code == 200
    link = response.context["link"]
    assert "/requests/invite/" in link
    guest = Client()
    form = guest.get(link, follow=True)
    assert form.status_code == 200
    done = guest.post(
        form.redirect_chain[-1][0] if form.redirect_chain else link,
        {"new_password1": "Jinzhou-2026-ok", "new_password2": "Jinzhou-2026-ok"},
    )
    assert done.status_code == 302
    assert guest.get(reverse("requests:queue")).status_code == 200


def test_the_queue_costs_the_same_queries_for_few_or_many_requests(
    world, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    steward = world["steward"]
    client = client_for(steward)

    def make(n: int) -> None:
        for i in range(n):
            sr = services.submit(
                world["enterprise"],
                enterprise=world["enterprise"].enterprise,
                category=Category.objects.get(code="land"),
                title=f"诉求{i}",
                text="内容",
            )
            services.dispatch(sr, steward, to=steward)

    def count() -> int:
        # Once to warm the caches (the bulk dispatch's select is drawn once per version).
        assert client.get(reverse("requests:queue")).status_code == 200
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("requests:queue")).status_code == 200
        return len(ctx.captured_queries)

    make(3)
    few = count()
    make(12)
    assert count() == few


def test_staff_queues_show_the_enterprise_and_an_enterprise_its_own_list_without_it(world):
    submit_via_web(world)
    staff = client_for(world["steward"]).get(reverse("requests:queue") + "?queue=stewarded")
    html = staff.content.decode()
    assert html.count("<td data-label") == 7  # one row, every column filled
    assert world["enterprise"].enterprise.name in html
    own = client_for(world["enterprise"]).get(reverse("requests:queue")).content.decode()
    assert own.count("<td data-label") == 6


def test_a_step_that_fails_after_its_files_were_stored_leaves_no_file_behind(
    world, tmp_path, monkeypatch
):
    from django.db import DatabaseError

    submit_via_web(world)
    sr = ServiceRequest.objects.get()
    services.dispatch(sr, world["steward"], to=world["steward"])
    services.sign(sr, world["steward"])

    def broken(*args, **kwargs):
        raise DatabaseError("the database went away")

    monkeypatch.setattr("guanjia.requests.attachments.record", broken)  # after the file is saved
    steward = client_for(world["steward"])
    steward.raise_request_exception = False
    response = steward.post(
        reverse("requests:step", args=[sr.pk, "reply"]),
        {"answer": "已办理", "attachments": [upload("附件.pdf", PDF)]},
    )
    assert response.status_code == 500
    sr.refresh_from_db()
    assert sr.status == Status.HANDLING and not Attachment.objects.exists()
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_a_macro_document_renamed_to_docx_is_refused(world):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
        archive.writestr("word/vbaProject.bin", b"\x00macro")
    _client, response = submit_via_web(world, attachments=[upload("申请.docx", buffer.getvalue())])
    assert response.status_code == 400 and "申请.docx" in response.content.decode()
    assert not ServiceRequest.objects.exists()


# role → (files a request, invites a contact, imports from Excel, sees it as the enterprise)
OFFERS = {
    "enterprise": (True, False, False, True),
    "steward": (True, True, False, False),
    "handler": (False, False, False, False),
    "official": (True, True, True, False),
    "leader": (False, False, False, False),
    "admin": (True, True, True, False),
}


@pytest.mark.parametrize("role", sorted(OFFERS))
def test_what_the_queue_offers_each_role_is_what_its_pages_allow(world, role):
    """requests.access decides; the queue's buttons and the pages behind them agree with it."""
    from guanjia.requests import access

    user = world[role]
    submit, invite, imports, enterprise_side = OFFERS[role]
    assert (
        access.can_submit(user),
        access.can_invite(user),
        access.can_import(user),
        access.is_enterprise_contact(user),
    ) == OFFERS[role]
    client = client_for(user)
    response = client.get(reverse("requests:queue"))
    html = response.content.decode()
    for name, allowed in (("new", submit), ("invite", invite), ("import", imports)):
        assert (f'href="{reverse(f"requests:{name}")}"' in html) == allowed, name
        assert client.get(reverse(f"requests:{name}")).status_code == (200 if allowed else 403)
    # An enterprise's own list: its heading, and no enterprise column.
    with translation.override(response.headers["Content-Language"]):
        heading = translation.gettext(
            "Our requests" if enterprise_side else "Direct line: requests"
        )
    assert f"<h1>{heading}</h1>" in html
    assert html.count("<th>") == (6 if enterprise_side else 7)


def test_a_contact_whose_account_has_no_enterprise_is_offered_no_new_request(world):
    from guanjia.requests import access

    contact = UserFactory(username="t_no_ent", role=Role.ENTERPRISE)
    assert not access.can_submit(contact) and access.is_enterprise_contact(contact)
    client = client_for(contact)
    assert (
        f'href="{reverse("requests:new")}"'
        not in client.get(reverse("requests:queue")).content.decode()
    )
    assert client.get(reverse("requests:new")).status_code == 403
