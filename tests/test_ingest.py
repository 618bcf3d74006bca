"""Ingest: numbers and dates, the samples' figures, proposals, acceptance and access."""

import datetime as dt
import io
import json
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from guanjia.core.models import AuditEntry
from guanjia.events.models import Event, Signing
from guanjia.ingest import gazetteer, services
from guanjia.ingest.extract import extract, figures, normalise
from guanjia.ingest.models import IngestedDocument, Kind, Match, Proposal, Status
from guanjia.ingest.numbers import (
    document_year,
    find_counts,
    find_money,
    find_percents,
    parse_date,
    parse_money_yuan,
)
from guanjia.projects.models import Project
from guanjia.projects.stages import Stage
from guanjia.testing.factories import EnterpriseFactory, ProjectFactory
from tests.conftest import PASSWORD

DATA = Path(__file__).resolve().parent / "data" / "ingest"
FAIR = "2024-05-new-energy-fair"
BULLETIN = "2024-q2-project-bulletin"
MATCHMAKING = "2024-09-matchmaking"


def source(name: str) -> Path:
    """The labelled texts live beside their labels (the bureau's samples are copied from
    ../shared/samples), so a missing one is a failure, not a skip."""
    return DATA / f"{name}.txt"


def text_of(name: str) -> str:
    return normalise(source(name).read_text(encoding="utf-8"))


# -- numbers and dates ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "yuan"),
    [
        ("612亿元", "61200000000"),
        ("105.16亿元", "10516000000"),
        ("五十五亿元", "5500000000"),
        ("八亿五千万元", "850000000"),
        ("六百一十二亿元", "61200000000"),
        ("1.2万亿元", "1200000000000"),
        ("3500万元", "35000000"),
    ],
)
def test_money(written, yuan):
    assert parse_money_yuan(written) == Decimal(yuan)
    found = find_money(f"总投资{written}。")
    assert [(f.value, f.text, f.start) for f in found] == [(Decimal(yuan), written, 3)]


def test_money_approximate_and_not_money():
    (about,) = find_money("签约总额约286亿元")
    assert (about.value, about.text, about.approximate) == (Decimal("28600000000"), "286亿元", True)
    assert find_money("新开工亿元以上项目41个") == []


@pytest.mark.parametrize(
    ("written", "value", "unit", "approximate"),
    [
        ("6000余次", 6000, "次", True),
        ("7300余次", 7300, "次", True),
        ("86家", 86, "家", False),
        ("一百二十九家", 129, "家", False),
        ("二十一个", 21, "个", False),
        ("近百家", 100, "家", True),
        ("712人", 712, "人", False),
    ],
)
def test_counts(written, value, unit, approximate):
    (found,) = find_counts(written)
    assert (found.value, found.unit, found.approximate) == (value, unit, approximate)


def test_percent():
    (found,) = find_percents("企业满意率98.6%。")
    assert (found.value, found.text) == (Decimal("98.6"), "98.6%")


@pytest.mark.parametrize(
    ("written", "expected", "precision"),
    [
        ("5月16日", dt.date(2024, 5, 16), "day"),
        ("6月3日", dt.date(2024, 6, 3), "day"),
        ("4月末", dt.date(2024, 4, 30), "day"),
        ("2月底", dt.date(2024, 2, 29), "day"),
        ("7月", dt.date(2024, 7, 1), "month"),
        ("2023年3月23日", dt.date(2023, 3, 23), "day"),
    ],
)
def test_dates(written, expected, precision):
    found = parse_date(written, 2024)
    assert found is not None
    assert (found.value, found.precision) == (expected, precision)


def test_year_from_option_then_date_line_then_latest_year():
    text = "标题\n\n5月16日,会议举行。\n\n(本报记者 2024年5月17日)\n"
    assert document_year(text, dt.date(2023, 1, 2))[0::2] == (2023, "option")
    assert document_year(text, None) == (2024, dt.date(2024, 5, 17), "date_line")
    assert document_year("周报(2024年第23期)\n2022年以来", None) == (2024, None, "latest_year")
    assert document_year("没有年份", None) == (None, None, "none")


# -- the samples ---------------------------------------------------------------------------


# Every figure in each text, written down from reading it: (section, field, value).
def hand_labels(name):
    """Every figure in the text, written down from reading it: (section, field, value)."""
    data = json.loads((DATA / f"{name}.labels.json").read_text(encoding="utf-8"))
    return Counter(tuple(row) for row in data["figures"])


def _labels(result):
    return Counter((section, key, value) for section, key, value, _start in figures(result))


@pytest.mark.parametrize("name", [FAIR, BULLETIN, MATCHMAKING])
def test_every_figure_of_the_samples(name):
    result = extract(text_of(name), regions=gazetteer.from_file())
    assert _labels(result) == hand_labels(name)


@pytest.mark.parametrize("name", [FAIR, BULLETIN, MATCHMAKING])
def test_samples_match_their_expected_output(name):
    text = text_of(name)
    result = extract(text, regions=gazetteer.from_file())
    expected = json.loads((DATA / f"{name}.expected.json").read_text(encoding="utf-8"))
    assert result == expected
    # every figure's span and sentence are exact slices of the text
    for records in (v for v in result.values() if isinstance(v, list)):
        for record in records:
            for item in record.values():
                if isinstance(item, dict) and "span" in item:
                    s, e = item["span"]
                    assert text[s:e] == item["text"]
                    ev = item["evidence"]
                    assert text[ev["start"] : ev["end"]] == ev["text"]
                    assert ev["start"] <= s < e <= ev["end"]


def test_fair_details():
    result = extract(text_of(FAIR), regions=gazetteer.from_file())
    assert result["document"]["published"] == "2024-05-17"
    (event,) = result["events"]
    assert event["investment_yuan"]["evidence"]["text"] == (
        "来自全国15个城市的86家企业参会,现场签约项目23个,总投资318.5亿元。"
    )
    stats = result["service_stats"][0]
    assert stats["service_count"]["approximate"] is True
    assert stats["steward_count"]["approximate"] is False
    assert result["signings"][1].get("enterprise") is None  # 一家民营储能企业 is unnamed
    assert result["totals"][1]["part_of"] == "新开工亿元以上项目"


def test_published_option_overrides_the_date_line():
    result = extract(text_of(FAIR), published=dt.date(2023, 1, 1), regions=gazetteer.from_file())
    assert result["events"][0]["date"]["value"] == "2023-05-16"


def test_bulletin_kinds_and_year():
    result = extract(text_of(BULLETIN), regions=gazetteer.from_file())
    assert result["document"]["year_source"] == "latest_year"
    assert [m["kind"] for m in result["milestones"]] == [
        "started",
        "started",
        "in_operation",
        "full_capacity",
    ]


def test_new_matchmaking_article():
    """Done when: the event with its date, counts, signings and investment, each with its
    sentence."""
    result = extract(text_of(MATCHMAKING), regions=gazetteer.from_file())
    (event,) = result["events"]
    values = {k: v["value"] for k, v in event.items() if isinstance(v, dict)}
    assert values["date"] == "2024-09-10"
    assert values["enterprise_count"] == 106
    assert values["city_count"] == 21
    assert values["signing_count"] == 18
    assert values["investment_yuan"] == "28600000000"
    assert event["investment_yuan"]["approximate"] is True
    assert "一百零六家企业" in event["enterprise_count"]["evidence"]["text"]
    assert len(result["signings"]) == 2
    assert result["targets"][0]["value_yuan"]["value"] == "120000000000"


# -- proposals and acceptance ---------------------------------------------------------------


@pytest.fixture
def fair_doc(regions, users):
    document, created = services.ingest(text_of(FAIR), actor=users["admin"], source_name="fair.txt")
    assert created
    return document


def test_ingest_stores_once(fair_doc, users):
    kinds = list(fair_doc.proposals.values_list("kind", flat=True))
    assert kinds.count(Kind.EVENT) == 1 and kinds.count(Kind.SIGNING) == 3
    again, created = services.ingest(
        text_of(FAIR).replace("\n", "\r\n"), actor=users["steward"], source_name="again.txt"
    )
    assert (again.pk, created) == (fair_doc.pk, False)
    assert IngestedDocument.objects.count() == 1
    assert Proposal.objects.count() == len(kinds)


def test_accept_event_and_signings(fair_doc, users, linghai):
    admin = users["admin"]
    event_p = fair_doc.proposals.get(kind=Kind.EVENT)
    assert event_p.match == Match.CREATE
    services.accept(event_p, admin)
    event = Event.objects.get()
    assert (event.date, event.name, event.region.name) == (
        dt.date(2024, 5, 16),
        "锦州市新能源产业招商推介会",
        "锦州经济技术开发区",
    )
    assert AuditEntry.objects.filter(object_type="events.event", object_id=str(event.pk)).exists()

    huadian = fair_doc.proposals.filter(kind=Kind.SIGNING).order_by("position")[0]
    services.accept(huadian, admin)
    signing = Signing.objects.get()
    assert signing.event == event and signing.government == linghai
    assert signing.amount_wan == Decimal("920000") and signing.is_first
    assert signing.project.stage == Stage.SIGNED
    assert signing.project.enterprise.name == "华电集团"

    # The unnamed investor must be supplied before the signing can be accepted.
    unnamed = fair_doc.proposals.filter(kind=Kind.SIGNING).order_by("position")[1]
    with pytest.raises(ValidationError):
        services.accept(unnamed, admin)
    unnamed.refresh_from_db()
    assert unnamed.status == Status.PROPOSED
    services.edit(unnamed, admin, {"enterprise": "辽宁储能科技有限公司"})
    services.accept(Proposal.objects.get(pk=unnamed.pk), admin)
    assert Signing.objects.count() == 2

    # Nothing is accepted twice.
    with pytest.raises(ValidationError):
        services.accept(Proposal.objects.get(pk=event_p.pk), admin)


def test_a_second_article_about_the_same_event_proposes_no_duplicate(fair_doc, users):
    admin = users["admin"]
    for p in fair_doc.proposals.filter(kind__in=[Kind.EVENT, Kind.SIGNING]).order_by("position")[
        :2
    ]:
        services.accept(p, admin)
    other = text_of(FAIR).replace("本报讯", "新华社讯")
    document, created = services.ingest(other, actor=admin)
    assert created
    event_p = document.proposals.get(kind=Kind.EVENT)
    assert event_p.match == Match.EXISTS
    signing_p = document.proposals.filter(kind=Kind.SIGNING).order_by("position")[0]
    assert signing_p.match == Match.EXISTS
    services.accept(event_p, admin)
    services.accept(signing_p, admin)
    assert Event.objects.count() == 1 and Signing.objects.count() == 1


def test_milestones_move_or_create_projects(regions, users):
    admin = users["admin"]
    heishan = regions["210726"]
    wind = ProjectFactory(
        name="国家电投锦州黑山400兆瓦风电项目",
        region=heishan,
        enterprise=EnterpriseFactory(name="国家电投东北公司"),
        stage=Stage.OPERATION,
        operation_on=dt.date(2024, 1, 10),
    )
    document, _ = services.ingest(text_of(BULLETIN), actor=admin)
    milestones = list(document.proposals.filter(kind=Kind.MILESTONE).order_by("position"))
    assert [m.match for m in milestones] == [Match.CREATE] * 3 + [Match.UPDATE]
    services.accept(milestones[3], admin)
    wind.refresh_from_db()
    assert (wind.stage, wind.full_capacity_on) == (Stage.FULL_CAPACITY, dt.date(2024, 6, 6))
    services.accept(milestones[0], admin)
    created = Project.objects.get(name="北镇市年产5万吨果蔬精深加工项目")
    assert (created.stage, created.construction_on) == (Stage.CONSTRUCTION, dt.date(2024, 6, 3))
    assert created.total_investment_wan == Decimal("32000")
    assert created.enterprise.name == "辽宁北镇丰禾食品有限公司"
    # Reading the bulletin again proposes nothing new; a new copy sees the project there.
    assert services.ingest(text_of(BULLETIN), actor=admin)[1] is False
    copy, _ = services.ingest(text_of(BULLETIN) + "\n(转载)\n", actor=admin)
    first = copy.proposals.filter(kind=Kind.MILESTONE).order_by("position").first()
    assert first.match == Match.EXISTS
    totals = copy.proposals.filter(kind=Kind.TOTAL)
    assert {t.match for t in totals} == {Match.REFERENCE}


def test_reject_records_who(fair_doc, users):
    p = fair_doc.proposals.filter(kind=Kind.TOTAL).first()
    services.reject(p, users["steward"], "重复")
    p.refresh_from_db()
    assert (p.status, p.decided_by, p.note) == (Status.REJECTED, users["steward"], "重复")


def test_cli_json(regions, tmp_path):
    out = io.StringIO()
    call_command("ingest", str(source(MATCHMAKING)), "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["document"]["published"] == "2024-09-12"
    assert data["events"][0]["signing_count"]["value"] == 18
    assert data["events"][0]["match"]["action"] == "create"
    assert IngestedDocument.objects.count() == 1
    out = io.StringIO()
    call_command(
        "ingest", str(source(MATCHMAKING)), "--dry-run", "--published", "2025-01-01", stdout=out
    )
    assert "2025-09-10" in out.getvalue()
    assert IngestedDocument.objects.count() == 1


def test_read_upload_docx_and_text():
    import docx

    document = docx.Document()
    document.add_paragraph("5月16日,推介会在滨海新区举行。")
    buf = io.BytesIO()
    document.save(buf)
    assert "滨海新区" in services.read_upload("a.docx", buf.getvalue())
    assert services.read_upload("a.txt", "锦州".encode("gb18030")) == "锦州"
    with pytest.raises(ValidationError):
        services.read_upload("a.exe", b"MZ")


# -- access: role x URL -> status ----------------------------------------------------------

ROLES = ["admin", "official", "steward", "handler", "leader", "enterprise"]
# GET pages: 200 for the reviewers, 403 for the others.
PAGE_STATUS = {
    "admin": 200,
    "official": 200,
    "steward": 200,
    "handler": 403,
    "leader": 403,
    "enterprise": 403,
}


@pytest.mark.parametrize("role", ROLES)
def test_access_per_role(client, users, fair_doc, role):
    client.login(username=users[role].username, password=PASSWORD)
    assert client.get("/ingest/").status_code == PAGE_STATUS[role]
    review = client.get(f"/ingest/{fair_doc.pk}/").status_code
    # the official (凌海市) sees the document: one signing is in their area
    assert review == PAGE_STATUS[role]
    linghai_p = fair_doc.proposals.get(kind=Kind.SIGNING, region__code="210781")
    event_p = fair_doc.proposals.get(kind=Kind.EVENT)
    reject_linghai = client.post(f"/ingest/proposal/{linghai_p.pk}/reject/").status_code
    reject_event = client.post(f"/ingest/proposal/{event_p.pk}/reject/").status_code
    expected = {
        "admin": (302, 302),
        "official": (302, 403),  # the event is in the development zone, not in 凌海市
        "steward": (302, 302),
        "handler": (403, 403),
        "leader": (403, 403),
        "enterprise": (403, 403),
    }[role]
    assert (reject_linghai, reject_event) == expected


def test_anonymous_is_sent_to_log_in(client, fair_doc):
    assert client.get("/ingest/").status_code == 302
    assert client.get(f"/ingest/{fair_doc.pk}/").status_code == 302


def test_official_does_not_see_documents_outside_their_area(client, users, regions):
    document, _ = services.ingest(text_of(BULLETIN), actor=users["admin"])
    client.login(username="t_official", password=PASSWORD)
    assert client.get(f"/ingest/{document.pk}/").status_code == 404
    p = document.proposals.first()
    assert client.post(f"/ingest/proposal/{p.pk}/accept/").status_code == 404


def test_web_paste_review_accept(client, users, regions):
    client.login(username="t_admin", password=PASSWORD)
    response = client.post("/ingest/", {"text": text_of(MATCHMAKING)})
    assert response.status_code == 302
    document = IngestedDocument.objects.get()
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "<mark" in page.content.decode()
    event_p = document.proposals.get(kind=Kind.EVENT)
    client.post(f"/ingest/proposal/{event_p.pk}/accept/")
    assert Event.objects.filter(date=dt.date(2024, 9, 10)).count() == 1
    # posting the same text again lands on the same document and creates nothing
    client.post("/ingest/", {"text": text_of(MATCHMAKING)})
    assert IngestedDocument.objects.count() == 1 and Event.objects.count() == 1


REFERENCE_REPORT = """锦州市召开央地合作对接会

3月23日，锦州市央地合作对接会在锦州召开。来自全国24个城市的129家央企、地方国企和民营企业参会。7个县（市）区政府及经开区、高新区管委会现场签约项目44个，总投资612亿元。

3月29日，锦州市医药健康产业发展论坛举行，127家企业参会，现场签约34个项目，签约额105.16亿元。

“政企直通车”上线以来，687名项目管家在线服务，累计服务企业6000余次。
"""


def test_reference_city_report_with_full_width_punctuation():
    result = extract(
        normalise(REFERENCE_REPORT), published=dt.date(2023, 4, 1), regions=gazetteer.from_file()
    )
    first, second = (
        {k: (v["value"], v["approximate"]) for k, v in e.items() if isinstance(v, dict)}
        for e in result["events"]
    )
    assert first["date"] == ("2023-03-23", False)
    assert (first["city_count"], first["enterprise_count"]) == ((24, False), (129, False))
    assert (first["signing_count"], first["investment_yuan"]) == (
        (44, False),
        ("61200000000", False),
    )
    assert second["date"] == ("2023-03-29", False)
    assert (second["enterprise_count"], second["signing_count"]) == ((127, False), (34, False))
    assert second["investment_yuan"] == ("10516000000", False)
    (stats,) = result["service_stats"]
    assert stats["steward_count"]["value"] == 687
    assert (stats["service_count"]["value"], stats["service_count"]["approximate"]) == (6000, True)


def test_done_when_cli_then_review_accepts_once(client, users, regions):
    """`guanjia ingest` on a new conference article, then accepting in the review screen."""
    out = io.StringIO()
    call_command("ingest", str(source(MATCHMAKING)), "--json", stdout=out)
    data = json.loads(out.getvalue())
    event = data["events"][0]
    for key in ("date", "enterprise_count", "city_count", "signing_count", "investment_yuan"):
        assert event[key]["evidence"]["text"]
    client.login(username="t_admin", password=PASSWORD)
    review = data["document"]["review"]
    assert client.get(review).status_code == 200
    proposal = event["match"]["proposal"]
    assert client.post(f"/ingest/proposal/{proposal}/accept/").status_code == 302
    assert Event.objects.filter(date=dt.date(2024, 9, 10)).count() == 1
    # Running it again proposes nothing new; a reprint elsewhere finds the event there.
    out = io.StringIO()
    call_command("ingest", str(source(MATCHMAKING)), "--json", stdout=out)
    assert json.loads(out.getvalue())["document"]["created"] is False
    reprint = services.ingest(text_of(MATCHMAKING).replace("锦州日报", "辽宁日报"))[0]
    event_p = reprint.proposals.get(kind=Kind.EVENT)
    assert event_p.match == Match.EXISTS
    services.accept(event_p, users["admin"])
    assert Event.objects.count() == 1


def test_read_upload_text_pdf():
    from weasyprint import HTML

    pdf = HTML(string="<p>5月16日,推介会在滨海新区举行。总投资318.5亿元。</p>").write_pdf()
    text = services.read_upload("notice.PDF", pdf)
    assert "318.5亿元" in text.replace(" ", "")


def test_web_upload_file_and_errors(client, users, regions):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.login(username="t_steward", password=PASSWORD)
    upload = SimpleUploadedFile("fair.txt", source(FAIR).read_bytes(), "text/plain")
    response = client.post("/ingest/", {"file": upload})
    assert response.status_code == 302
    assert IngestedDocument.objects.get().source_name == "fair.txt"
    bad = SimpleUploadedFile("x.exe", b"MZ", "application/octet-stream")
    assert client.post("/ingest/", {"file": bad}).status_code == 200
    assert client.post("/ingest/", {"text": "  "}).status_code == 200
    assert IngestedDocument.objects.count() == 1
    assert client.get("/ingest/?q=fair").status_code == 200


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "16日，由市政府主办的2024锦州市石化产业招商对接会在凌海市隆重举行。"
            "来自12个城市的60余家企业参会。现场签约项目9个。项目总投资约80亿元。",
            {
                "date": ("2024-06-16", False),
                "name": ("2024锦州市石化产业招商对接会", False),
                "region": ("凌海市", False),
                "city_count": (12, False),
                "enterprise_count": (60, True),
                "signing_count": (9, False),
                "investment_yuan": ("8000000000", True),
            },
        ),
        (
            "锦州市生物医药产业推介会于6月18日在松山新区举行，70家企业参加，"
            "签约项目12个，协议总额二十六亿元。",
            {
                "date": ("2024-06-18", False),
                "name": ("锦州市生物医药产业推介会", False),
                "region": ("锦州高新技术产业开发区", False),
                "enterprise_count": (70, False),
                "signing_count": (12, False),
                "investment_yuan": ("2600000000", False),
            },
        ),
        (
            "近日，锦州市央地合作对接会在锦州举行。现场签约项目5个，总投资10亿元。",
            {
                "date": ("2024-06-20", True),
                "name": ("锦州市央地合作对接会", False),
                "signing_count": (5, False),
                "investment_yuan": ("1000000000", False),
            },
        ),
    ],
)
def test_other_ways_of_reporting_a_conference(body, expected):
    result = extract(
        normalise(f"标题\n\n{body}\n"),
        published=dt.date(2024, 6, 20),
        regions=gazetteer.from_file(),
    )
    (event,) = result["events"]
    got = {k: (v["value"], v["approximate"]) for k, v in event.items() if isinstance(v, dict)}
    assert {k: got.get(k) for k in expected} == expected


def test_target_needs_a_city_admin(client, users, regions):
    from guanjia.targets.models import Indicator, Target

    Indicator.objects.create(code="signed", name="签约项目投资总额", unit="亿元", source="entered")
    document, _ = services.ingest(text_of(MATCHMAKING), actor=users["admin"])
    target_p = document.proposals.get(kind=Kind.TARGET)
    assert target_p.match == Match.UPDATE
    client.login(username="t_steward", password=PASSWORD)
    assert client.post(f"/ingest/proposal/{target_p.pk}/accept/").status_code == 302
    assert not Target.objects.exists()
    services.accept(Proposal.objects.get(pk=target_p.pk), users["admin"])
    target = Target.objects.get()
    assert (target.year, target.value) == (2024, Decimal("12000000"))
