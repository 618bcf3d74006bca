"""The public portal (投资锦州): anyone reads the published parks, land, policies and key
projects, never anything internal, and an enquiry becomes exactly one lead."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from guanjia.core.models import AuditEntry
from guanjia.enterprises.models import ContactSource, Enterprise
from guanjia.leads.models import Lead
from guanjia.parks import services as park_services
from guanjia.parks.models import ParkKind
from guanjia.policies.models import Policy
from guanjia.portal import services
from guanjia.testing.factories import (
    ContactFactory,
    EnterpriseFactory,
    LeadFactory,
    ProjectFactory,
    SigningFactory,
)

PAGES = ["portal:home", "portal:parks", "portal:policies", "portal:projects", "portal:enquiry"]


@pytest.fixture
def world(users, linghai, industries):
    admin = users["admin"]
    investor = EnterpriseFactory(name="秘密投资集团有限公司", region=linghai)
    ContactFactory(enterprise=investor, name="秘密联系人", phone="13912345678")
    public = ProjectFactory(
        name="公开重点项目",
        enterprise=investor,
        region=linghai,
        stage="construction",
        signed_on=dt.date(2026, 3, 1),
        construction_on=dt.date(2026, 6, 1),
        total_investment_wan=Decimal(120000),
        public=True,
    )
    hidden = ProjectFactory(name="内部项目不公开", region=linghai, public=False)
    park = park_services.save_park(
        admin, name="凌海测试园区", kind=ParkKind.PROVINCIAL, region=linghai
    )
    free = park_services.create_plot(
        admin, park=park, code="LH-01", area_mu=Decimal(50), notes="内部备注勿外传"
    )
    taken = park_services.create_plot(admin, park=park, code="LH-02", area_mu=Decimal(30))
    lead = LeadFactory(
        name="保留线索项目", region=linghai, owner=users["steward"], created_by=admin
    )
    park_services.reserve(taken, admin, lead, timezone.localdate() + dt.timedelta(days=30))
    open_policy = Policy.objects.create(title="公开招商政策", issuer="锦州市人民政府", public=True)
    closed_policy = Policy.objects.create(title="内部政策草案", issuer="锦州市商务局")
    return {
        "public": public,
        "hidden": hidden,
        "park": park,
        "free": free,
        "taken": taken,
        "lead": lead,
        "open_policy": open_policy,
        "closed_policy": closed_policy,
        "investor": investor,
    }


def _all_pages(client, world) -> str:
    urls = [reverse(name) for name in PAGES] + [
        reverse("portal:park", args=[world["park"].pk]),
        reverse("portal:project", args=[world["public"].pk]),
        reverse("portal:policy", args=[world["open_policy"].pk]),
    ]
    html = ""
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        html += response.content.decode()
    return html


def test_anyone_reads_the_portal_without_logging_in(client, world):
    html = _all_pages(client, world)
    assert "公开重点项目" in html
    assert "凌海测试园区" in html and "LH-01" in html
    assert "公开招商政策" in html
    assert '<meta name="description"' in html


def test_nothing_internal_appears(client, world):
    html = _all_pages(client, world)
    for secret in (
        "秘密投资集团",  # the project's investor
        "秘密联系人",
        "13912345678",  # its contact
        "内部备注勿外传",  # a plot's notes
        "LH-02",  # a reserved plot
        "保留线索项目",  # the lead it is reserved for
        "内部项目不公开",  # a project not marked public
        "内部政策草案",  # a policy not marked public
    ):
        assert secret not in html, secret


def test_unpublished_records_are_not_found(client, world):
    assert client.get(reverse("portal:project", args=[world["hidden"].pk])).status_code == 404
    url = reverse("portal:policy", args=[world["closed_policy"].pk])
    assert client.get(url).status_code == 404


def test_the_pitch_counts_this_years_signings_and_the_parks(client, world):
    this_year = timezone.localdate().replace(month=1, day=2)
    SigningFactory(
        project=world["public"],
        government=world["public"].region,
        signed_on=this_year,
        amount_wan=Decimal(30000),
        is_first=True,
        counted_amount_wan=Decimal(30000),
    )
    figures = services.pitch_figures()
    assert figures["signed_projects"] == 1
    assert figures["signed_wan"] == Decimal(30000)
    assert figures["parks"] == 1


def test_an_english_reader_gets_english_pages(client, world):
    response = client.get(reverse("portal:home"), HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert "Invest in Jinzhou" in html and 'lang="en"' in html
    assert "中文" in html  # the switch back
    response = client.get(reverse("portal:home"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "投资锦州" in response.content.decode()


def _enquiry(**over: str) -> dict[str, str]:
    data = {
        "name": "John Smith",
        "organisation": "Acme Batteries Ltd",
        "contact": "john@example.com",
        "interest": "Battery plant",
        "land_mu": "50",
        "power_kva": "10000",
        "investment_wan": "80000",
        "website": "",
    }
    data.update(over)
    return data


def test_an_enquiry_creates_one_lead_and_a_new_investor(client, world):
    leads, investors = Lead.objects.count(), Enterprise.objects.count()
    response = client.post(reverse("portal:enquiry"), _enquiry())
    assert response.status_code == 200
    assert Lead.objects.count() == leads + 1
    assert Enterprise.objects.count() == investors + 1
    lead = Lead.objects.latest("pk")
    assert lead.source == ContactSource.ONLINE
    assert lead.investor.name == "Acme Batteries Ltd"
    assert lead.land_mu == Decimal(50) and lead.power_kva == Decimal(10000)
    assert "john@example.com" in lead.notes
    assert services.reference(lead) in response.content.decode()


def test_an_enquiry_from_a_known_investor_is_matched(client, world):
    investors = Enterprise.objects.count()
    client.post(reverse("portal:enquiry"), _enquiry(organisation="秘密投资集团股份有限公司"))
    assert Enterprise.objects.count() == investors
    assert Lead.objects.latest("pk").investor == world["investor"]


def _writes() -> tuple[int, int, int]:
    return Lead.objects.count(), Enterprise.objects.count(), AuditEntry.objects.count()


def test_the_honeypot_refuses_and_writes_nothing(client, world):
    before = _writes()
    response = client.post(reverse("portal:enquiry"), _enquiry(website="http://spam"))
    assert response.status_code == 400
    assert _writes() == before


def test_the_rate_limit_refuses_and_writes_nothing(client, world, settings):
    settings.GUANJIA_RATE_LIMITS = {**settings.GUANJIA_RATE_LIMITS, "portal_enquiry": "1/60"}
    assert client.post(reverse("portal:enquiry"), _enquiry()).status_code == 200
    before = _writes()
    response = client.post(reverse("portal:enquiry"), _enquiry(organisation="Other Co"))
    assert response.status_code == 429
    assert _writes() == before


def test_a_published_change_shows_at_once(client, world):
    assert "内部项目不公开" not in client.get(reverse("portal:projects")).content.decode()
    hidden = world["hidden"]
    hidden.public = True
    hidden.save()
    assert "内部项目不公开" in client.get(reverse("portal:projects")).content.decode()


def test_robots_allows_the_portal_only_and_the_sitemap_lists_it(client, world):
    robots = client.get("/robots.txt").content.decode()
    assert "Allow: /invest/" in robots and "Disallow: /" in robots
    sitemap = client.get("/sitemap.xml").content.decode()
    assert reverse("portal:project", args=[world["public"].pk]) in sitemap
    assert reverse("portal:project", args=[world["hidden"].pk]) not in sitemap


def test_the_language_link_switches_and_stays_on_the_portal(client, world):
    url = reverse("portal:language", args=["en"])
    response = client.get(url + "?next=/invest/parks/")
    assert response.status_code == 302 and response["Location"] == "/invest/parks/"
    assert "Parks and land" in client.get("/invest/parks/").content.decode()
    assert client.get(url + "?next=https://evil.example/")["Location"] == "/invest/"
    assert client.get(url + "?next=/projects/")["Location"] == "/invest/"


def test_public_pages_carry_no_csrf_token(client, world):
    html = client.get(reverse("portal:home")).content.decode()
    assert "csrfmiddlewaretoken" not in html


def test_a_change_to_the_land_shows_on_the_cached_pages_at_once(client, world, users, industries):
    park_url = reverse("portal:park", args=[world["park"].pk])
    for lang in ("zh-hans", "en"):  # each language's page rendered and kept
        assert "LH-02" not in client.get(park_url, HTTP_ACCEPT_LANGUAGE=lang).content.decode()
    park_services.take_step(world["taken"], "release", users["admin"], reason="客商放弃")
    for lang in ("zh-hans", "en"):
        assert "LH-02" in client.get(park_url, HTTP_ACCEPT_LANGUAGE=lang).content.decode()
    # A leading industry (a many-to-many change, no save of the park) shows too.
    industry = next(iter(industries.values()))
    assert industry.name not in client.get(park_url).content.decode()
    world["park"].industries.add(industry)
    assert industry.name in client.get(park_url).content.decode()


def test_the_pages_are_rendered_once_per_language(client, world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("portal:parks")
    zh = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    en = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "园区" in zh and "Parks" in en
    with CaptureQueriesContext(connection) as queries:
        again = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert again == en and not queries.captured_queries
