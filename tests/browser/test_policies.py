"""Policies to the door in a browser: an enterprise contact finds a policy delivered to it,
opens it, sees why it matched, and says it has applied."""

import pytest
from playwright.sync_api import expect

from guanjia.accounts.models import Role
from guanjia.policies import services
from guanjia.policies.models import EnterpriseProfile, MatchStatus, Policy, PolicyMatch
from guanjia.testing.factories import ProjectFactory, UserFactory

from .conftest import log_in, tr

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def delivered(users, industries, own_enterprise, linghai):
    steward = UserFactory(username="p_linghai", role=Role.STEWARD, region=linghai)
    own_enterprise.industry = industries["新能源"]
    own_enterprise.steward = steward
    own_enterprise.save()
    EnterpriseProfile.objects.create(enterprise=own_enterprise, headcount=150, high_tech=True)
    ProjectFactory(enterprise=own_enterprise, region=linghai, total_investment_wan=50000)
    policy = Policy(
        title="新能源项目扶持资金",
        issuer="锦州市发改委",
        doc_number="锦发改〔2024〕12号",
        benefit="按固定资产投资的3%给予补助，最高500万元。",
        rule={
            "all": [
                {"fact": "industry", "op": "in", "value": [industries["新能源"].code]},
                {"fact": "investment_wan", "op": "gte", "value": 30000},
                {"fact": "high_tech", "op": "eq", "value": True},
            ]
        },
    )
    services.save_policy(users["admin"], policy)
    services.match_policy(policy)
    return PolicyMatch.objects.get()


def test_an_enterprise_opens_a_matched_policy_and_sees_why(page, shot, delivered):
    log_in(page, "t_enterprise")
    page.goto("/policies/for-you/")
    expect(page.locator("h1")).to_have_text(tr("Policies for you"))
    row = page.locator("table.deliveries tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(tr("New"))
    with page.expect_navigation():
        page.get_by_role("link", name="新能源项目扶持资金").click()
    expect(page.locator("h1")).to_contain_text("新能源项目扶持资金")
    expect(page.locator(".benefit")).to_contain_text("最高500万元")
    reasons = page.locator("ul.reasons li")
    expect(reasons).to_have_count(3)
    expect(reasons.nth(0)).to_contain_text("新能源")
    expect(reasons.nth(1)).to_contain_text("3亿元")
    expect(reasons.nth(2)).to_have_text(tr("is a high-tech enterprise"))
    shot(page, "policy-for-you")
    delivered.refresh_from_db()
    assert delivered.status == MatchStatus.READ
    with page.expect_navigation():
        page.locator("#apply button").click()
    expect(page.locator("h1 .tag")).to_have_text(tr("Applied"))
    delivered.refresh_from_db()
    assert delivered.status == MatchStatus.APPLIED
