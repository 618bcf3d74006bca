"""Service records (服务记录): logging, who sees what, the figures, and Excel both ways."""

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
import xlsxwriter
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from python_calamine import CalamineWorkbook

from guanjia.accounts.models import Role, User
from guanjia.core.models import AuditAction, AuditEntry, ImportStatus
from guanjia.requests.models import Category, Rating, ServiceRequest, Status
from guanjia.servicerecords import figures
from guanjia.servicerecords.access import records_for
from guanjia.servicerecords.models import Kind, ServiceRecord
from guanjia.servicerecords.services import delete_service, log_service, update_service
from guanjia.testing import imports
from guanjia.testing.factories import EnterpriseFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
LIST = reverse("servicerecords:list")
CREATE = reverse("servicerecords:create")
FIGURES = reverse("servicerecords:figures")
IMPORT = reverse("servicerecords:import")


@pytest.fixture(autouse=True)
def english(settings, tmp_path):
    # The assertions read the English msgids, whatever the Chinese catalogue says.
    settings.LANGUAGE_CODE = "en"
    settings.TIME_ZONE = "Asia/Shanghai"
    imports.use_immediate_imports(settings, tmp_path)


@pytest.fixture
def world(users, linghai, heishan, own_enterprise):
    """Two stewards, each with an enterprise and a project; records by each."""
    steward = users["steward"]
    steward.display_name = "王管家"
    steward.save()
    other = UserFactory(username="li", display_name="李管家", role=Role.STEWARD, region=heishan)
    own_enterprise.steward = steward
    own_enterprise.save()
    wind = EnterpriseFactory(name="国家电投东北公司", region=heishan, steward=other)
    coke = ProjectFactory(
        name="针状焦项目", enterprise=own_enterprise, region=linghai, steward=steward
    )
    farm = ProjectFactory(name="黑山风电项目", enterprise=wind, region=heishan, steward=other)
    day = dt.date(2024, 3, 5)
    mine = log_service(
        steward,
        enterprise=own_enterprise,
        project=coke,
        kind=Kind.VISIT,
        date=day,
        summary="走访锦州测试自有企业，了解用地需求",
    )
    theirs = log_service(
        other, enterprise=wind, project=farm, kind=Kind.CALL, date=day, summary="电话了解并网进度"
    )
    # Logged by the bureau on the other steward's behalf, about the first steward's enterprise.
    behalf = log_service(
        users["admin"],
        steward=other,
        enterprise=own_enterprise,
        kind=Kind.MEETING,
        date=day,
        summary="座谈协调供电接入",
    )
    return {
        "steward": steward,
        "other": other,
        "own": own_enterprise,
        "wind": wind,
        "coke": coke,
        "farm": farm,
        "mine": mine,
        "theirs": theirs,
        "behalf": behalf,
    }


# --- Logging -----------------------------------------------------------------------------------


def test_a_logged_service_counts_in_the_projects_area_and_is_audited(world, linghai):
    record = world["mine"]
    assert record.region == linghai
    assert record.steward == world["steward"]
    assert record.created_by == world["steward"]
    entry = AuditEntry.objects.get(object_type="servicerecords.servicerecord", object_id=record.pk)
    assert entry.action == AuditAction.CREATE
    assert entry.actor == world["steward"]


def test_the_area_falls_back_to_the_enterprise_then_the_steward(world, heishan, city):
    record = log_service(
        world["other"],
        enterprise=world["wind"],
        kind=Kind.CALL,
        date=dt.date(2024, 3, 1),
        summary="x",
    )
    assert record.region == heishan
    nowhere = EnterpriseFactory(name="外地投资方", region=None, steward=world["steward"])
    record = log_service(
        world["steward"], enterprise=nowhere, kind=Kind.CALL, date=dt.date(2024, 3, 1), summary="y"
    )
    assert record.region == city  # the steward's own region


def test_a_service_cannot_be_logged_in_the_future(world):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    with pytest.raises(ValidationError) as exc:
        log_service(
            world["steward"], enterprise=world["own"], kind=Kind.VISIT, date=tomorrow, summary="x"
        )
    assert "date" in exc.value.message_dict
    assert "future" in exc.value.message_dict["date"][0]
    assert ServiceRecord.objects.count() == 3


def test_the_project_must_belong_to_the_enterprise(world, users):
    with pytest.raises(ValidationError) as exc:
        log_service(
            users["admin"],
            steward=world["steward"],
            enterprise=world["own"],
            project=world["farm"],  # the wind farm belongs to another enterprise
            kind=Kind.VISIT,
            date=dt.date(2024, 3, 6),
            summary="x",
        )
    assert "not a project of" in exc.value.message_dict["project"][0]


def test_a_steward_logs_only_for_enterprises_they_serve_and_only_for_themselves(world):
    with pytest.raises(ValidationError) as exc:
        log_service(
            world["steward"],
            enterprise=world["wind"],
            kind=Kind.CALL,
            date=dt.date(2024, 3, 6),
            summary="x",
        )
    assert "do not serve" in exc.value.message_dict["enterprise"][0]
    with pytest.raises(ValidationError) as exc:
        log_service(
            world["steward"],
            steward=world["other"],
            enterprise=world["own"],
            kind=Kind.CALL,
            date=dt.date(2024, 3, 6),
            summary="x",
        )
    assert "own services" in exc.value.message_dict["steward"][0]


def test_a_problem_solved_counts_at_least_one_problem(world):
    with pytest.raises(ValidationError) as exc:
        log_service(
            world["steward"],
            enterprise=world["own"],
            kind=Kind.PROBLEM_SOLVED,
            date=dt.date(2024, 3, 6),
            summary="协调解决用电问题",
        )
    assert "problems_solved" in exc.value.message_dict


def test_an_official_logs_for_a_steward_in_their_area_only(world, users):
    official = users["official"]  # 凌海市
    record = log_service(
        official,
        steward=world["steward"],
        enterprise=world["own"],
        kind=Kind.POLICY,
        date=dt.date(2024, 3, 7),
        summary="政策宣讲",
    )
    assert record.created_by == official and record.steward == world["steward"]
    with pytest.raises(ValidationError) as exc:
        log_service(
            official,
            steward=world["other"],
            enterprise=world["wind"],  # 黑山县: outside 凌海市
            kind=Kind.CALL,
            date=dt.date(2024, 3, 7),
            summary="x",
        )
    assert set(exc.value.message_dict) >= {"enterprise"}


@pytest.mark.parametrize("role", ["enterprise", "handler", "leader"])
def test_read_only_roles_cannot_log(world, users, role):
    with pytest.raises(PermissionDenied):
        log_service(
            users[role],
            enterprise=world["own"],
            kind=Kind.VISIT,
            date=dt.date(2024, 3, 7),
            summary="x",
        )


def test_corrections_and_deletions_are_audited_and_limited_to_the_owner(world):
    record = world["mine"]
    update_service(record, world["steward"], summary="走访并召开座谈会", kind=Kind.MEETING)
    record.refresh_from_db()
    assert record.kind == Kind.MEETING
    entry = AuditEntry.objects.filter(object_id=record.pk, action=AuditAction.UPDATE).get()
    assert entry.after["summary"] == "走访并召开座谈会"
    with pytest.raises(PermissionDenied):
        update_service(world["theirs"], world["steward"], summary="not mine")
    with pytest.raises(PermissionDenied):
        delete_service(world["theirs"], world["steward"], "录入错误")
    delete_service(record, world["steward"], "录入错误")
    assert not ServiceRecord.objects.filter(pk=record.pk).exists()
    assert AuditEntry.objects.filter(object_id=record.pk, action=AuditAction.DELETE).exists()


# --- Who sees what -----------------------------------------------------------------------------

SEES = [
    ("admin", {"mine", "theirs", "behalf"}),
    ("official", {"mine", "behalf"}),  # 凌海市 only
    ("leader", {"mine", "theirs", "behalf"}),
    ("steward", {"mine"}),  # their own, not another's about their enterprise
    ("other", {"theirs", "behalf"}),
    ("enterprise", {"mine", "behalf"}),  # records about their own enterprise
    ("handler", set()),
]


def _user(users, world, who):
    return world["other"] if who == "other" else users[who]


@pytest.mark.parametrize(("who", "expected"), SEES)
def test_who_sees_which_records(client, users, world, who, expected):
    user = _user(users, world, who)
    visible = set(records_for(user).values_list("pk", flat=True))
    assert visible == {world[name].pk for name in expected}
    client.force_login(user)
    response = client.get(LIST)
    if who == "enterprise":  # the stewards' log is the bureau's, not the enterprise's to read
        assert response.status_code == 403
        return
    page = response.content.decode()
    for name in ("mine", "theirs", "behalf"):
        assert (world[name].summary in page) == (name in expected), name


ACTIONS = [
    # (role, action, expected status)
    ("admin", "log", 200),
    ("official", "log", 200),
    ("steward", "log", 200),
    ("leader", "log", 403),
    ("enterprise", "log", 403),
    ("handler", "log", 403),
    ("steward", "edit_own", 200),
    ("steward", "edit_other", 404),
    ("official", "edit_in_area", 200),
    ("official", "edit_outside", 404),
    ("leader", "edit_in_area", 403),
    ("enterprise", "edit_in_area", 403),
    ("handler", "edit_in_area", 404),
    ("admin", "figures", 200),
    ("official", "figures", 200),
    ("leader", "figures", 200),
    ("steward", "figures", 200),
    ("enterprise", "figures", 403),
    ("handler", "figures", 403),
    ("enterprise", "import", 403),
    ("steward", "import", 200),
]


@pytest.mark.parametrize(("role", "action", "status"), ACTIONS)
def test_permission_table(client, users, world, role, action, status):
    client.force_login(users[role])
    url = {
        "log": CREATE,
        "edit_own": reverse("servicerecords:edit", args=[world["mine"].pk]),
        "edit_other": reverse("servicerecords:edit", args=[world["theirs"].pk]),
        "edit_in_area": reverse("servicerecords:edit", args=[world["mine"].pk]),
        "edit_outside": reverse("servicerecords:edit", args=[world["theirs"].pk]),
        "figures": FIGURES,
        "import": IMPORT,
    }[action]
    assert client.get(url).status_code == status


def test_an_enterprise_contact_cannot_post_a_service(client, users, world):
    client.force_login(users["enterprise"])
    response = client.post(
        CREATE,
        {
            "enterprise": world["own"].pk,
            "kind": "visit",
            "date": "2024-03-05",
            "summary": "x",
            "problems_solved": 0,
        },
    )
    assert response.status_code == 403
    assert ServiceRecord.objects.count() == 3


# --- The web form ------------------------------------------------------------------------------


def test_the_steward_form_offers_only_the_enterprises_they_serve(client, world):
    client.force_login(world["steward"])
    page = client.get(CREATE).content.decode()
    assert 'name="steward"' not in page  # a steward logs for themselves
    assert world["own"].name in page
    assert world["wind"].name not in page
    assert 'type="date"' in page


def test_the_project_select_follows_the_enterprise(client, users, world):
    client.force_login(users["admin"])
    url = reverse("servicerecords:dependent_fields")
    page = client.get(url, {"enterprise": world["own"].pk}).content.decode()
    assert world["coke"].name in page
    assert world["farm"].name not in page


def test_a_steward_logs_a_service_from_the_form(client, world):
    client.force_login(world["steward"])
    response = client.post(
        CREATE,
        {
            "enterprise": world["own"].pk,
            "project": world["coke"].pk,
            "kind": "problem_solved",
            "date": "2024-03-08",
            "summary": "协调解决施工用电",
            "problems_solved": 2,
        },
    )
    assert response.status_code == 302
    record = ServiceRecord.objects.get(summary="协调解决施工用电")
    assert record.steward == world["steward"] and record.problems_solved == 2
    assert "协调解决施工用电" in client.get(LIST).content.decode()


def test_the_form_says_what_is_wrong_and_saves_nothing(client, users, world):
    client.force_login(users["admin"])
    future = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    response = client.post(
        CREATE,
        {
            "steward": world["steward"].pk,
            "enterprise": world["own"].pk,
            "project": world["farm"].pk,
            "kind": "visit",
            "date": future,
            "summary": "x",
            "problems_solved": 0,
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "cannot be logged in the future" in page
    assert ServiceRecord.objects.count() == 3


def test_the_list_filters_by_kind_and_searches(client, users, world):
    client.force_login(users["admin"])
    page = client.get(LIST, {"kind": "call"}).content.decode()
    assert world["theirs"].summary in page and world["mine"].summary not in page
    page = client.get(LIST, {"q": "国家电投"}).content.decode()
    assert world["theirs"].summary in page and world["behalf"].summary not in page


# --- Figures -----------------------------------------------------------------------------------


def _request(n, enterprise, region, category, **fields):
    fields.setdefault("status", Status.CLOSED)
    return ServiceRequest.objects.create(
        number=f"ZT2024{n:04d}",
        enterprise=enterprise,
        region=region,
        category=category,
        title=f"诉求{n}",
        text="需要协调",
        submitted_at=dt.datetime(2024, 1, 2, 9, tzinfo=SHANGHAI),
        **fields,
    )


@pytest.fixture
def january(users, city, linghai, heishan, own_enterprise):
    """Records and requests with known figures for January 2024."""
    s1 = users["steward"]  # region: the city
    s2 = UserFactory(username="s2", role=Role.STEWARD, region=heishan)
    s3 = UserFactory(username="s3", role=Role.STEWARD, region=linghai)  # no services
    UserFactory(username="gone", role=Role.STEWARD, region=linghai, is_active=False)
    ent_a, ent_b = own_enterprise, EnterpriseFactory(region=heishan)
    ent_c = EnterpriseFactory(region=heishan)

    def rec(steward, enterprise, region, day, problems=0):
        ServiceRecord.objects.create(
            steward=steward,
            enterprise=enterprise,
            region=region,
            kind=Kind.PROBLEM_SOLVED if problems else Kind.VISIT,
            date=day,
            summary="服务",
            problems_solved=problems,
        )

    rec(s1, ent_a, linghai, dt.date(2024, 1, 3))
    rec(s1, ent_a, linghai, dt.date(2024, 1, 31), problems=2)
    rec(s1, ent_c, heishan, dt.date(2024, 1, 1), problems=1)
    rec(s1, ent_a, linghai, dt.date(2023, 12, 31), problems=5)  # before the period
    rec(s2, ent_b, heishan, dt.date(2024, 1, 15))

    category = Category.objects.create(code="land", name="用地")
    # Answered at 23:30 on the last day (in the period), by the steward themselves.
    _request(
        1, ent_a, linghai, category, steward=s1, assignee=s1,
        replied_at=dt.datetime(2024, 1, 31, 23, 30, tzinfo=SHANGHAI), on_time=True,
        rating=Rating.SATISFIED, rated_at=dt.datetime(2024, 1, 31, 23, 45, tzinfo=SHANGHAI),
    )  # fmt: skip
    # Owned by s1, answered late by s2, rated unsatisfied: counts for both.
    _request(
        2, ent_b, heishan, category, steward=s1, assignee=s2,
        replied_at=dt.datetime(2024, 1, 15, 10, tzinfo=SHANGHAI), on_time=False,
        rating=Rating.UNSATISFIED, rated_at=dt.datetime(2024, 1, 20, 10, tzinfo=SHANGHAI),
    )  # fmt: skip
    # Answered in December by a department handler, rated in January.
    _request(
        3, ent_b, heishan, category, steward=s2, assignee=users["handler"],
        replied_at=dt.datetime(2023, 12, 30, 10, tzinfo=SHANGHAI), on_time=True,
        rating=Rating.BASICALLY, rated_at=dt.datetime(2024, 1, 3, 10, tzinfo=SHANGHAI),
    )  # fmt: skip
    # Answered half an hour after the period ends.
    _request(
        4, ent_a, linghai, category, steward=s1, assignee=s1,
        replied_at=dt.datetime(2024, 2, 1, 0, 30, tzinfo=SHANGHAI), on_time=True,
    )  # fmt: skip
    # Still open: not answered, not rated.
    _request(5, ent_a, linghai, category, steward=s1, status=Status.HANDLING)
    return {"s1": s1, "s2": s2, "s3": s3}


JAN = {"start": dt.date(2024, 1, 1), "end": dt.date(2024, 1, 31)}


def test_steward_figures_are_computed_from_records_and_requests(january):
    rows = {r.steward.username: r for r in figures.steward_figures(None, **JAN)}
    assert set(rows) == {"t_steward", "s2", "s3"}  # active stewards; the inactive one is not
    s1, s2, s3 = rows["t_steward"], rows["s2"], rows["s3"]
    assert (s1.services, s1.problems_solved, s1.enterprises) == (3, 3, 2)
    assert (s1.requests_handled, s1.answered_on_time, s1.on_time_rate) == (2, 1, 0.5)
    assert (s1.rated, s1.satisfied, s1.satisfaction_rate) == (2, 1, 0.5)
    assert (s2.services, s2.problems_solved, s2.enterprises) == (1, 0, 1)
    assert (s2.requests_handled, s2.on_time_rate) == (1, 0.0)
    assert (s2.rated, s2.satisfied, s2.satisfaction_rate) == (2, 1, 0.5)
    assert (s3.services, s3.requests_handled, s3.on_time_rate, s3.satisfaction_rate) == (
        0,
        0,
        None,
        None,
    )
    # Most services first.
    assert [r.steward.username for r in figures.steward_figures(None, **JAN)][0] == "t_steward"


def test_steward_figures_within_an_area(january, linghai):
    rows = {r.steward.username: r for r in figures.steward_figures(None, region=linghai, **JAN)}
    # The area's own stewards, and anyone who served there.
    assert set(rows) == {"t_steward", "s3"}
    s1 = rows["t_steward"]
    assert (s1.services, s1.problems_solved, s1.enterprises, s1.requests_handled) == (2, 2, 1, 1)
    assert s1.satisfaction_rate == 1.0


def test_area_figures_one_row_per_child_region(january, city, linghai, heishan):
    rows = {r.region.code: r for r in figures.area_figures(city, **JAN) if not r.direct}
    assert (
        rows["210781"].services,
        rows["210781"].problems_solved,
        rows["210781"].enterprises,
    ) == (2, 2, 1)
    assert (
        rows["210726"].services,
        rows["210726"].problems_solved,
        rows["210726"].enterprises,
    ) == (2, 1, 2)
    assert (rows["210781"].requests_handled, rows["210781"].on_time_rate) == (1, 1.0)
    assert (rows["210726"].requests_handled, rows["210726"].on_time_rate) == (1, 0.0)
    assert (rows["210726"].rated, rows["210726"].satisfaction_rate) == (2, 0.5)
    assert rows["210781"].active_stewards == 1 and rows["210726"].active_stewards == 1
    assert rows["210702"].services == 0  # 古塔区: listed, with nothing
    direct = [r for r in figures.area_figures(city, **JAN) if r.direct]
    assert len(direct) == 1 and direct[0].active_stewards == 1  # the city-level steward


def test_totals_are_the_headline_figures(january, city, linghai):
    total = figures.totals(JAN["start"], JAN["end"])
    assert (total.services, total.problems_solved, total.enterprises) == (4, 3, 3)
    assert (total.requests_handled, total.answered_on_time) == (2, 1)  # each request once
    assert (total.rated, total.satisfied) == (3, 2)
    assert (total.active_stewards, total.stewards_serving) == (3, 2)
    in_linghai = figures.totals(JAN["start"], JAN["end"], linghai)
    assert (in_linghai.services, in_linghai.active_stewards) == (2, 1)
    assert figures.totals(JAN["start"], JAN["end"], city).services == 4


def test_the_figures_page_shows_the_area_table_and_chart(client, users, january):
    client.force_login(users["admin"])
    response = client.get(FIGURES, {"period": "custom", "start": "2024-01-01", "end": "2024-01-31"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "凌海市" in page and "黑山县" in page
    assert 'class="barchart"' in page and "pct-100" in page
    assert ">s2<" in page and "50.0%" in page


def test_a_steward_sees_only_their_own_figures(client, users, january):
    client.force_login(users["steward"])
    page = client.get(
        FIGURES, {"period": "custom", "start": "2024-01-01", "end": "2024-01-31"}
    ).content.decode()
    assert "My figures" in page
    assert ">s2<" not in page and ">s3<" not in page
    assert "By area" not in page


def test_the_figures_sort_by_a_column(client, users, january):
    client.force_login(users["admin"])
    params = {"period": "custom", "start": "2024-01-01", "end": "2024-01-31", "sort": "name"}
    page = client.get(FIGURES, params).content.decode()
    assert page.index(">s2<") < page.index(">s3<")
    params["sort"] = "-name"
    page = client.get(FIGURES, params).content.decode()
    assert page.index(">s3<") < page.index(">s2<")


def test_figures_take_a_constant_number_of_queries(
    city, linghai, heishan, django_assert_max_num_queries
):
    regions = [linghai, heishan]
    stewards = User.objects.bulk_create(
        User(username=f"bulk{i}", role=Role.STEWARD, region=regions[i % 2]) for i in range(400)
    )
    enterprises = [EnterpriseFactory(region=regions[i % 2]) for i in range(20)]
    ServiceRecord.objects.bulk_create(
        ServiceRecord(
            steward=stewards[i % 400],
            enterprise=enterprises[i % 20],
            region=regions[i % 2],
            kind=Kind.VISIT,
            date=dt.date(2024, 1, 1 + i % 28),
            summary="走访",
            problems_solved=i % 3,
        )
        for i in range(4000)
    )
    category = Category.objects.create(code="c", name="c")
    ServiceRequest.objects.bulk_create(
        ServiceRequest(
            number=f"B{i}",
            enterprise=enterprises[i % 20],
            region=regions[i % 2],
            category=category,
            title="t",
            text="t",
            submitted_at=dt.datetime(2024, 1, 2, tzinfo=SHANGHAI),
            steward=stewards[i % 400],
            assignee=stewards[(i + 1) % 400],
            replied_at=dt.datetime(2024, 1, 10, tzinfo=SHANGHAI),
            on_time=i % 2 == 0,
            rating=Rating.SATISFIED,
            rated_at=dt.datetime(2024, 1, 11, tzinfo=SHANGHAI),
        )
        for i in range(800)
    )
    with django_assert_max_num_queries(5):
        rows = figures.steward_figures(None, **JAN)
    assert len(rows) == 400 and sum(r.services for r in rows) == 4000
    assert sum(r.requests_handled for r in rows) == 1600  # steward and assignee each
    with django_assert_max_num_queries(4):
        areas = figures.area_figures(city, **JAN)
    assert sum(a.services for a in areas) == 4000
    with django_assert_max_num_queries(3):
        assert figures.totals(JAN["start"], JAN["end"], city).services == 4000


def test_the_figures_page_query_count_does_not_grow_with_stewards(
    client, users, city, linghai, django_assert_max_num_queries
):
    User.objects.bulk_create(
        User(username=f"many{i}", role=Role.STEWARD, region=linghai) for i in range(300)
    )
    client.force_login(users["admin"])
    with django_assert_max_num_queries(25):
        assert client.get(FIGURES).status_code == 200


# --- Excel -------------------------------------------------------------------------------------


def _sheet(content: bytes, name: str | None = None) -> list[list]:
    workbook = CalamineWorkbook.from_filelike(io.BytesIO(content))
    sheet = workbook.get_sheet_by_name(name) if name else workbook.get_sheet_by_index(0)
    return sheet.to_python()


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_the_list_exports_to_excel_with_its_filters(client, users, world):
    client.force_login(users["admin"])
    response = client.get(reverse("servicerecords:export"))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    rows = _sheet(_body(response))
    assert rows[0][:7] == ["日期", "管家", "企业", "统一社会信用代码", "项目", "方式", "内容"]
    assert len(rows) == 4
    mine = next(r for r in rows if r[6] == world["mine"].summary)
    assert mine[0] == dt.date(2024, 3, 5)
    assert (mine[1], mine[2], mine[4], mine[5]) == (
        "王管家",
        world["own"].name,
        "针状焦项目",
        "走访",
    )
    rows = _sheet(_body(client.get(reverse("servicerecords:export"), {"kind": "call"})))
    assert len(rows) == 2 and rows[1][6] == world["theirs"].summary


def test_the_export_holds_only_what_the_user_sees(client, world):
    client.force_login(world["steward"])
    rows = _sheet(_body(client.get(reverse("servicerecords:export"))))
    assert [r[6] for r in rows[1:]] == [world["mine"].summary]


def test_the_figures_export_to_excel(client, users, january):
    client.force_login(users["admin"])
    params = {"period": "custom", "start": "2024-01-01", "end": "2024-01-31"}
    response = client.get(reverse("servicerecords:figures_export"), params)
    content = _body(response)
    stewards = _sheet(content, "Stewards")
    assert stewards[0][:4] == ["Steward", "Username", "Area", "Services"]
    by_name = {r[1]: r for r in stewards[1:]}
    assert by_name["t_steward"][3:7] == [3, 3, 2, 2]
    assert by_name["t_steward"][7] == pytest.approx(0.5)
    areas = {r[0]: r for r in _sheet(content, "Areas")[1:]}
    assert areas["凌海市"][2] == 2
    summary = _sheet(content, "Summary")
    assert ["Services", 4] in [r[:2] for r in summary]


def _xlsx(tmp_path, rows, name="services.xlsx"):
    path = tmp_path / name
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet()
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, dt.date):
                sheet.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date_format)
            elif value is not None:
                sheet.write(r, c, value)
    workbook.close()
    return path


HEADER = ["日期", "管家", "企业", "项目", "方式", "内容", "解决问题数"]


def _upload(client, path):
    """Upload, check and confirm when it may be imported: the job and its page."""
    with open(path, "rb") as fh:
        return imports.import_file(client, "servicerecords", fh)


def test_a_good_file_imports_every_row(client, tmp_path, world):
    path = _xlsx(
        tmp_path,
        [
            HEADER,
            [
                dt.date(2024, 3, 10),
                "王管家",
                world["own"].name,
                "针状焦项目",
                "走访",
                "上门了解用地进度",
                None,
            ],
            ["2024/3/11", "", world["own"].credit_code, None, "解决问题", "协调解决施工用水", None],
            [
                dt.date(2024, 3, 12),
                "t_steward",
                world["own"].name,
                None,
                "座谈",
                "召开企业座谈会",
                2,
            ],
        ],
    )
    client.force_login(world["steward"])
    job, page = _upload(client, path)
    assert job.status == ImportStatus.COMMITTED, job.result
    assert "3 rows imported" in page and LIST in page
    new = ServiceRecord.objects.filter(created_by=world["steward"], date__gte=dt.date(2024, 3, 10))
    by_text = {r.summary: r for r in new}
    assert set(by_text) == {"上门了解用地进度", "协调解决施工用水", "召开企业座谈会"}
    assert by_text["上门了解用地进度"].project == world["coke"]
    assert by_text["协调解决施工用水"].kind == Kind.PROBLEM_SOLVED
    assert by_text["协调解决施工用水"].problems_solved == 1  # a problem solved counts one
    assert (
        by_text["召开企业座谈会"].kind == Kind.MEETING
        and by_text["召开企业座谈会"].problems_solved == 2
    )
    assert AuditEntry.objects.filter(note="import").count() == 3
    assert "协调解决施工用水" in client.get(LIST).content.decode()
    # The same file again writes nothing new.
    job, page = _upload(client, path)
    assert job.counts["to_create"] == 0 and not job.can_commit
    assert "row 2 is already recorded as service no." in page
    assert new.count() == 3


def test_a_bad_row_writes_nothing_and_says_where(client, tmp_path, world):
    future = timezone.localdate() + dt.timedelta(days=2)
    path = _xlsx(
        tmp_path,
        [
            HEADER,
            [dt.date(2024, 3, 10), "", world["own"].name, None, "走访", "上门了解用地进度", None],
            [future, "", world["own"].name, None, "走访", "未来的服务", None],
            [dt.date(2024, 3, 11), "", "没有这家企业", None, "走访", "x", None],
            [dt.date(2024, 3, 11), "", world["own"].name, "黑山风电项目", "打球", "y", "两个"],
        ],
    )
    before = ServiceRecord.objects.count()
    client.force_login(world["steward"])
    job, shown = _upload(client, path)
    assert job.status == ImportStatus.VALIDATED and not job.can_commit
    assert "Nothing was imported" in shown
    page = imports.errors_on(shown)
    assert "row 3, column A “日期”" in page and "future" in page
    assert "row 4, column C “企业”" in page and "没有这家企业" in page
    assert "row 5, column D “项目”" in page
    assert "row 5, column E “方式”" in page and "打球" in page
    assert "row 5, column G “解决问题数”" in page
    assert ServiceRecord.objects.count() == before


def test_an_official_imports_for_stewards_and_must_name_them(client, tmp_path, users, world):
    path = _xlsx(
        tmp_path,
        [
            ["序号", *HEADER],
            [1, dt.date(2024, 3, 10), "王管家", world["own"].name, None, "电话", "电话回访", 0],
            [2, dt.date(2024, 3, 10), None, world["own"].name, None, "电话", "电话回访二", 0],
        ],
    )
    client.force_login(users["official"])
    job, page = _upload(client, path)
    assert not job.can_commit
    assert "row 3, column C “管家”" in imports.errors_on(page)
    assert not ServiceRecord.objects.filter(summary__startswith="电话回访").exists()


def test_a_file_without_the_required_columns_is_refused(client, tmp_path, world):
    path = _xlsx(tmp_path, [["名称", "金额"], ["x", 1]])
    client.force_login(world["steward"])
    job, page = _upload(client, path)
    assert job.status == ImportStatus.FAILED
    assert "lacks the required columns" in page


def test_an_area_without_sub_areas_is_one_row(january, linghai):
    rows = figures.area_figures(linghai, **JAN)
    assert len(rows) == 1 and rows[0].region == linghai and not rows[0].direct
    assert (rows[0].services, rows[0].active_stewards) == (2, 1)


def test_an_official_sees_their_own_area_in_the_figures(client, users, january):
    client.force_login(users["official"])
    page = client.get(
        FIGURES, {"period": "custom", "start": "2024-01-01", "end": "2024-01-31"}
    ).content.decode()
    assert "凌海市" in page and "黑山县" not in page
    assert "(directly)" not in page
    assert ">s3<" in page and ">s2<" not in page  # 凌海's steward; not 黑山's


def test_a_record_of_a_steward_who_has_left_can_still_be_corrected(world, users):
    other = world["other"]
    other.is_active = False
    other.save()
    record = update_service(world["theirs"], users["admin"], summary="电话了解并网进度（补记）")
    assert record.summary.endswith("（补记）") and record.steward == other
    with pytest.raises(ValidationError) as exc:
        log_service(
            users["admin"], steward=other, enterprise=world["wind"], kind=Kind.CALL,
            date=dt.date(2024, 3, 9), summary="x",
        )  # fmt: skip
    assert "not an active steward" in exc.value.message_dict["steward"][0]


def test_the_exported_list_has_the_importers_headers_and_reads_back_as_recorded(
    client, users, world
):
    from guanjia.servicerecords.importers import check_file

    client.force_login(users["admin"])
    content = _body(client.get(reverse("servicerecords:export")))
    rows = _sheet(content)
    assert rows[0] == [
        "日期", "管家", "企业", "统一社会信用代码", "项目", "方式", "内容", "解决问题数",
        "所属地区", "诉求编号",
    ]  # fmt: skip
    result = check_file(io.BytesIO(content), users["admin"])
    assert result.ok, result.messages
    assert result.to_create == 0 and len(result.skipped) == len(rows) - 1
