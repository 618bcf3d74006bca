"""The project page drawn in Python (`projects.page`, the panels' tags) is the HTML its
templates drew: the old templates are kept in tests/old_templates and rendered with the same
data, for every role, in both languages, with values full of `<>&"'`."""

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.template import engines
from django.urls import reverse
from django.utils import translation

from guanjia.accounts.models import Role
from guanjia.approvals import services as approval_services
from guanjia.approvals.loading import load_approval_kinds
from guanjia.approvals.models import ApprovalKind
from guanjia.events import services as event_services
from guanjia.guarantees import services as guarantee_services
from guanjia.projects import services as project_services
from guanjia.projects import views
from guanjia.projects.models import Milestone
from guanjia.projects.stages import Stage
from guanjia.taskforces import services as taskforce_services
from guanjia.testing.factories import EnterpriseFactory, EventFactory, UserFactory

pytestmark = pytest.mark.django_db

OLD = Path(__file__).parent / "old_templates"
NASTY = '<b>"Tom & Jerry\'s"</b>'
ROLES = ["admin", "official", "steward", "handler", "leader", "enterprise"]


def old_template(name: str):  # type: ignore[no-untyped-def]
    return engines["django"].from_string((OLD / name).read_text())


def same_tokens(html: str) -> str:
    """The CSRF token is masked afresh at each use: compare the pages without it."""
    return re.sub(r"\b[A-Za-z0-9]{64}\b", "csrf", html)


@pytest.fixture
def rich_project(users, linghai, own_enterprise):
    """A project with every section filled, its words and names full of `<>&"'`."""
    admin = users["admin"]
    own_enterprise.credit_code = "91210700MA0TEST01X"
    own_enterprise.save()
    steward = UserFactory(username="s_nasty", role=Role.STEWARD, region=linghai)
    steward.display_name = f"{NASTY} 管家"
    steward.save()
    project = project_services.create_project(
        admin,
        name=f"{NASTY} 项目",
        enterprise=own_enterprise,
        region=linghai,
        total_investment_wan=Decimal("80000"),
        funds_in_place_wan=Decimal("20000"),
        planned_investment_year_wan=Decimal("3000"),
        completed_investment_year_wan=Decimal("1234.5"),
        plan_year=2026,
        stage_on=dt.date(2023, 1, 5),
        task_force=f"{NASTY} 专班",
        leader=users["leader"],
        steward=steward,
        construction_content=f"一期 {NASTY}\n二期 & 三期",
    )
    project.partners.add(
        EnterpriseFactory(name=f"{NASTY} 伙伴一"), EnterpriseFactory(name="伙伴二")
    )
    event = EventFactory(name=f"{NASTY} 对接会", region=linghai.parent)
    event.participants.add(own_enterprise)
    event_services.record_signing(
        admin, project=project, government=linghai, signed_on=dt.date(2023, 3, 23),
        amount_wan=Decimal("80000"), event=event,
    )  # fmt: skip
    event_services.record_signing(
        admin, project=project, government=linghai, signed_on=dt.date(2023, 4, 2),
        amount_wan=Decimal("90000"),
    )  # fmt: skip
    project_services.transition(
        project, Stage.REGISTERED, admin, on=dt.date(2023, 5, 8), evidence=f"{NASTY} 执照"
    )
    project.refresh_from_db()
    project_services.transition(
        project, Stage.SIGNED, users["official"], on=dt.date(2023, 5, 9), reason=f"{NASTY} 更正"
    )
    project.refresh_from_db()
    project_services.transition(project, Stage.REGISTERED, admin, on=dt.date(2023, 5, 10))
    project.refresh_from_db()
    Milestone.objects.create(
        project=project, stage=Stage.REGISTERED, planned_on=dt.date(2023, 5, 1), note=NASTY
    )
    Milestone.objects.create(
        project=project, stage=Stage.CONSTRUCTION, planned_on=dt.date(2027, 1, 1)
    )
    project_services.update_project(project, admin, task_force=f"{NASTY} 二期专班")
    project.refresh_from_db()
    # What holds it: an unmet guarantee, an approval item, a late action item.
    guarantee_services.set_guarantee(
        admin, project, "land", department=users["handler"].department, note=NASTY,
        due_on=dt.date(2023, 6, 1), land_mu=Decimal("12.5"),
    )  # fmt: skip
    guarantee_services.set_guarantee(admin, project, "energy", energy_tce=Decimal("3"))
    guarantee_services.set_guarantee(
        admin, project, "finance", finance_needed_wan=Decimal("100.5"), note=NASTY
    )
    guarantee_services.set_guarantee(admin, project, "environment", env_level=NASTY)
    guarantee_services.override(admin, project, Stage.SIGNED, reason=f"{NASTY} 特批")
    load_approval_kinds()
    kind = ApprovalKind.objects.get(name="施工许可")
    kind.department = users["handler"].department
    kind.save()
    approval_services.add_item(project, kind, admin)
    other = ApprovalKind.objects.exclude(pk=kind.pk).first()
    submitted = approval_services.add_item(project, other, admin)
    approval_services.submit(submitted, admin, list(other.materials.all()))
    approval_services.accept(submitted, admin)
    ApprovalKind.objects.filter(
        pk=ApprovalKind.objects.exclude(pk__in=[kind.pk, other.pk]).first().pk
    ).update(name=f"{NASTY} 审批")
    taskforce_services.record_meeting(
        admin, project, held_on=dt.date(2023, 6, 1), title=f"{NASTY} 推进会",
        minutes=f"{NASTY} 协调供地。" * 20,
        items=[{"text": f"{NASTY} 挂牌", "owner": steward, "due_on": dt.date(2023, 6, 20)}],
    )  # fmt: skip
    taskforce_services.record_decision(
        admin, project, subject=f"{NASTY} 议题", decision="同意", decided_by=NASTY,
        decided_on=dt.date(2023, 6, 2),
    )  # fmt: skip
    project.refresh_from_db()
    return project


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("role", ROLES)
def test_the_page_is_the_html_the_old_template_drew(client, users, rich_project, role, language):
    from guanjia.projects import access

    user = rich_project.steward if role == "steward" else users[role]
    if role == "enterprise":
        user.enterprise = rich_project.enterprise
        user.save()
    client.force_login(user)
    url = reverse("projects:project_detail", args=[rich_project.pk])
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    html = response.content.decode()
    request = response.wsgi_request
    with translation.override(language):
        project = access.get_project(request.user, rich_project.pk)  # type: ignore[arg-type]
        context = views.page_context(request, project)  # type: ignore[arg-type]
        expected = old_template("project_detail.html").render(context, request=request)
    html, expected = same_tokens(html), same_tokens(expected)
    if html != expected:  # the first difference, readable
        at = next(i for i, (a, b) in enumerate(zip(html, expected, strict=False)) if a != b)
        assert html[at - 300 : at + 300] == expected[at - 300 : at + 300]
    assert html == expected
    if role in ("admin", "official"):
        # Every section is there, its values escaped.
        for needle in ("对接会", "执照", "更正", "二期专班", "伙伴一", "管家"):
            assert f"&lt;b&gt;&quot;Tom &amp; Jerry&#x27;s&quot;&lt;/b&gt; {needle}" in html
        assert "一期 &lt;b&gt;" in html and "<br>二期 &amp; 三期" in html


def test_the_page_reads_each_thing_once(client, users, rich_project):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(users["admin"])
    url = reverse("projects:project_detail", args=[rich_project.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as seen:
        assert client.get(url).status_code == 200
    tables = [q["sql"].split(" FROM ")[1].split()[0] for q in seen if " FROM " in q["sql"]]
    for table in ("projects_milestone", "accounts_department"):
        assert sum(t.strip('"') == table for t in tables) == 1, tables
    # A role that does not see the task force panel reads none of it.
    client.force_login(users["enterprise"])
    users["enterprise"].enterprise = rich_project.enterprise
    users["enterprise"].save()
    with CaptureQueriesContext(connection) as seen:
        assert client.get(url).status_code == 200
    assert not [q for q in seen if "taskforces_" in q["sql"]]


def panel_request(client, users, project, role):  # type: ignore[no-untyped-def]
    """The request of the project page for the role's user (the panels read its user)."""
    user = project.steward if role == "steward" else users[role]
    if role == "enterprise":
        user.enterprise = project.enterprise
        user.save()
    client.force_login(user)
    response = client.get(reverse("projects:project_detail", args=[project.pk]))
    assert response.status_code == 200
    return response.wsgi_request


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("role", ROLES)
def test_the_approvals_panel_is_the_html_its_template_drew(
    client, users, rich_project, role, language
):
    from guanjia.approvals.templatetags.approvals_tags import panel_context, panel_html

    request = panel_request(client, users, rich_project, role)
    with translation.override(language):
        c = panel_context({"request": request, "csrf_token": "t0ken"}, rich_project)
        assert c["rows"] and c["events"]
        expected = old_template("approvals_panel.html").render(c)
        assert str(panel_html(c)) == expected
    if role == "admin":  # the forms of each status are there
        assert 'name="materials"' in expected and "/approve/" in expected
        assert 'name="kind"' in expected and "&lt;b&gt;" in expected


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("role", ROLES)
def test_the_guarantees_panel_is_the_html_its_template_drew(
    client, users, rich_project, role, language
):
    from guanjia.guarantees.templatetags.guarantees_tags import panel_context, panel_html

    request = panel_request(client, users, rich_project, role)
    with translation.override(language):
        c = panel_context(
            {"request": request, "user": request.user, "csrf_token": "t0ken"}, rich_project
        )
        expected = old_template("guarantees_panel.html").render(c)
        assert str(panel_html(c)) == expected
    if role == "admin":  # every part of it is there
        assert c["blocked"] and c["overrides"] and c["override_form"] and c["missing_kinds"]
        assert 'name="land_mu"' in expected and 'name="finance_needed_wan"' in expected
        assert "&lt;b&gt;" in expected


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("role", ROLES)
def test_the_taskforce_panel_is_the_html_its_template_drew(
    client, users, rich_project, role, language
):
    from guanjia.taskforces.templatetags.taskforce_tags import panel_context, panel_html

    request = panel_request(client, users, rich_project, role)
    with translation.override(language):
        c = panel_context({"request": request, "csrf_token": "t0ken"}, rich_project)
        expected = old_template("taskforce_panel.html").render(c)
        assert str(panel_html(c)) == expected
    if role == "admin":  # every part of it is there
        assert c["late"] and c["meetings"] and c["decisions"] and c["writer"]
        assert "&lt;b&gt;" in expected and "linklike" in expected


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_form_fields_are_the_html_the_include_loop_drew(rich_project, language):
    from guanjia.core.htmlbits import form_fields
    from guanjia.projects.forms import TransitionForm

    loop = engines["django"].from_string(
        '{% for field in form %}{% include "core/_field.html" %}{% endfor %}'
    )
    with translation.override(language):
        for form in (
            TransitionForm(rich_project),
            TransitionForm(rich_project, data={"to_stage": "nowhere", "evidence": NASTY}),
        ):
            form.is_valid()
            expected = loop.render({"form": form})
            assert str(form_fields(form)) == expected
    assert "has-error" in expected and "helptext" in expected and "&lt;b&gt;" in expected
