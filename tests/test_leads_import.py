"""Importing another office's lead list (招商线索台账) from Excel: messy headers, units, dates and
statuses read; investors matched or created; bad rows named, nothing written; the export
imports back; each role imports only what it may name."""

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
import xlsxwriter
from django.urls import reverse
from django.utils import timezone

from guanjia.core.models import AuditEntry, ImportStatus
from guanjia.enterprises.models import Enterprise
from guanjia.leads import services
from guanjia.leads.models import Lead, Status
from guanjia.testing import imports
from guanjia.testing.factories import EnterpriseFactory, UserFactory, credit_code

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings, tmp_path):
    settings.LANGUAGE_CODE = "en"
    imports.use_immediate_imports(settings, tmp_path)


def messy(rows: list[list[Any]], title: str = "2025年凌海市招商线索台账") -> io.BytesIO:
    """A sheet as another office keeps it: a merged title row, a blank row, then the header."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    page = book.add_worksheet("线索")
    page.merge_range(0, 0, 0, max(len(r) for r in rows) - 1, title)
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(row):
            if value is not None:
                page.write(r, c, value)
    book.close()
    buffer.seek(0)
    buffer.name = "线索台账.xlsx"
    return buffer


HEADER = [
    "序号", "项目名称", "投资方", "拟投资额(亿元)", "产业类别", "线索来源", "跟踪人", "所属区县",
    "进展情况", "用地(亩)", "用电负荷(kVA)", "用工人数", "获取日期", "下次跟进日期", "原因",
]  # fmt: skip


@pytest.fixture
def world(users, linghai, heishan, industries):
    industry = next(iter(industries.values()))
    known = EnterpriseFactory(
        name="国家电投集团东北电力有限公司", credit_code=None, home_city="沈阳市", region=None
    )
    return {**users, "industry": industry, "known": known, "linghai": linghai, "heishan": heishan}


def _job(client: Any, user: Any, file: io.BytesIO) -> tuple[Any, str]:
    client.force_login(user)
    return imports.import_file(client, "leads", file)


def test_a_messy_sheet_with_other_headers_imports(client, world):
    today = timezone.localdate()
    serial = (dt.date(2025, 3, 5) - dt.date(1899, 12, 30)).days
    rows = [
        HEADER,
        [1, "海上风电装备制造基地", "国家电投集团东北电力有限责任公司", "３.５", world["industry"].name,
         "央企对接", "t_official", "凌海市", "在谈", "１２０", 20000, "３００人", serial,
         "2025年4月1日", None],
        [None] * len(HEADER),  # a blank row
        [2, "新材料产业园", "锦州华创新材料科技有限公司", "5000万元", "", "展会", "", "凌海市",
         "初步接触", "", "", "", "2025.3.5", None, None],
        [3, "储能电站", "国家电投集团东北电力有限公司", 2, "", "以商招商", "", "凌海市",
         "暂缓", "", "", "", "2025-02-01", None, "等待电网接入批复"],
    ]  # fmt: skip
    job, page = _job(client, world["official"], messy(rows))

    assert job.status == ImportStatus.COMMITTED, imports.errors_on(page) or job.result
    assert job.counts["created"] == 3
    wind = Lead.objects.get(name="海上风电装备制造基地")
    assert wind.investor == world["known"]  # a look-alike name is the known investor
    assert wind.investment_wan == Decimal("35000")  # 3.5亿元 in 万元
    assert wind.status == Status.NEGOTIATING and wind.industry == world["industry"]
    assert wind.land_mu == Decimal("120") and wind.power_kva == Decimal("20000")
    assert wind.workers == 300 and wind.source == "central_soe"
    assert wind.lead_on == dt.date(2025, 3, 5) and wind.next_follow_up_on == dt.date(2025, 4, 1)
    assert wind.owner == world["official"] and wind.region == world["linghai"]
    new = Lead.objects.get(name="新材料产业园")
    assert new.investor.name == "锦州华创新材料科技有限公司" and new.investor.region is None
    assert new.investment_wan == Decimal("5000") and new.status == Status.CONTACT
    assert new.lead_on == dt.date(2025, 3, 5) and new.source == "expo"
    paused = Lead.objects.get(name="储能电站")
    assert paused.investor == world["known"] and paused.status == Status.PAUSED
    assert paused.status_reason == "等待电网接入批复"
    assert paused.paused_on <= today
    # Every created row is audited: the leads, their steps, the new investor.
    for obj in (wind, new, paused, new.investor):
        assert AuditEntry.objects.filter(
            object_id=str(obj.pk), object_type=obj._meta.label_lower
        ).exists(), obj


def test_a_bad_row_is_named_by_row_and_column_and_nothing_is_written(client, world):
    rows = [
        HEADER,
        [1, "好项目", "国家电投集团东北电力有限公司", "1", "", "央企对接", "", "凌海市", "线索",
         "", "", "", "2025-01-05", None, None],
        [2, "坏项目", "某新公司有限公司", "三点五个亿吧", "", "央企对接", "张三", "凌海市",
         "谈崩了", "", "", "", "2025-01-05", None, None],
    ]  # fmt: skip
    leads, enterprises = Lead.objects.count(), Enterprise.objects.count()
    job, page = _job(client, world["official"], messy(rows))

    assert not job.can_commit and job.status == ImportStatus.VALIDATED
    errors = imports.errors_on(page)
    assert "row 5, column D “拟投资额(亿元)”" in errors, errors  # the malformed amount
    assert "row 5, column G “跟踪人”" in errors, errors  # an owner nobody may name
    assert "row 5, column I “进展情况”" in errors, errors  # an unknown status
    assert "Nothing was imported" in page
    imports.confirm(client, "leads", job)  # pressing anyway
    assert (Lead.objects.count(), Enterprise.objects.count()) == (leads, enterprises)


def test_the_errors_are_in_chinese(client, world, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    rows = [HEADER, [1, "坏项目", "某新公司有限公司", "1", "", "央企对接", "", "凌海市", "谈崩了",
                     "", "", "", "", None, None]]  # fmt: skip
    job, _page = _job(client, world["official"], messy(rows))
    reason = job.result["errors"][0]["reason"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in reason.replace("谈崩了", "")), reason


def test_the_export_imports_back(client, world, linghai):
    admin, official = world["admin"], world["official"]
    other = EnterpriseFactory(
        name="锦州汉拿电机有限公司", credit_code=credit_code(), region=linghai
    )
    made = [
        services.create_lead(
            official, investor=world["known"], name="海上风电", region=linghai,
            source="central_soe", investment_wan=Decimal("500000"), land_mu=Decimal("120.5"),
            power_kva=Decimal("20000"), workers=300, industry=world["industry"],
            notes="第一期",
        ),
        services.create_lead(
            official, investor=other, name="电机扩产", region=linghai, source="by_business",
            investment_wan=Decimal("12000"),
        ),
        services.create_lead(
            official, investor=other, name="电机研发中心", region=linghai, source="expo",
        ),
    ]  # fmt: skip
    services.take_step(made[0], "negotiate", official)
    services.take_step(made[1], "pause", official, reason="资金未落实")
    services.take_step(made[2], "sign", official)
    fields = (
        "name", "investor_id", "industry_id", "investment_wan", "land_mu", "power_kva",
        "workers", "source", "region_id", "department_id", "owner_id", "status",
        "status_reason", "lead_on", "signed_on", "project_id", "notes",
    )  # fmt: skip
    before = sorted(Lead.objects.values_list(*fields))
    client.force_login(official)
    exported = io.BytesIO(b"".join(client.get(reverse("leads:export")).streaming_content))
    exported.name = "leads.xlsx"
    Lead.objects.all().delete()

    job, page = imports.import_file(client, "leads", exported)

    assert job.status == ImportStatus.COMMITTED, imports.errors_on(page) or job.result
    assert sorted(Lead.objects.values_list(*fields)) == before
    assert Enterprise.objects.filter(name__in=["锦州汉拿电机有限公司"]).count() == 1
    # Imported again: every lead is there already, nothing doubles.
    job, page = imports.import_file(client, "leads", exported)
    assert Lead.objects.count() == 3 and not job.can_commit
    assert admin  # the admin sees the same leads on the list


@pytest.mark.parametrize(
    "role, status",
    [("enterprise", 404), ("handler", 404), ("leader", 403), ("steward", 200),
     ("official", 200), ("admin", 200)],
)  # fmt: skip
def test_who_may_open_the_import_page(client, world, role, status):
    client.force_login(world[role])
    assert client.get(reverse("leads:import")).status_code == status


def test_the_import_is_linked_from_the_list_for_those_who_may_import(client, world):
    client.force_login(world["official"])
    assert reverse("leads:import") in client.get(reverse("leads:list")).content.decode()
    client.force_login(world["leader"])
    assert reverse("leads:import") not in client.get(reverse("leads:list")).content.decode()


def test_an_area_official_imports_only_into_their_area(client, world):
    outsider = EnterpriseFactory(
        name="黑山县本地企业有限公司", credit_code=credit_code(), region=world["heishan"]
    )
    heishan_owner = UserFactory(
        username="hs_official", role="area_official", region=world["heishan"]
    )
    header = ["项目名称", "投资主体", "统一社会信用代码", "所属区县", "负责人", "来源"]
    rows = [
        header,
        ["甲项目", "甲公司", "", "黑山县", "", "展会"],  # another area
        ["乙项目", "", outsider.credit_code, "凌海市", "", "展会"],  # another area's enterprise
        ["丙项目", "丙公司", "", "凌海市", "hs_official", "展会"],  # another area's official
    ]
    job, page = _job(client, world["official"], messy(rows))
    errors = imports.errors_on(page)
    assert "row 4, column D “所属区县”" in errors, errors
    assert "row 5, column C “统一社会信用代码”" in errors, errors
    assert "row 6, column E “负责人”" in errors, errors
    assert not job.can_commit and not Lead.objects.exists()
    assert heishan_owner.pk
    # The city admin may name all three.
    job, page = _job(client, world["admin"], messy(rows))
    assert job.status == ImportStatus.COMMITTED, imports.errors_on(page)
    assert Lead.objects.get(name="乙项目").investor == outsider
    assert Lead.objects.get(name="丙项目").owner == heishan_owner
