"""Ingest on the wording real reports use (issue 15, items 3 and 5): each family of phrasing
with sentences written for these tests, then accepting from the review page (every field a
proposal needs is on its card, an accepted event keeps its figures) and the page's words."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from guanjia.events.models import Event, Signing
from guanjia.ingest import gazetteer
from guanjia.ingest.extract import extract, normalise
from guanjia.ingest.models import IngestedDocument, Kind, Status
from guanjia.projects.models import Project
from guanjia.projects.stages import Stage
from tests.conftest import PASSWORD

REGIONS = gazetteer.from_file()


def read(text: str, published: dt.date | None = None) -> dict:
    return extract(normalise(text), published=published, regions=REGIONS)


def values(record: dict) -> dict:
    return {k: v["value"] if isinstance(v, dict) else v for k, v in record.items()}


# -- events --------------------------------------------------------------------------------


def test_one_sentence_item_host_before_the_event_noun():
    result = read(
        "4月10日，锦州市在深圳举办招商推介会，现场签约项目12个，总投资86.5亿元。",
        published=dt.date(2025, 4, 11),
    )
    (event,) = result["events"]
    got = values(event)
    assert got["date"] == "2025-04-10"
    assert (got["name"], got["place"], got["region"]) == ("招商推介会", "深圳", "锦州市")
    assert (got["signing_count"], got["investment_yuan"]) == (12, "8650000000")
    assert got["kind"] == "promotion"


@pytest.mark.parametrize(
    "body, signings, money",
    [
        ("活动现场，签约项目9个，投资总额41亿元。", 9, "4100000000"),
        ("会上，共有14个项目签约，投资额达20.5亿元。", 14, "2050000000"),
        ("对接会上，6个项目集中签约，协议投资18亿元。", 6, "1800000000"),
        ("洽谈会现场完成重点项目签约11个，计划投资总额超30亿元。", 11, "3000000000"),
    ],
)
def test_the_events_figures_in_the_next_paragraph(body, signings, money):
    text = (
        "简报\n\n6月3日，义县在北京举办农产品精深加工洽谈会。"
        "来自全国9个城市的37家企业参加。\n\n" + body + "\n"
    )
    (event,) = read(text, published=dt.date(2025, 6, 5))["events"]
    got = values(event)
    assert (got["city_count"], got["enterprise_count"]) == (9, 37)
    assert (got["signing_count"], got["investment_yuan"]) == (signings, money)
    assert got["region"] == "义县"


@pytest.mark.parametrize(
    "noun",
    ["恳谈会", "对接会议", "签约仪式", "招商大会", "项目集中签约活动", "论坛暨招商对接会"],
)
def test_event_nouns(noun):
    text = f"标题\n\n9月2日，2025凌海市新材料产业{noun}在凌海市举行。\n"
    (event,) = read(text, published=dt.date(2025, 9, 3))["events"]
    assert values(event)["name"] == f"2025凌海市新材料产业{noun}"
    assert values(event)["region"] == "凌海市"


def test_participants_as_a_list_of_kinds():
    text = (
        "标题\n\n8月8日，北镇市招商推介会在北镇市举行。来自全国17个城市的88家央企、国企、"
        "民企和外企参会，现场签约项目10个。\n"
    )
    (event,) = read(text, published=dt.date(2025, 8, 9))["events"]
    assert (values(event)["city_count"], values(event)["enterprise_count"]) == (17, 88)


def test_a_day_in_the_text_beats_the_wire_dateline_and_the_publication_day():
    text = (
        "标题\n\n新华社沈阳7月9日电 8日，2025锦州市文旅项目推介会在锦州举行，"
        "现场签约项目4个，总投资9亿元。\n"
    )
    (event,) = read(text, published=dt.date(2025, 7, 9))["events"]
    assert values(event)["date"] == "2025-07-08"


@pytest.mark.parametrize(
    "header, day",
    [
        ("锦州市人民政府网 发布时间：2025-10-20 来源：某局", dt.date(2025, 10, 20)),
        ("某某工作简报（第五期）\n某中心　　二〇二五年十月二十日", dt.date(2025, 10, 20)),
    ],
)
def test_iso_and_chinese_numeral_date_lines(header, day):
    text = f"{header}\n\n18日，太和区政企恳谈会召开，区内31家企业负责人参加。\n"
    result = read(text)
    assert result["document"]["published"] == day.isoformat()
    (event,) = result["events"]
    assert values(event)["date"] == "2025-10-18"
    assert values(event)["enterprise_count"] == 31


def test_amounts_after_a_verb_and_in_chinese_numerals():
    text = "标题\n\n5月6日，黑山县在沈阳举办招商推介会，现场签约项目五个，签约总额十二点八亿元。\n"
    (event,) = read(text, published=dt.date(2025, 5, 7))["events"]
    assert values(event)["investment_yuan"] == "1280000000"


# -- milestones ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sentence, kind",
    [
        ("开工", "started"),
        ("正式投产", "in_operation"),
        ("进入试生产阶段", "in_operation"),
        ("首批机组并网发电", "grid_connected"),
        ("实现全容量并网", "full_capacity"),
        ("实现达产", "full_capacity"),
        ("竣工", "completed"),
    ],
)
def test_milestone_by_verb_with_a_long_project_phrase(sentence, kind):
    text = (
        "标题\n\n3月12日，锦州恒信新材料有限公司年产6万吨特种树脂建设项目在锦州高新区"
        f"{sentence}。该项目总投资7.5亿元。\n"
    )
    (milestone,) = read(text, published=dt.date(2025, 3, 13))["milestones"]
    got = values(milestone)
    assert got["project"] == "锦州恒信新材料有限公司年产6万吨特种树脂建设项目"
    assert got["kind"] == kind
    assert got["enterprise"] == "锦州恒信新材料有限公司"
    assert got["region"] == "锦州高新技术产业开发区"
    assert (got["date"], got["investment_yuan"]) == ("2025-03-12", "750000000")


def test_bulletin_items_with_markers_and_plans_are_no_milestones():
    text = (
        "周报\n\n【开工项目】义县绿色建材产业园项目11月3日开工，计划投资3亿元。\n"
        "（一）北镇市冷链物流中心项目于11月4日竣工。\n"
        "该项目计划明年5月投产，全部达产后年产值10亿元。\n"
        "今年以来全县新开工项目12个，开工率60%。\n"
    )
    result = read(text, published=dt.date(2025, 11, 6))
    got = [(values(m)["project"], values(m)["kind"]) for m in result["milestones"]]
    assert got == [("义县绿色建材产业园项目", "started"), ("北镇市冷链物流中心项目", "completed")]


def test_issue_project_without_its_list_marker():
    text = "纪要\n\n（二）凌海市化工新材料项目因环评未批复，开工时间由5月推迟至8月。\n"
    (issue,) = read(text, published=dt.date(2025, 4, 1))["issues"]
    assert values(issue)["project"] == "凌海市化工新材料项目"


# -- signings ------------------------------------------------------------------------------


def test_running_counts_are_totals_not_signings():
    text = "标题\n\n今年上半年，锦州市共签约亿元以上项目61个，协议投资520亿元，同比增长9.5%。\n"
    result = read(text, published=dt.date(2025, 7, 2))
    assert result["signings"] == []
    assert {values(t).get("value") for t in result["totals"]} >= {61, "9.5"}


def test_signings_after_a_place_name_with_he_and_several_per_paragraph():
    text = (
        "标题\n\n会上，太和区与锦州通达物流有限公司签约智慧仓储项目，总投资3亿元；"
        "与辽宁汇鑫食品有限公司签约速冻食品加工项目，投资额1.2亿元。\n"
    )
    result = read(text, published=dt.date(2025, 7, 2))
    got = [values(s) for s in result["signings"]]
    assert [(s["region"], s["enterprise"], s["project"], s["investment_yuan"]) for s in got] == [
        ("太和区", "锦州通达物流有限公司", "智慧仓储项目", "300000000"),
        ("太和区", "辽宁汇鑫食品有限公司", "速冻食品加工项目", "120000000"),
    ]


# -- days written relative to another, plans against running counts, batch starts -----------


@pytest.mark.parametrize(
    "lead, day",
    [
        ("昨天", "2025-11-09"),
        ("昨日", "2025-11-09"),
        ("上周五", "2025-11-07"),
        ("本月6日", "2025-11-06"),
        ("上月28日", "2025-10-28"),
    ],
)
def test_an_event_day_written_relative_to_publication(lead, day):
    text = f"{lead}，凌海市在天津举办精细化工产业洽谈会，现场签约项目7个，总投资36.8亿元。\n"
    (event,) = read(text, published=dt.date(2025, 11, 10))["events"]
    assert values(event)["date"] == day


def test_a_milestone_day_said_relative_to_the_day_before():
    text = (
        "标题\n\n12月1日，锦州新世纪石英材料有限公司年产1.5万吨高纯石英砂项目在锦州高新区投产。\n\n"
        "同日，位于凌河区的锦州华晟热力有限公司热源厂改扩建项目竣工。\n\n"
        "就在前一天，锦州龙宇新材料有限公司年产5万吨高端颜料项目在太和区开工。\n"
    )
    got = [values(m) for m in read(text, published=dt.date(2025, 12, 3))["milestones"]]
    assert [(m["date"], m["region"], m["kind"]) for m in got] == [
        ("2025-12-01", "锦州高新技术产业开发区", "in_operation"),
        ("2025-12-01", "凌河区", "completed"),
        ("2025-11-30", "太和区", "started"),
    ]


def test_plan_figures_are_targets_and_running_counts_totals():
    text = "标题\n\n今年北镇市计划实施亿元以上项目45个，计划总投资300亿元，目前已开工18个。\n"
    result = read(text, published=dt.date(2025, 3, 18))
    assert [values(t).get("value") or values(t).get("value_yuan") for t in result["targets"]] == [
        45,
        "30000000000",
    ]
    assert [values(t)["value"] for t in result["totals"]] == [18]


def test_a_batch_start_gives_totals_and_its_main_venue_project_a_milestone():
    text = (
        "锦州日报 2025年4月25日\n\n本报讯 4月24日，锦州市春季重大项目集中开工活动在凌海市主会场"
        "和各县（市）区分会场同步举行。此次集中开工项目67个，总投资386亿元，"
        "其中产业项目52个，总投资301亿元。\n\n"
        "主会场开工的辽宁锦港新材料有限公司年产12万吨高性能碳纤维原丝项目，总投资58亿元。\n"
    )
    result = read(text)
    assert result["events"] == []
    assert [values(t).get("value") or values(t).get("value_yuan") for t in result["totals"]] == [
        67,
        "38600000000",
        52,
        "30100000000",
    ]
    (milestone,) = result["milestones"]
    got = values(milestone)
    assert got["project"] == "辽宁锦港新材料有限公司年产12万吨高性能碳纤维原丝项目"
    assert (got["kind"], got["date"], got["region"]) == ("started", "2025-04-24", "凌海市")
    assert got["investment_yuan"] == "5800000000"


def test_a_county_bulletin_names_the_area_of_its_items():
    text = (
        "义县重点项目周报\n\n一、项目动态\n"
        "1. 锦州义丰农牧有限公司年出栏50万头生猪养殖项目9月19日达产。\n"
    )
    (milestone,) = read(text, published=dt.date(2025, 9, 22))["milestones"]
    assert values(milestone)["region"] == "义县"


def test_a_count_is_no_money():
    text = "标题\n\n8月28日，招商大会在北镇市召开。大会共签约项目12个，签约金额42.8亿元。\n"
    (event,) = read(text, published=dt.date(2025, 8, 29))["events"]
    assert (values(event)["signing_count"], values(event)["investment_yuan"]) == (12, "4280000000")


def test_a_project_at_a_ceremony_takes_its_day_and_area():
    text = (
        "北镇发布 2025-06-06\n\n今天上午，北镇市2025年重点项目集中签约仪式隆重举行，"
        "签约项目达24个，总投资额约45亿元。\n\n"
        "仪式上，锦州万通建材有限公司年产60万立方米加气混凝土砌块项目举行开工奠基。\n"
    )
    result = read(text)
    assert values(result["events"][0])["date"] == "2025-06-06"
    (milestone,) = result["milestones"]
    assert (values(milestone)["date"], values(milestone)["region"]) == ("2025-06-06", "北镇市")


def test_a_share_of_the_years_target_is_a_total():
    text = "动态\n\n1—7月，高新区到位资金38.7亿元，完成年度目标的62%。\n"
    result = read(text, published=dt.date(2025, 8, 15))
    assert result["targets"] == []
    assert [values(t).get("value") or values(t).get("value_yuan") for t in result["totals"]] == [
        "3870000000",
        "62",
    ]


def test_two_events_in_one_paragraph_keep_their_own_figures():
    text = (
        "标题\n\n11月11日，锦州市在西安举办西北地区招商推介会，现场签约项目10个，总投资42亿元。"
        "11月12日，锦州市又在成都举办成渝地区经贸合作洽谈会，来自川渝两地的95家企业参会，"
        "签约项目7个，总投资31.6亿元。\n"
    )
    first, second = (values(e) for e in read(text, published=dt.date(2025, 11, 14))["events"])
    assert "enterprise_count" not in first
    assert (first["signing_count"], second["signing_count"]) == (10, 7)
    assert second["enterprise_count"] == 95


def test_a_signing_in_another_citys_text_has_no_region():
    text = (
        "朝阳日报 2025年8月22日\n\n本报讯 8月20日，朝阳市在天津举办京津冀产业转移对接会，"
        "现场签约项目11个，总投资53亿元。其中，朝阳县与天津博远装备制造有限公司签约风电塔筒项目，"
        "总投资6亿元。\n"
    )
    (signing,) = read(text)["signings"]
    got = values(signing)
    assert "region" not in got
    assert (got["enterprise"], got["project"]) == ("天津博远装备制造有限公司", "风电塔筒项目")


# -- more families (issue 15, second round): each phrasing in a sentence of its own --------


@pytest.mark.parametrize(
    "sentence",
    [
        "5月18日，以“投资锦州·共赢未来”为主题的2025锦州（杭州）数字经济推介会在杭州举行。",
        "2025锦州（杭州）数字经济推介会5月18日至19日在杭州举行。",
        "5月18日（星期五），2025锦州（杭州）数字经济推介会在杭州拉开帷幕。",
        "中新网锦州5月19日电（记者 李明）2025锦州（杭州）数字经济推介会5月18日在杭州举行。",
        "5月18日，锦州市代表团赴浙江考察，并在杭州举办2025锦州（杭州）数字经济推介会。",
        "5月18日，在杭州举办的2025锦州（杭州）数字经济推介会上，锦州市推介了营商环境。",
    ],
)
def test_event_name_date_and_host_however_the_sentence_runs(sentence):
    (event,) = read(f"标题\n\n{sentence}\n", published=dt.date(2025, 5, 20))["events"]
    got = values(event)
    assert (got["date"], got["name"]) == ("2025-05-18", "2025锦州（杭州）数字经济推介会")
    assert (got["place"], got["region"]) == ("杭州", "锦州市")


@pytest.mark.parametrize(
    "follow, signings, money",
    [
        ("据统计，推介会共促成签约项目6个，签约金额5.2亿元。", 6, "520000000"),
        ("本次推介会由市政府主办，集中签约亿元以上项目7个，总投资21亿元。", 7, "2100000000"),
        ("活动现场签约项目 18 个，总投资 86.5 亿元。", 18, "8650000000"),
    ],
)
def test_the_events_figures_in_a_paragraph_that_names_it(follow, signings, money):
    text = f"标题\n\n6月3日，义县在北京举办农产品招商推介会。\n\n{follow}\n"
    (event,) = read(text, published=dt.date(2025, 6, 5))["events"]
    assert (values(event)["signing_count"], values(event)["investment_yuan"]) == (signings, money)
    assert read(text, published=dt.date(2025, 6, 5))["signings"] == []


def test_event_day_said_relative_to_the_sentence_before():
    text = (
        "标题\n\n5月18日，锦州市招商代表团抵达深圳。当天下午，锦州市在深圳举办新能源产业"
        "推介会，现场签约项目9个。\n"
    )
    (event,) = read(text, published=dt.date(2025, 5, 20))["events"]
    assert values(event)["date"] == "2025-05-18"


def test_a_generic_zone_name_of_another_city_is_no_region():
    text = "朝阳日报 2025年7月4日\n\n7月2日，2025朝阳（天津）经贸洽谈会在天津滨海新区举行。\n"
    (event,) = read(text)["events"]
    assert "region" not in event
    ours = "锦州日报 2025年7月4日\n\n7月2日，锦州市招商推介会在滨海新区举行。\n"
    (event,) = read(ours)["events"]
    assert values(event)["region"] == "锦州经济技术开发区"
    theirs = "锦州日报 2025年7月4日\n\n7月2日，锦州市招商推介会在大连高新区举行。\n"
    (event,) = read(theirs)["events"]
    assert values(event)["region"] == "锦州市"  # the host: 大连高新区 is Dalian's
    account = "松山新区发布 2025-07-04\n\n7月2日，高新区招商推介会在上海举行。\n"
    (event,) = read(account)["events"]
    assert values(event)["region"] == "锦州高新技术产业开发区"  # the zone's own account


def test_chinese_numeral_days_in_the_body():
    text = "简报\n二〇二五年六月二十日\n\n六月十八日，锦州经开区2025年招商大会在滨海新区召开。\n"
    (event,) = read(text)["events"]
    assert values(event)["date"] == "2025-06-18"


@pytest.mark.parametrize(
    "header, body, region",
    [
        ("发布时间：2025-06-12 来源：凌海市人民政府", "", "凌海市"),
        ("北镇发布 2025-06-12", "", "北镇市"),
        ("锦州日报 2025年6月12日", "连日来，义县项目建设捷报频传。", "义县"),
        ("锦州日报 2025年6月12日", "", None),
    ],
)
def test_milestone_area_from_the_paragraph_head_or_the_publishers_line(header, body, region):
    text = f"{header}\n\n{body}6月10日，锦州阳光能源有限公司年产3GW光伏组件项目竣工投产。\n"
    (milestone,) = read(text)["milestones"]
    assert values(milestone).get("region") == (region or "锦州市")


def test_milestone_named_before_as_its_project_and_days_without_a_month():
    text = (
        "锦州日报 2025年5月20日\n\n本报讯 在义县七里河镇，辽宁义瑞风电有限公司150兆瓦风电项目"
        "现场一片繁忙。18日，该项目首批机组实现并网发电。\n"
    )
    (milestone,) = read(text)["milestones"]
    got = values(milestone)
    assert got["project"] == "辽宁义瑞风电有限公司150兆瓦风电项目"
    assert (got["date"], got["kind"], got["region"]) == ("2025-05-18", "grid_connected", "义县")


@pytest.mark.parametrize(
    "sentence, enterprise, money",
    [
        (
            "总投资12亿元的辽宁宏大新能源有限公司年产2GW光伏组件项目在凌海市开工。",
            "辽宁宏大新能源有限公司",
            "1200000000",
        ),
        (
            "国家电投集团北镇新能源有限公司年产2GW光伏组件项目在凌海市开工。",
            "国家电投集团北镇新能源有限公司",
            None,
        ),
    ],
)
def test_milestone_company_and_investment_before_the_project(sentence, enterprise, money):
    text = f"标题\n\n5月6日，{sentence}\n"
    (milestone,) = read(text, published=dt.date(2025, 5, 7))["milestones"]
    got = values(milestone)
    assert (got["enterprise"], got.get("investment_yuan")) == (enterprise, money)
    assert got["project"].endswith("年产2GW光伏组件项目") and not got["project"].startswith("总")


def test_no_milestone_or_signing_from_a_ceremony_or_a_signed_project_described():
    text = (
        "标题\n\n5月6日，太和区举行重点项目开工仪式。"
        "5月17日，锦州石化公司与中国石油签约的70万吨/年催化裂化项目建成投产。\n"
    )
    result = read(text, published=dt.date(2025, 5, 20))
    assert result["signings"] == []
    assert [values(m)["kind"] for m in result["milestones"]] == ["in_operation"]


@pytest.mark.parametrize(
    "sentence",
    [
        "会上，凌海市与辽宁海宏化工有限公司签订电子级氢氟酸项目投资协议，总投资15亿元。",
        "会上，辽宁海宏化工有限公司与凌海市签约电子级氢氟酸项目，总投资15亿元。",
        "会上，凌海市与辽宁海宏化工有限公司就电子级氢氟酸项目签约，总投资15亿元。",
        "活动现场，辽宁海宏化工有限公司电子级氢氟酸项目签约落户凌海市，总投资15亿元。",
    ],
)
def test_a_signing_however_the_sentence_runs(sentence):
    (signing,) = read(f"标题\n\n{sentence}\n", published=dt.date(2025, 5, 20))["signings"]
    got = values(signing)
    assert (got["region"], got["enterprise"]) == ("凌海市", "辽宁海宏化工有限公司")
    assert (got["project"], got["investment_yuan"]) == ("电子级氢氟酸项目", "1500000000")


def test_a_contract_that_is_no_project_signing():
    text = "标题\n\n此次对接会上，35家采购商与义县企业签订购销合同12份。\n"
    assert read(text, published=dt.date(2025, 5, 20))["signings"] == []


# -- the review page: every field a proposal needs is on its card; an event keeps its figures


FAIR = """锦州日报 2025年4月12日

古塔区在大连举办商贸物流推介会

4月10日，古塔区在大连举办商贸物流推介会，来自全国6个城市的45家企业参会，现场签约项目3个，总投资12.4亿元。

推介会上，古塔区与大连远航物流有限公司签约冷链仓储项目，总投资4亿元。
"""


@pytest.mark.django_db
def test_a_signing_card_has_its_date_prefilled_from_the_text_and_accepts(client, users, regions):
    client.login(username="t_admin", password=PASSWORD)
    client.post("/ingest/", {"text": FAIR})
    document = IngestedDocument.objects.get()
    signing_p = document.proposals.get(kind=Kind.SIGNING)
    page = client.get(f"/ingest/{document.pk}/").content.decode()
    assert 'name="f_date" value="2025-04-10"' in page.split(f'id="proposal-{signing_p.pk}"')[1]
    # the reviewer may correct the date on the card; acceptance uses it
    client.post(f"/ingest/proposal/{signing_p.pk}/accept/", {"f_date": "2025-04-11"})
    signing_p.refresh_from_db()
    assert signing_p.status == Status.ACCEPTED
    signing = Signing.objects.get()
    assert (signing.signed_on, signing.amount_wan) == (dt.date(2025, 4, 11), Decimal("40000"))


@pytest.mark.django_db
def test_a_signing_without_any_date_can_be_given_one_on_its_card(client, users, regions):
    client.login(username="t_admin", password=PASSWORD)
    client.post(
        "/ingest/",
        {"text": "标题\n\n太和区与锦州安达机械有限公司签约数控机床项目，总投资2亿元。\n"},
    )
    signing_p = IngestedDocument.objects.get().proposals.get(kind=Kind.SIGNING)
    page = client.get(f"/ingest/{signing_p.document_id}/").content.decode()
    assert 'name="f_date" value=""' in page
    client.post(f"/ingest/proposal/{signing_p.pk}/accept/")  # no date: refused, said why
    signing_p.refresh_from_db()
    assert signing_p.status == Status.PROPOSED
    client.post(f"/ingest/proposal/{signing_p.pk}/accept/", {"f_date": "2025-02-03"})
    assert Signing.objects.get().signed_on == dt.date(2025, 2, 3)


@pytest.mark.django_db
def test_an_accepted_event_shows_the_reported_figures(client, users, regions):
    client.login(username="t_admin", password=PASSWORD)
    client.post("/ingest/", {"text": FAIR})
    event_p = IngestedDocument.objects.get().proposals.get(kind=Kind.EVENT)
    client.post(f"/ingest/proposal/{event_p.pk}/accept/")
    event = Event.objects.get()
    assert (
        event.reported_enterprise_count,
        event.reported_city_count,
        event.reported_signing_count,
        event.reported_investment_wan,
    ) == (45, 6, 3, Decimal("124000"))
    page = client.get(reverse("events:event_detail", args=[event.pk])).content.decode()
    with translation.override("zh-hans"):
        reported = translation.gettext("as reported")
    listed = client.get(reverse("events:event_list")).content.decode()
    for shown in (f"{reported}: 45", f"{reported}: 6", f"{reported}: 3", f"{reported}: 12.40"):
        assert shown in page
        assert shown in listed  # the list shows them under the counted figures too


@pytest.mark.django_db
def test_the_review_page_speaks_chinese_and_names_each_proposal(client, users, regions):
    client.login(username="t_admin", password=PASSWORD)
    index = client.get("/ingest/").content.decode()
    assert ">读取</button>" in index and ">已读</button>" not in index
    client.post("/ingest/", {"text": FAIR})
    document = IngestedDocument.objects.get()
    page = client.get(f"/ingest/{document.pk}/").content.decode()
    assert "活动：商贸物流推介会" in page
    # accepting a proposal is 采纳 (受理 is taking up a request, as the approvals panel says)
    assert ">采纳</button>" in page and ">受理</button>" not in page
    assert "签约：冷链仓储项目" in page
    assert "promotion" not in page.replace('value="promotion"', "")
    event_p = document.proposals.get(kind=Kind.EVENT)
    client.post(f"/ingest/proposal/{event_p.pk}/accept/")
    page = client.get(f"/ingest/{document.pk}/").content.decode()
    assert "events.event" not in page
    event = Event.objects.get()
    assert f'href="{reverse("events:event_detail", args=[event.pk])}"' in page


@pytest.mark.django_db
def test_a_completed_milestone_creates_a_project_under_construction(client, users, regions):
    client.login(username="t_admin", password=PASSWORD)
    client.post(
        "/ingest/",
        {
            "text": "标题\n\n9月28日，义县宏达建材有限公司年产30万吨砂石骨料项目在义县竣工。\n",
            "published": "2025-09-29",
        },
    )
    milestone_p = IngestedDocument.objects.get().proposals.get(kind=Kind.MILESTONE)
    client.post(f"/ingest/proposal/{milestone_p.pk}/accept/")
    project = Project.objects.get(name="义县宏达建材有限公司年产30万吨砂石骨料项目")
    assert project.stage == Stage.CONSTRUCTION
