"""The public portal (投资锦州): anyone reads the published parks, land, policies and key
projects, never anything internal, and an enquiry becomes exactly one lead."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from guanjia.core.models import AuditEntry
from guanjia.enterprises.models import ContactSource, Enterprise
from guanjia.leads.models import Lead
from guanjia.parks import services as park_services
from guanjia.parks.models import ParkKind, PlotEnquiry
from guanjia.policies.models import Policy
from guanjia.portal import services
from guanjia.testing.factories import (
    ContactFactory,
    EnterpriseFactory,
    LeadFactory,
    ProjectFactory,
    SigningFactory,
)

PAGES = ["portal:home", "portal:parks", "portal:plots", "portal:map", "portal:policies",
         "portal:projects", "portal:enquiry"]  # fmt: skip


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
        reverse("portal:plot", args=[world["free"].pk]),
        reverse("portal:map_data"),
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
    # The limit counts per fixed minute: both posts in the same one, whenever the test runs.
    minute = timezone.now().replace(second=1, microsecond=0)
    with time_machine.travel(minute, tick=False):
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
    assert reverse("portal:plot", args=[world["free"].pk]) in sitemap
    assert reverse("portal:plot", args=[world["taken"].pk]) not in sitemap


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


# --- finding land and enquiring about a plot -------------------------------------------------


@pytest.fixture
def land(users, linghai, heishan, industries):
    """Two parks: one leading in 新能源 with 12,000 kVA spare at its substation, one without;
    plots of 30, 50 and 80 亩, one warehouse plot, one reserved."""
    admin = users["admin"]
    energy = industries["新能源"]
    green = park_services.save_park(
        admin,
        name="凌海新能源产业园",
        kind=ParkKind.SPECIALISED,
        region=linghai,
        industries=[energy],
    )
    park_services.add_substation(
        admin, green, name="66kV园区变", capacity_kva=Decimal(40000), spare_kva=Decimal(12000)
    )
    other = park_services.save_park(
        admin, name="黑山综合园区", kind=ParkKind.PROVINCIAL, region=heishan
    )

    def plot(park, code, mu, **more):
        point = {"type": "Point", "coordinates": [121.1, 40.9]}
        return park_services.create_plot(
            admin, park=park, code=code, area_mu=Decimal(mu), point=point, **more
        )

    return {
        "energy": energy,
        "green": green,
        "other": other,
        "small": plot(green, "XN-30", 30),
        "fifty": plot(green, "XN-50", 50, notes="底价可谈，内部掌握"),
        "big": plot(green, "XN-80", 80, power_kva=Decimal(5000)),
        "store": plot(green, "XN-W", 60, land_use="warehouse"),
        "elsewhere": plot(other, "HS-60", 60, power_kva=Decimal(20000)),
    }


def _codes(response) -> set[str]:
    html = response.content.decode()
    return {code for code in ("XN-30", "XN-50", "XN-80", "XN-W", "HS-60") if code in html}


def test_an_investor_finds_plots_by_industry_area_power_and_land_use(client, land):
    url = reverse("portal:plots")
    assert _codes(client.get(url)) == {"XN-30", "XN-50", "XN-80", "XN-W", "HS-60"}
    wanted = {
        "industry": land["energy"].pk,
        "min_mu": "50",
        "min_kva": "10000",
        "land_use": "industrial",
    }
    # XN-80's own 5,000 kVA at its boundary is less; XN-50 has the park's 12,000 spare.
    assert _codes(client.get(url, wanted)) == {"XN-50"}
    assert _codes(client.get(url, {"min_kva": "15000"})) == {"HS-60"}
    assert _codes(client.get(url, {"park": land["other"].pk})) == {"HS-60"}


def test_a_wrong_search_value_is_named_and_the_rest_still_applies(client, land):
    response = client.get(reverse("portal:plots"), {"min_mu": "很多", "park": land["other"].pk})
    assert response.status_code == 200
    assert _codes(response) == {"HS-60"}
    assert 'class="error"' in response.content.decode()


def test_a_plot_card_shows_its_facts_and_nothing_internal(client, land, users):
    fifty = land["fifty"]
    html = client.get(reverse("portal:plot", args=[fifty.pk])).content.decode()
    assert "XN-50" in html and "凌海新能源产业园" in html and "12000" in html
    assert "底价可谈" not in html
    assert f"{reverse('portal:enquiry')}?plot={fifty.pk}" in html
    lead = LeadFactory(region=fifty.park.region, owner=users["admin"], created_by=users["admin"])
    park_services.reserve(fifty, users["admin"], lead, timezone.localdate() + dt.timedelta(days=9))
    assert client.get(reverse("portal:plot", args=[fifty.pk])).status_code == 404
    assert "XN-50" not in client.get(reverse("portal:plots")).content.decode()


def test_the_public_map_shows_only_plots_on_offer(client, land, users):
    lead = LeadFactory(region=land["big"].park.region, owner=users["admin"])
    park_services.reserve(
        land["big"], users["admin"], lead, timezone.localdate() + dt.timedelta(days=9)
    )
    assert client.get(reverse("portal:map")).status_code == 200
    data = client.get(reverse("portal:map_data")).json()
    assert data["public"] is True
    drawn = {row[1]: row[3] for row in data["plots"]}
    assert "XN-50" in drawn and "XN-80" not in drawn
    assert set(drawn.values()) == {"available"}


def test_enquire_about_this_plot_prefills_the_form(client, land):
    fifty = land["fifty"]
    url = f"{reverse('portal:enquiry')}?plot={fifty.pk}&industry={land['energy'].pk}"
    html = client.get(url).content.decode()
    assert "XN-50" in html
    assert f'name="plot" value="{fifty.pk}"' in html
    assert 'name="land_mu" value="50' in html and 'name="power_kva" value="12000' in html
    assert f'<option value="{land["energy"].pk}" selected>' in html


def test_an_enquiry_about_a_plot_puts_it_first_in_the_leads_land_matching(client, land, users):
    fifty = land["fifty"]
    data = _enquiry(plot=str(fifty.pk), industry=str(land["energy"].pk), interest="")
    assert client.post(reverse("portal:enquiry"), data).status_code == 200
    lead = Lead.objects.latest("pk")
    assert PlotEnquiry.objects.get(lead=lead).plot == fifty
    assert "XN-50" in lead.name and "XN-50" in lead.notes
    assert lead.industry == land["energy"] and lead.power_kva == 10000
    staff = Client()
    staff.force_login(users["admin"])
    html = staff.get(reverse("leads:detail", args=[lead.pk])).content.decode()
    matches = html[html.index('id="land-matches"') :]
    first = matches[matches.index('<li class="match') :]
    assert first.index("XN-50") < first.index("</li>")
    assert "match asked" in first[:100] or " asked" in first[: first.index(">")]


def test_an_asked_plot_that_no_longer_fits_still_shows_first(client, land, users):
    small = land["small"]
    client.post(reverse("portal:enquiry"), _enquiry(plot=str(small.pk), land_mu="200"))
    lead = Lead.objects.latest("pk")
    staff = Client()
    staff.force_login(users["admin"])
    html = staff.get(reverse("parks:lead_matches", args=[lead.pk])).content.decode()
    first = html[html.index('<li class="match') :]
    assert " asked" in first[: first.index(">")] and first.index("XN-30") < first.index("</li>")


def test_an_enquiry_about_a_plot_gone_meanwhile_is_refused_and_writes_nothing(client, land, users):
    fifty = land["fifty"]
    lead = LeadFactory(region=fifty.park.region, owner=users["admin"])
    park_services.reserve(fifty, users["admin"], lead, timezone.localdate() + dt.timedelta(days=9))
    before = _writes()
    response = client.post(
        reverse("portal:enquiry"), _enquiry(plot=str(fifty.pk)), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert "no longer available" in response.content.decode()
    assert _writes() == before


def test_the_honeypot_still_refuses_an_enquiry_about_a_plot(client, land):
    before = _writes()
    data = _enquiry(plot=str(land["fifty"].pk), website="http://spam")
    assert client.post(reverse("portal:enquiry"), data).status_code == 400
    assert _writes() == before


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
